"""What one request may make the media fetcher do (issue 7 round 2, findings 2 and 3): a bounded number of URLs
([limits] media_urls), of bytes in total (media_bytes), fetched a few at a time (media_fetches) so one request
cannot take the fetcher's connections from other clients; the first failure cancels the other fetches; fetched
bytes count in bodies_in_flight_bytes (503 + Retry-After past it) and are given back when the answer is done.
Memory is measured in test_memory_bound.py."""

from __future__ import annotations

import threading
import time

import pytest

from tests.support.http import post
from tests.support.media_host import media_host

MIB = 1024 * 1024


@pytest.fixture
def host():
    with media_host() as h:
        yield h


def images(*urls: str, text: str = "marker-media-limits") -> dict:
    parts = [{"type": "text", "text": text}] + [{"type": "image_url", "image_url": {"url": u}} for u in urls]
    return {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": parts}]}


def send(server, body: dict, timeout: float = 60):
    return post(f"{server.url}/v1/chat/completions", body, key=server.key, timeout=timeout)


def gateway(make_gateway, **limits):
    return make_gateway(fetch_allow_private=True, fetch_timeout=30, limits=limits)


def wait_for(condition, what: str, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def held(server) -> int:
    layer = server.app.middleware_stack
    while type(layer).__name__ != "BodyBudget":
        layer = layer.app
    return layer.held


def test_more_media_urls_than_allowed_is_400_before_any_fetch(make_gateway, host):
    server = gateway(make_gateway, media_urls=2)
    r = send(server, images(*(f"{host.url}/img/100" for _ in range(3))))
    assert r.status == 400, r.text
    error = r.json()["error"]
    assert "limits.media_urls" in error["message"] and error["param"] == "messages[0].content[3].image_url.url"
    assert host.hits == 0
    assert send(server, images(f"{host.url}/img/100", f"{host.url}/img/100")).status == 200


def test_fetched_bytes_past_the_request_total_are_400(make_gateway, host):
    server = make_gateway(fetch_allow_private=True, fetch_max_bytes=60_000, limits={"media_bytes": 100_000})
    r = send(server, images(f"{host.url}/img/60000", f"{host.url}/img/60000"))
    assert r.status == 400, r.text
    assert "limits.media_bytes" in r.json()["error"]["message"]
    assert send(server, images(f"{host.url}/img/60000")).status == 200


def test_fetched_bytes_count_in_the_bytes_in_flight(make_gateway, host):
    """Two 600 KiB images in a 1 KiB request pass a 1 MiB budget of bytes in flight: 503 with Retry-After;
    one fits, and its bytes are given back when the answer is done."""
    server = make_gateway(fetch_allow_private=True, limits={"bodies_in_flight_bytes": MIB})
    r = send(server, images(f"{host.url}/img/{600 * 1024}", f"{host.url}/img/{600 * 1024}"))
    assert r.status == 503, r.text
    assert r.headers["retry-after"] and "limits.bodies_in_flight_bytes" in r.json()["error"]["message"]
    assert send(server, images(f"{host.url}/img/{600 * 1024}")).status == 200
    wait_for(lambda: held(server) == 0, "fetched bytes were not given back")


def test_a_failed_fetch_cancels_the_others(make_gateway, host):
    """One 404 among eight fetches that never end: the 400 comes, and the eight connections are closed."""
    server = gateway(make_gateway, media_fetches=16)
    r = send(server, images(*(f"{host.url}/hold/{i}" for i in range(8)), f"{host.url}/missing"))
    assert r.status == 400, r.text
    wait_for(lambda: host.active == 0, f"{host.active} fetches still running after the request failed")


def test_one_request_cannot_take_the_fetcher_from_others(make_gateway, host):
    """A request with 64 fetches that never end takes at most media_fetches connections: another client's
    image is fetched and answered while the first request still waits."""
    server = gateway(make_gateway, media_urls=64)
    first = threading.Thread(target=send, args=(server, images(*(f"{host.url}/hold/{i}" for i in range(64)))))
    first.start()
    try:
        wait_for(lambda: host.active >= 4, "the first request's fetches never started")
        r = send(server, images(f"{host.url}/img/100", text="marker-second-client"), timeout=25)
        assert r.status == 200, r.text
        assert first.is_alive() and host.active <= 4
    finally:
        host.release.set()
        first.join(60)
