"""Upstream calls never follow redirects (issue 7 round 2, finding 6: an upstream 302 was followed and the
listener it pointed to got the account's x-goog-api-key). Every upstream call goes through HttpClient, and
Code Assist's token refresh through httpx (authlib); a fake upstream that redirects everything to a recording
listener must get no connection through to it, and the redirect is a clean TRANSIENT upstream error."""

from __future__ import annotations

import time

import pytest

from gemgate.errors import Failure, UpstreamError
from gemgate.store import AccountRecord
from gemgate.upstreams._http import HttpClient
from gemgate.upstreams.base import UpstreamSettings
from gemgate.upstreams.code_assist import CodeAssist
from gemgate.upstreams.code_assist.settings import CodeAssistSettings
from tests.support.canned import canned_server
from tests.support.gateway import chat
from tests.support.ssrf import Tripwire

REDIRECTS = [301, 302, 303, 307, 308]


def redirector(status: int, location: str):
    return canned_server(status, {"Location": location})


@pytest.fixture
def listener():
    with Tripwire() as wire:
        yield wire
    time.sleep(0.2)  # its thread accepts every 50 ms: a connection in flight is recorded before the check
    assert wire.hits == [], "a redirect was followed"


@pytest.mark.parametrize("status", REDIRECTS)
async def test_http_client_refuses_redirects(status, listener):
    client = HttpClient(UpstreamSettings(), "the Gemini API")
    await client.start()
    try:
        with redirector(status, f"http://127.0.0.1:{listener.port}/stolen") as url:
            with pytest.raises(UpstreamError) as caught:
                await client.json("POST", f"{url}/v1beta/models/m:generateContent", body=b"{}",
                                  headers={"x-goog-api-key": "AIza-secret"}, proxy=None)
    finally:
        await client.close()
    err = caught.value
    assert err.failure is Failure.TRANSIENT and err.retryable
    assert f"HTTP {status}" in err.message and "stolen" not in err.message and str(listener.port) not in err.message


def test_gateway_answers_an_upstream_redirect_as_an_upstream_error(make_gateway, listener):
    with redirector(302, f"http://127.0.0.1:{listener.port}/stolen") as url:
        server = make_gateway(upstreams={"gemini_api": {"base_url": url}}, max_attempts=2)
        r = chat(server, {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "hi"}]})
    assert r.status == 502, r.text
    message = r.json()["error"]["message"]
    assert "redirect" in message and "stolen" not in message and str(listener.port) not in message


@pytest.mark.parametrize("status", [302, 307])
async def test_code_assist_token_refresh_and_userinfo_refuse_redirects(status, listener):
    with redirector(status, f"http://127.0.0.1:{listener.port}/stolen") as url:
        upstream = CodeAssist(CodeAssistSettings(token_url=f"{url}/token", userinfo_url=f"{url}/userinfo"))
        await upstream.start()
        secret = {"profile": "antigravity", "refresh_token": "1//refresh-secret", "access_token": "ya29.stale",
                  "expiry": 0, "project_id": "p", "tier": "free-tier"}
        try:
            with pytest.raises(UpstreamError) as caught:
                await upstream.refresh_credential(AccountRecord(id="x", name="x", kind="code-assist", secret=secret))
            assert caught.value.failure is Failure.TRANSIENT
            assert await upstream._email({"access_token": "ya29.live"}, None) is None
        finally:
            await upstream.close()
