"""`gemgate sandbox` fetches media URLs on this machine only: an image served on loopback can be tried in a
request (the SSRF guard refused it: every image URL was a 400 there), and no other host is looked up or
connected to, as the README promises ("Nothing leaves the machine")."""

from __future__ import annotations

import asyncio
import logging
import socket
from pathlib import Path

import pytest

from gemgate.errors import GatewayError
from gemgate.http.media import MediaFetcher
from gemgate.sandbox import sandbox_settings
from tests.support.ssrf import GENERIC, PNG, media_server


@pytest.fixture(scope="module")
def media():
    with media_server() as base:  # 127.0.0.2: loopback
        yield base


@pytest.fixture
def sandbox_fetcher(tmp_path: Path):
    settings = sandbox_settings(tmp_path, "http://127.0.0.1:9", 0, "try-me")
    settings.fetch_timeout = 5

    async def fetch(url: str):
        fetcher = MediaFetcher(settings)
        await fetcher.start()
        try:
            return await fetcher.fetch(url, "image_url")
        finally:
            await fetcher.close()

    return lambda url: asyncio.run(fetch(url))


def test_an_image_on_loopback_is_fetched(sandbox_fetcher, media):
    mime, data = sandbox_fetcher(f"{media}/png")
    assert (mime, data) == ("image/png", __import__("base64").b64encode(PNG).decode())


def test_a_named_host_is_never_looked_up(sandbox_fetcher, monkeypatch):
    asked: list[str] = []
    real = socket.getaddrinfo

    def recording(host, *args, **kwargs):
        asked.append(host)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", recording)
    with pytest.raises(GatewayError) as refused:
        sandbox_fetcher("https://example.com/cat.png")
    assert refused.value.status == 400 and GENERIC in refused.value.message
    assert "example.com" not in asked, asked


@pytest.mark.parametrize("url", ["http://93.184.215.14/cat.png", "http://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/"])
def test_a_public_address_is_never_connected_to(sandbox_fetcher, caplog, url):
    caplog.set_level(logging.INFO, "gemgate.media")
    with pytest.raises(GatewayError) as refused:
        sandbox_fetcher(url)
    assert refused.value.status == 400 and GENERIC in refused.value.message
    assert "only this machine" in caplog.text, caplog.text  # refused by the socket factory, not a timeout
