"""The media fetcher's SSRF guard: every spelling of an inward address, directly or through a redirect, ends
in the one generic 400 and no connection (a tripwire listener fails the test if it is ever reached);
fetched bodies whose Content-Type lies are re-typed or refused.
"""

from __future__ import annotations

import asyncio
import base64
from contextlib import asynccontextmanager

import pytest
from hypothesis import HealthCheck, given, settings

from gemgate.config import Settings
from gemgate.errors import GatewayError
from gemgate.http.media import MediaFetcher
from tests.support.gateway import chat
from tests.support.ssrf import (
    GENERIC, JPEG, LOOPBACK_FORMS, OTHER_FORMS, PNG, GuardSpy, Tripwire, forbidden_urls, media_server, redirect,
)
from tests.support.upstream import upstream_body


@pytest.fixture(scope="module")
def _wire():
    with Tripwire() as wire:
        yield wire


@pytest.fixture
def tripwire(_wire):
    _wire.hits.clear()
    yield _wire
    assert _wire.hits == [], f"the guard let a connection reach loopback: {_wire.hits}"


@pytest.fixture(scope="module")
def media():
    with media_server() as base:
        yield base


@pytest.fixture
def spy(monkeypatch):
    spy = GuardSpy(monkeypatch)
    yield spy
    assert spy.passed() == [], f"the guard let sockets connect to {spy.passed()}"


@asynccontextmanager
async def fetcher(**overrides):
    f = MediaFetcher(Settings(**{"fetch_timeout": 5, **overrides}))
    await f.start()
    try:
        yield f
    finally:
        await f.close()


async def refused(f: MediaFetcher, url: str) -> None:
    with pytest.raises(GatewayError) as caught:
        await f.fetch(url, "messages[0].content[0].image_url.url")
    assert caught.value.status == 400
    assert caught.value.message == f"messages[0].content[0].image_url.url: {GENERIC}"


@pytest.mark.parametrize("form", LOOPBACK_FORMS)
async def test_loopback_forms_never_connect(form, tripwire, spy):
    async with fetcher() as f:
        await refused(f, form.format(p=tripwire.port))


@pytest.mark.parametrize("form", LOOPBACK_FORMS)
async def test_redirects_to_loopback_forms_never_connect(form, tripwire, spy, media):
    async with fetcher() as f:
        await refused(f, redirect(media, form.format(p=tripwire.port)))


@pytest.mark.parametrize("url", OTHER_FORMS)
async def test_other_forbidden_addresses_are_refused_before_any_packet(url, spy, media):
    async with fetcher() as f:
        await refused(f, url)
        await refused(f, redirect(media, url))


async def test_refusals_and_failures_read_the_same(spy, media):
    """A closed port, an unknown name, a 404, a redirect loop and a timeout read as a refused address does."""
    loop_url = redirect(media, redirect(media, redirect(media, redirect(media, redirect(media, f"{media}/png")))))
    async with fetcher() as f:
        for url in ("http://127.0.0.2:9/x", "http://no-such-host.invalid/x", f"{media}/missing", loop_url):
            await refused(f, url)
    async with fetcher(fetch_timeout=0.3) as f:
        await refused(f, f"{media}/slow")


@pytest.mark.parametrize("url", ["http://[::1/x", "http://[zz]/", "http://[::1]]/", "http:///x", "http://%zz/", "http://a:b:c/",
                                 "http://" + "a" * 300 + "/", "http://\udcff/", "http://xn--/", "http://a..b/"])
async def test_malformed_urls_are_the_generic_400(url, spy):
    async with fetcher() as f:
        await refused(f, url)


def test_generated_encodings_never_connect(tripwire, spy):
    """Random mixtures of full-width/circled/ASCII digits, dot variants, octal/hex/shorthand IPv4 and IPv6
    forms that carry or translate to forbidden addresses: always the generic 400, never a connection."""
    loop = asyncio.new_event_loop()
    f = MediaFetcher(Settings(fetch_timeout=5))
    loop.run_until_complete(f.start())

    @settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(url=forbidden_urls(tripwire.port))
    def check(url):
        spy.verdicts.clear()
        loop.run_until_complete(refused(f, url))
        assert tripwire.hits == [] and spy.passed() == [], url

    try:
        check()
    finally:
        loop.run_until_complete(f.close())
        loop.close()


async def test_allow_private_still_fetches_loopback(media):
    async with fetcher(fetch_allow_private=True) as f:
        assert await f.fetch(f"{media}/png", "p") == ("image/png", base64.b64encode(PNG).decode())


async def test_public_target_is_fetched_and_lying_types_are_fixed(spy, media):
    async with fetcher() as f:
        assert await f.fetch(redirect(media, f"{media}/png"), "p") == ("image/png", base64.b64encode(PNG).decode())
        assert (await f.fetch(f"{media}/jpeg-as-png", "p"))[0] == "image/jpeg"
        assert (await f.fetch(f"{media}/octet", "p"))[0] == "image/png"
        with pytest.raises(GatewayError) as caught:
            await f.fetch(f"{media}/html-as-png", "p")
        assert caught.value.status == 400 and "declared as image/png" in caught.value.message


def image_chat(url: str, marker: str = "ssrf") -> dict:
    return {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": [
        {"type": "text", "text": marker}, {"type": "image_url", "image_url": {"url": url}}]}]}


@pytest.mark.parametrize("form", LOOPBACK_FORMS[:8] + ["http://[::ffff:127.0.0.1]:{p}/x", "http://[64:ff9b::7f00:1]:{p}/x"])
def test_gateway_answers_generic_400_and_never_connects(form, gw, tripwire, spy, media):
    """End to end: an OpenAI chat request whose image_url is an inward form, directly or via a redirect."""
    for url in (form.format(p=tripwire.port), redirect(media, form.format(p=tripwire.port))):
        r = chat(gw, image_chat(url))
        assert r.status == 400, r.text
        assert r.json()["error"]["message"] == f"messages[0].content[1].image_url.url: {GENERIC}"
        assert r.json()["error"]["param"] == "messages[0].content[1].image_url.url"


def test_gateway_fetches_a_public_image_and_fixes_its_type(gw, fake_api, spy, media):
    r = chat(gw, image_chat(redirect(media, f"{media}/jpeg-as-png"), "marker-ssrf-ok"))
    assert r.status == 200, r.text
    part = upstream_body(fake_api, "marker-ssrf-ok")["contents"][-1]["parts"][1]
    assert part["inlineData"] == {"mimeType": "image/jpeg", "data": base64.b64encode(JPEG).decode()}


async def test_redirect_to_another_scheme_is_refused(spy, media):
    async with fetcher() as f:
        for location in ("file:///etc/passwd", "gopher://127.0.0.1:70/x", "ftp://10.0.0.1/x", "http://[::1/x"):
            await refused(f, redirect(media, location))
