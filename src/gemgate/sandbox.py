"""`gemgate sandbox`: the fake Google upstreams (Gemini API, Google OAuth, Code Assist, gemini.google.com) and a
gateway wired to them, in one offline process: two API-key accounts, one Code Assist account of each profile and
two Gemini web-app (cookie) accounts of different tiers."""

from __future__ import annotations

import asyncio
import json
import socket
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

import uvicorn

from .app import create_app
from .config import Settings
from .http.server import server_config
from .listen import bind_socket
from .logs import UVICORN_LOGGERS, guard_handlers
from .store import AccountRecord, open_store
from .testing import ANTIGRAVITY, GEMINI_CLI, FakeCodeAssist, FakeGeminiAPI, FakeGeminiWeb, FakeGoogleOAuth

SANDBOX_API_KEYS = ("sandbox-gemini-key-1", "sandbox-gemini-key-2")
SANDBOX_MASTER_KEY = "gemgate-sandbox"  # throwaway data: the CLI reaches it with this key (the ready line says how)


async def seed_api_key_accounts(settings: Settings, api_keys, prefix: str = "sandbox-apikey") -> None:
    """Store one gemini-api account per key (named <prefix>-1, -2, …), skipping names that exist."""
    store = await open_store(settings)
    try:
        existing = {a.name for a in await store.list_accounts()}
        for i, key in enumerate(api_keys, 1):
            name = f"{prefix}-{i}"
            if name not in existing:
                await store.add_account(
                    AccountRecord(id=uuid.uuid4().hex[:12], name=name, kind="gemini-api", secret={"api_key": key})
                )
    finally:
        await store.close()


# The sandbox's Code Assist accounts: profile -> (email, tier). A consumer tier for Antigravity, a licensed one
# for the Gemini CLI client, which Google serves to licensed accounts only (reference/antigravity.md §9).
SANDBOX_CODE_ASSIST = {"antigravity": ("sandbox-antigravity@example.com", "g1-pro-tier"),
                       "gemini-cli": ("sandbox-gemini-cli@example.com", "standard-tier")}


def code_assist_section(oauth_url: str, code_assist_url: str) -> dict:
    """`[upstreams.code_assist]` with every Google URL at the fakes: OAuth at `oauth_url`, both profiles' hosts
    at `code_assist_url`."""
    hosts = {"endpoints": [code_assist_url]}
    return {
        "token_url": f"{oauth_url}/token",
        "userinfo_url": f"{oauth_url}/oauth2/v2/userinfo",
        "auth_url": f"{oauth_url}/o/oauth2/v2/auth",
        "profiles": {"antigravity": hosts, "gemini-cli": hosts},
    }


async def seed_code_assist_accounts(settings: Settings, oauth: FakeGoogleOAuth, ca: FakeCodeAssist) -> None:
    """Store one Code Assist account per profile (SANDBOX_CODE_ASSIST), named sandbox-<profile>, with a refresh
    token the fake OAuth server issued and the project the fake Code Assist server scripted for it."""
    store = await open_store(settings)
    try:
        existing = {a.name for a in await store.list_accounts()}
        for profile, client in (("antigravity", ANTIGRAVITY), ("gemini-cli", GEMINI_CLI)):
            email, tier = SANDBOX_CODE_ASSIST[profile]
            project = ca.account(email, tier=tier).project
            secret = {"profile": profile, "refresh_token": oauth.issue_refresh_token(email, client.client_id),
                      "access_token": None, "expiry": None, "email": email, "project_id": project, "tier": tier}
            if f"sandbox-{profile}" not in existing:
                await store.add_account(AccountRecord(id=uuid.uuid4().hex[:12], name=f"sandbox-{profile}",
                                                      kind="code-assist", secret=secret))
    finally:
        await store.close()


# The sandbox's web-app accounts at the fake gemini.google.com: name -> (__Secure-1PSID, the fake's account fields).
# Two tiers, so a model one lacks can be tried: sandbox-web has Pro (otAQ7b flag 19, the Pro capability of the
# recorded user-status answer), sandbox-web-free has Flash and Flash-Lite only (a free account, §6.2).
SANDBOX_WEB_PSID = "g.a000sandbox" + "w" * 63
SANDBOX_WEB_FREE_PSID = "g.a000sandbox-free-account"  # short enough to paste into an x-gemini-psid header
SANDBOX_WEB_ACCOUNTS = {
    "sandbox-web": (SANDBOX_WEB_PSID, {"models": ("flash", "pro", "flash-lite"), "flags": [19]}),
    "sandbox-web-free": (SANDBOX_WEB_FREE_PSID, {"models": ("flash", "flash-lite")}),
}


