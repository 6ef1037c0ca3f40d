"""A gateway with gemini-web accounts against the fake gemini.google.com on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from gemgate.store import AccountRecord
from gemgate.testing import FakeGeminiWeb

from .gateway import GatewayThread


def psid(tag: str) -> str:
    """A `__Secure-1PSID`-shaped value (`g.a000` and 70 more characters) for a test account."""
    return ("g.a000" + tag + "x" * 70)[:76]


def cookie(tag: str, *extra: str) -> str:
    """A Cookie header with the account's 1PSID and a 1PSIDTS."""
    return "; ".join([f"__Secure-1PSID={psid(tag)}", f"__Secure-1PSIDTS=sidts-{tag}-0000000000", *extra])


@contextmanager
def running_web_fake() -> Iterator[FakeGeminiWeb]:
    """The fake gemini.google.com on loopback, its base URL in `.url`."""
    server = FakeGeminiWeb()
    with server.running() as url:
        server.url = url
        yield server


@pytest.fixture(scope="module", name="fake")
def web_fake() -> Iterator[FakeGeminiWeb]:
    """The fake gemini.google.com shared by a test module (import it to use the `fake` fixture)."""
    with running_web_fake() as server:
        yield server


class WebGateway(GatewayThread):
    """A gateway whose only accounts are gemini-web ones (`secrets`: name -> secret) at the fake `web_url`."""

    def __init__(self, data_dir, web_url: str, secrets: dict[str, dict], api_url: str = "http://127.0.0.1:9",
                 **overrides):
        upstreams = {"gemini_web": {"base_url": web_url, "rotate_cookies_url": f"{web_url}/RotateCookies",
                                    "upload_url": f"{web_url}/upload",
                                    **overrides.pop("web", {})}}
        super().__init__(data_dir, api_url, [], upstreams=upstreams, **overrides)
        self.secrets = secrets

    def _seed(self) -> None:
        self.add_accounts("gemini-web", self.secrets)

    def stored(self, name: str) -> AccountRecord:
        """The account as the store holds it now."""
        return self.read_store(lambda store: store.find_account(name))


def upkeep(gw: WebGateway, now: float) -> None:
    """One cookie upkeep round (rotations due, cookie files changed) in the gateway's own loop, at `now`."""
    gateway = gw.gateway
    loop = gateway._tasks[0].get_loop()
    job = asyncio.run_coroutine_threadsafe(gateway.upkeep(gateway.upstreams["gemini-web"], now), loop)
    job.result(timeout=30)


@contextmanager
def web_gateway(data_dir, *tags: str) -> Iterator[WebGateway]:
    """A fake gemini.google.com and a started gateway whose accounts `web-<tag>` are signed in there (one per
    tag); the fake is the gateway's `.fake`. Both stopped after."""
    with running_web_fake() as fake:
        for tag in tags:
            fake.account(psid(tag))
        gateway = WebGateway(data_dir, fake.url, {f"web-{tag}": {"cookie": cookie(tag)} for tag in tags}).start()
        gateway.fake = fake
        try:
            yield gateway
        finally:
            gateway.stop()


def module_gateway(tag: str):
    """The fixtures a test module assigns as `gw, fake = module_gateway(tag)`: `gw` a module-wide web_gateway with
    the one account `web-<tag>`, `fake` its fake gemini.google.com."""

    @pytest.fixture(scope="module", name="gw")
    def gateway(tmp_path_factory) -> Iterator[WebGateway]:
        with web_gateway(tmp_path_factory.mktemp("gw"), tag) as started:
            yield started

    @pytest.fixture(name="fake")
    def its_fake(gw: WebGateway) -> FakeGeminiWeb:
        return gw.fake

    return gateway, its_fake
