"""Shared fixtures: the fake Gemini API and gateways wired to it, over real loopback HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from gemgate.testing import FakeGeminiAPI
from tests.support import fixtures
from tests.support.gateway import API_KEYS, GatewayThread


@pytest.fixture(scope="session")
def fake_api():
    fake = FakeGeminiAPI(api_keys=API_KEYS + ["fake-key-gamma", "fake-key-delta"], revoked_keys=["fake-key-revoked"])
    with fake.running() as url:
        fake.url = url
        yield fake


@pytest.fixture(scope="session")
def gw(fake_api, tmp_path_factory):
    """The shared gateway: two healthy accounts. Tests that cool or disable accounts use `make_gateway`."""
    with GatewayThread(tmp_path_factory.mktemp("gw"), fake_api.url, API_KEYS) as server:
        yield server


@pytest.fixture
def make_gateway(fake_api, tmp_path):
    started: list[GatewayThread] = []

    def make(api_keys=None, **overrides) -> GatewayThread:
        path = tmp_path / f"gw{len(started)}"
        server = GatewayThread(path, fake_api.url, api_keys or API_KEYS, **overrides).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def fixtures_dir() -> Path:
    """The recorded captures (../shared/fixtures); the test is skipped when they are absent."""
    return fixtures.fixtures_dir()