async def seed_web_account(settings: Settings, web: FakeGeminiWeb) -> None:
    """Store the gemini-web accounts of SANDBOX_WEB_ACCOUNTS, each signed in at the fake with its PSID."""
    store = await open_store(settings)
    try:
        stored = {a.name for a in await store.list_accounts()}
        for name, (psid, fields) in SANDBOX_WEB_ACCOUNTS.items():
            web.account(psid, **fields)
            if name not in stored:
                cookie = f"__Secure-1PSID={psid}; __Secure-1PSIDTS=sidts-{name}-0000000000"
                await store.add_account(AccountRecord(id=uuid.uuid4().hex[:12], name=name, kind="gemini-web",
                                                      secret={"cookie": cookie}))
    finally:
        await store.close()


def _toml_tables(prefix: str, table: dict) -> list[str]:
    """TOML lines of `table` under `[prefix]`: its scalars and lists (JSON strings are valid TOML basic strings
    for these ASCII URLs), then its sub-tables."""
    lines = [f"[{prefix}]"] + [f"{k} = {json.dumps(v)}" for k, v in table.items() if not isinstance(v, dict)]
    for key, sub in table.items():
        if isinstance(sub, dict):
            lines += _toml_tables(f"{prefix}.{key}", sub)
    return lines


def write_cli_config(data_dir: Path, upstreams: dict) -> Path:
    """`<data_dir>/config.toml` with the sandbox's `upstreams` sections, so the CLI pointed at this data directory
    (`GEMGATE_DATA_DIR`) signs in, imports and checks accounts against the fakes, never Google."""
    path = data_dir / "config.toml"
    lines = [line for kind, table in upstreams.items() for line in _toml_tables(f"upstreams.{kind}", table)]
    path.write_text("# written by `gemgate sandbox`: every Google URL at its fakes\n" + "\n".join(lines) + "\n")
    return path


def sandbox_settings(data_dir: Path, fake_url: str, port: int, api_key: str, host: str = "127.0.0.1",
                     code_assist: dict | None = None, web_url: str | None = None) -> Settings:
    """Settings for a sandbox gateway: data in `data_dir`, the fake Gemini API at `fake_url`, one client key
    `api_key`, short keepalive and cooldown (5 s) so failure paths show quickly, media URLs fetched from this
    machine only (`fetch_loopback_only`); `code_assist` the
    `[upstreams.code_assist]` section (`code_assist_section`), if any; `web_url` the fake gemini.google.com.
    """
    upstreams = {"gemini_api": {"base_url": fake_url}, **({"code_assist": code_assist} if code_assist else {})}
    if web_url:
        # RotateCookies and uploads too (the fake serves them): a sandbox left running rotates its web accounts'
        # cookies there, and files sent to them are uploaded there.
        upstreams["gemini_web"] = {"base_url": web_url, "rotate_cookies_url": web_url.rstrip("/") + "/RotateCookies",
                                   "upload_url": web_url.rstrip("/") + "/upload"}
    return Settings(
        host=host,
        port=port,
        data_dir=data_dir,
        master_key=SANDBOX_MASTER_KEY,
        client_keys=[api_key],
        upstreams=upstreams,
        keepalive_seconds=5,
        default_cooldown_seconds=5,
        fetch_loopback_only=True,  # image URLs served on this machine can be tried; nothing else is reached
    )


async def run_sandbox(
    host: str, port: int, api_key: str, on_ready: Callable[[str, Path], None], sock: socket.socket | None = None
) -> None:
    """Start the fakes (random local ports) and a gateway on host:port with throwaway data; call
    `on_ready(base_url, data_dir)` once it listens, then serve until cancelled (the data is removed then).

    sock: a socket already bound to host:port (`gemgate.listen.bind_socket`); None binds one here, before
    anything starts, raising `CannotListen` (one line saying why, e.g. the port is in use).
    """
    sock = sock if sock is not None else bind_socket(host, port)
    fake = FakeGeminiAPI(api_keys=list(SANDBOX_API_KEYS))
    oauth = FakeGoogleOAuth()
    ca = FakeCodeAssist(oauth)
    web = FakeGeminiWeb()
    fake_url = await fake.start("127.0.0.1", 0)
    web_url = await web.start("127.0.0.1", 0)
    section = code_assist_section(await oauth.start("127.0.0.1", 0), await ca.start("127.0.0.1", 0))
    with tempfile.TemporaryDirectory(prefix="gemgate-sandbox-") as tmp:
        settings = sandbox_settings(Path(tmp), fake_url, port, api_key, host, section, web_url)
        write_cli_config(Path(tmp), settings.upstreams)
        await seed_api_key_accounts(settings, SANDBOX_API_KEYS)
        await seed_code_assist_accounts(settings, oauth, ca)
        await seed_web_account(settings, web)
        config = server_config(create_app(settings), settings, host=host, port=port, log_level="warning", access_log=False)
        guard_handlers(*UVICORN_LOGGERS)
        server = uvicorn.Server(config)
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        try:
            while not server.started:
                if serving.done():
                    serving.result()  # surfaces a bind error
                    return
                await asyncio.sleep(0.02)
            on_ready(f"http://{host}:{port}", Path(tmp))
            await serving
        finally:
            server.should_exit = True
            for server in (fake, ca, oauth, web):
                await server.stop()
            sock.close()
