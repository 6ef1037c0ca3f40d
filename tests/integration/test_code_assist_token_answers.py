"""Odd answers of the token endpoint (a proxy's page, a JSON list, lifetimes that are missing, past or absurd,
a rotated refresh token that is not a text): an UpstreamError or a sane credential, never a bare exception
(found attacking issue 8: a 200 HTML page made every request of the account a 500)."""

from __future__ import annotations

import time

import pytest
from aiohttp import web

from gemgate.errors import Failure, UpstreamError
from gemgate.upstreams.code_assist import oauth
from gemgate.upstreams.code_assist.profiles import PROFILES
from gemgate.upstreams.code_assist.settings import CodeAssistSettings
from tests.support.canned import canned_server
from tests.support.code_assist import CodeAssistGateway, running_fakes
from tests.support.gateway import chat

SECRET = {"profile": "antigravity", "refresh_token": "1//old-refresh"}


@pytest.mark.parametrize("status, content_type, body", [
    (200, "text/html", b"<html>captive portal</html>"),
    (200, "application/json", b"[1, 2]"),
    (403, "text/html", b"<html>blocked by policy</html>"),
])
async def test_a_token_answer_that_is_not_json_is_an_upstream_error(status, content_type, body):
    with canned_server(status, {"Content-Type": content_type}, body) as url:
        with pytest.raises(UpstreamError) as caught:
            await oauth.refresh(CodeAssistSettings(token_url=f"{url}/token"), PROFILES["antigravity"], dict(SECRET), None)
    assert caught.value.failure in (Failure.MALFORMED, Failure.TRANSIENT)
    assert "old-refresh" not in caught.value.message


@pytest.mark.parametrize("token", [
    {"access_token": "ya29.a"},
    {"access_token": "ya29.a", "expires_in": -100},
    {"access_token": "ya29.a", "expires_in": 1e308},
    {"access_token": "ya29.a", "expires_in": 3599, "refresh_token": 5},
    {"access_token": "ya29.a", "expires_in": 3599, "refresh_token": ""},
])
def test_lifetimes_and_refresh_tokens_that_make_no_sense_are_not_kept(token):
    now = time.time()
    secret = oauth.with_token(dict(SECRET), token, now)
    assert now < secret["expiry"] <= now + oauth.MAX_LIFETIME
    assert secret["refresh_token"] == "1//old-refresh"


def test_a_rotated_refresh_token_is_kept():
    assert oauth.with_token(dict(SECRET), {"access_token": "a", "refresh_token": "1//new"})["refresh_token"] == "1//new"


def test_a_proxy_page_from_the_token_endpoint_is_a_clean_502(tmp_path, monkeypatch):
    from gemgate.testing.fake_oauth import FakeGoogleOAuth

    portal = {"on": False}
    google = FakeGoogleOAuth._token

    async def token(self, request, exchange):
        if portal["on"]:
            return web.Response(status=200, body=b"<html>sign in to the hotel wifi</html>", content_type="text/html")
        return await google(self, request, exchange)

    monkeypatch.setattr(FakeGoogleOAuth, "_token", token)  # before the fake builds its routes
    with running_fakes() as fakes:
        email = "portal@example.com"
        fakes.ca.account(email, tier="g1-pro-tier")
        gw = CodeAssistGateway(tmp_path / "gw", fakes, {"acct": fakes.credential(email)}).start()
        try:
            portal["on"] = True
            fakes.oauth.expire_access_tokens(email)  # a 401, then a refresh that meets the page
            r = chat(gw, {"model": "gemini-3-flash", "messages": [{"role": "user", "content": "hi"}]})
            assert r.status == 502, r.text
            assert "token endpoint" in r.json()["error"]["message"]
        finally:
            gw.stop()
