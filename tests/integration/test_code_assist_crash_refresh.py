"""A `gemgate serve` process killed with SIGKILL while it refreshes a Code Assist token loses nothing: restarted
on the same data directory, the account still works (issue 8 "kill -9 during refresh then restart → token
intact"; credential updates are stored atomically before use, `upstreams/credentials.py`)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import threading
import time
import uuid

from gemgate.config import Settings
from gemgate.store import AccountRecord, open_store
from gemgate.testing import ANTIGRAVITY
from tests.support.code_assist import running_fakes
from tests.support.gateway import free_port
from tests.support.http import post, wait_healthy
from tests.support.processes import spawn_gemgate

EMAIL = "kat@example.com"
KEY = "crash-client-key"


def env(data_dir, fakes) -> dict:
    return {
        "GEMGATE_DATA_DIR": str(data_dir), "GEMGATE_MASTER_KEY": "m", "GEMGATE_CLIENT_KEYS": json.dumps([KEY]),
        "GEMGATE_LOG_LEVEL": "warning",
        "GEMGATE_UPSTREAMS__CODE_ASSIST__TOKEN_URL": f"{fakes.oauth_url}/token",
        "GEMGATE_UPSTREAMS__CODE_ASSIST__USERINFO_URL": f"{fakes.oauth_url}/oauth2/v2/userinfo",
        "GEMGATE_UPSTREAMS__CODE_ASSIST__PROFILES__ANTIGRAVITY__ENDPOINTS": json.dumps([fakes.ca_url]),
    }


async def _stored(settings: Settings, secret: dict | None = None) -> dict:
    """Seed the account with `secret`, or read its stored credential back."""
    store = await open_store(settings)
    try:
        if secret is not None:
            await store.add_account(AccountRecord(id=uuid.uuid4().hex[:12], name="kat", kind="code-assist", secret=secret))
        return (await store.list_accounts())[0].secret
    finally:
        await store.close()


def chat(url: str):
    return post(f"{url}/v1/chat/completions", {"model": "gemini-3-flash", "messages": [{"role": "user", "content": "hi"}]},
                headers={"Authorization": f"Bearer {KEY}"})


def refreshes(fakes) -> list:
    return [r for r in fakes.oauth.requests if r.path == "/token" and r.body.get("grant_type") == "refresh_token"]


def test_kill_9_in_the_middle_of_a_refresh_then_restart_keeps_the_account_working(tmp_path):
    with running_fakes() as fakes:
        fakes.ca.account(EMAIL, tier="g1-pro-tier")
        refresh = fakes.oauth.issue_refresh_token(EMAIL, ANTIGRAVITY.client_id)
        access = fakes.oauth.issue_access_token(EMAIL, ANTIGRAVITY.client_id, lifetime=120)  # within the skew
        settings = Settings(data_dir=tmp_path, master_key="m")
        secret = {"profile": "antigravity", "refresh_token": refresh, "access_token": access.token,
                  "expiry": access.expires_at, "email": EMAIL, "project_id": fakes.ca.account(EMAIL).project,
                  "tier": "g1-pro-tier"}
        asyncio.run(_stored(settings, secret))
        fakes.oauth.refresh_delay = 60  # the refresh hangs at the token endpoint
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        proc, _ = spawn_gemgate(["serve", "--port", str(port)], env(tmp_path, fakes), "client keys")
        try:
            # Model discovery at start needs a fresh token, and so does a chat: whichever comes first refreshes.
            deadline, nudged = time.monotonic() + 60, time.monotonic()
            while not refreshes(fakes) and time.monotonic() < deadline:
                if time.monotonic() - nudged > 2:
                    nudged = time.monotonic()
                    threading.Thread(target=lambda: _ignore(chat, url), daemon=True).start()
                time.sleep(0.05)
            assert refreshes(fakes), "the gateway never started a refresh"
            assert refreshes(fakes)[0].status is None  # still in flight
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        # Whatever the gateway wrote before it died: a readable database and a credential that refreshes.
        with sqlite3.connect(next(tmp_path.glob("*.db"))) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        kept = asyncio.run(_stored(settings))
        assert kept["refresh_token"] == refresh and kept["email"] == EMAIL
        assert kept["access_token"] == access.token  # the refresh never finished: nothing half-written
        fakes.oauth.refresh_delay = 0
        fakes.ca.reset()
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        proc, _ = spawn_gemgate(["serve", "--port", str(port)], env(tmp_path, fakes), "client keys")
        try:
            wait_healthy(url, tries=300)
            reply = chat(url)
            assert reply.status == 200 and reply.json()["choices"][0]["message"]["content"] == "echo: hi", reply.text
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(10)
        assert fakes.ca.requests_for("streamGenerateContent", EMAIL)[-1].status == 200
        after = asyncio.run(_stored(settings))
        assert after["refresh_token"] == refresh and after["access_token"] != access.token
        assert after["expiry"] > time.time() + 3000  # the new token, stored


def _ignore(fn, *args) -> None:
    try:
        fn(*args)
    except Exception:  # the gateway is killed under this request
        pass
