"""A gateway with Code Assist accounts (and optionally API-key ones) against the fake OAuth, Code Assist and
Gemini API servers, all on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp import web

from gemgate.testing import ANTIGRAVITY, GEMINI_CLI, FakeCodeAssist, FakeGeminiAPI, FakeGoogleOAuth
from gemgate.testing.fake_server import FakeServer, catch_all_app

from .gateway import GatewayThread

CLIENTS = {"antigravity": ANTIGRAVITY, "gemini-cli": GEMINI_CLI}


@dataclass
class Fakes:
    """The three fakes and their base URLs."""

    oauth: FakeGoogleOAuth
    ca: FakeCodeAssist
    api: FakeGeminiAPI
    oauth_url: str
    ca_url: str
    api_url: str

    def section(self, endpoints: list[str] | None = None) -> dict:
        """`[upstreams.code_assist]` pointing every URL at the fakes (`endpoints`: both profiles' hosts)."""
        hosts = endpoints or [self.ca_url]
        return {
            "token_url": f"{self.oauth_url}/token",
            "userinfo_url": f"{self.oauth_url}/oauth2/v2/userinfo",
            "auth_url": f"{self.oauth_url}/o/oauth2/v2/auth",
            "onboard_poll_seconds": 0.05,
            "profiles": {"antigravity": {"endpoints": hosts}, "gemini-cli": {"endpoints": hosts}},
        }

    def credential(self, email: str, profile: str = "antigravity", *, fresh: bool = True, project: str | None = None,
                   with_project: bool = True) -> dict:
        """A stored credential for `email` issued by the fake OAuth server (fresh: a live access token)."""
        client = CLIENTS[profile]
        refresh = self.oauth.issue_refresh_token(email, client.client_id)
        access = self.oauth.issue_access_token(email, client.client_id) if fresh else None
        account = self.ca.account(email)
        return {
            "profile": profile, "refresh_token": refresh, "access_token": access.token if access else None,
            "expiry": access.expires_at if access else None, "email": email,
            "project_id": (project or account.project) if with_project else None, "tier": None,
        }


def section_env(fakes: Fakes) -> dict[str, str]:
    """`[upstreams.code_assist]` pointing at the fakes, as GEMGATE_* variables (for CLI commands)."""
    prefix = "GEMGATE_UPSTREAMS__CODE_ASSIST__"
    env = {prefix + k.upper(): str(v) for k, v in fakes.section().items() if k != "profiles"}
    for profile in ("ANTIGRAVITY", "GEMINI_CLI"):
        env[f"{prefix}PROFILES__{profile}__ENDPOINTS"] = json.dumps([fakes.ca_url])
    return env


class RecordingProxy(FakeServer):
    """A plain HTTP forward proxy (absolute-form request targets, RFC 9112 §3.2.2) that records the URL of
    every request it forwards in `seen`; answers are read whole, then passed on."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def build_app(self) -> web.Application:
        """Every request is forwarded."""
        return catch_all_app(self._forward)

    async def _forward(self, request: web.Request) -> web.Response:
        self.seen.append(str(request.url))
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "proxy-connection", "content-length")}
        async with aiohttp.ClientSession() as session:
            async with session.request(request.method, str(request.url), headers=headers, data=await request.read()) as up:
                body = await up.read()
                keep = {k: v for k, v in up.headers.items() if k.lower() in ("content-type",)}
                return web.Response(status=up.status, body=body, headers=keep)


@contextmanager
def running_fakes() -> Iterator[Fakes]:
    """The three fakes on loopback: OAuth, Code Assist (checking the OAuth fake's tokens) and the Gemini API
    (keys "fake-key-alpha", and "fake-key-revoked" refused)."""
    oauth = FakeGoogleOAuth()
    ca = FakeCodeAssist(oauth)
    api = FakeGeminiAPI(api_keys=["fake-key-alpha"], revoked_keys=["fake-key-revoked"])
    with oauth.running() as o, ca.running() as c, api.running() as a:
        yield Fakes(oauth, ca, api, o, c, a)


@pytest.fixture(scope="module")
def module_fakes() -> Iterator[Fakes]:
    """`running_fakes()` for one test module (import it into the module as a fixture)."""
    with running_fakes() as running:
        yield running


class CodeAssistGateway(GatewayThread):
    """A gateway seeded with Code Assist accounts `secrets` (name -> credential; `proxies`: name -> the
    account's own proxy URL) besides `api_keys`."""

    def __init__(self, data_dir, fakes: Fakes, secrets: dict[str, dict], api_keys=(), endpoints=None,
                 proxies: dict[str, str] | None = None, **overrides):
        upstreams = {"code_assist": fakes.section(endpoints), **overrides.pop("upstreams", {})}
        super().__init__(data_dir, fakes.api_url, list(api_keys), upstreams=upstreams, **overrides)
        self.secrets = secrets
        self.proxies = proxies or {}

    def _seed(self) -> None:
        super()._seed()
        self.add_accounts("code-assist", self.secrets, self.proxies)


class Gateways:
    """Code Assist gateways started by one test, each in its own data folder under `root`; `stop_all` at the end."""

    def __init__(self, fakes: Fakes, root) -> None:
        self.fakes, self.root = fakes, root
        self.started: list[CodeAssistGateway] = []

    def start(self, secrets: dict, **settings) -> CodeAssistGateway:
        """A running gateway with the accounts `secrets` (name -> credential) and `settings` overrides."""
        gw = CodeAssistGateway(self.root / f"gw{len(self.started)}", self.fakes, secrets, **settings).start()
        self.started.append(gw)
        return gw

    def stop_all(self) -> None:
        """Stop every gateway started."""
        for gw in self.started:
            gw.stop()
