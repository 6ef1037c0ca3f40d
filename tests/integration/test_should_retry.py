"""`x-should-retry`: an error that asking again cannot fix says `false`, so the clients built on the OpenAI and
Anthropic SDKs stop at once instead of retrying (Claude Code 2.1.197 retried a wrong key's 401 ten times with
backoff, minutes of silence in `-p` mode, until gemgate said so); 408, 409, 429 and 5xx say nothing, so they
are retried as before."""

from __future__ import annotations

import httpx
import pytest

from tests.support.http import post

ANTHROPIC = {"anthropic-version": "2023-06-01"}
CHAT = {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "hi"}]}
MESSAGES = {"model": "gemini-2.5-flash", "max_tokens": 100, "messages": [{"role": "user", "content": "hi"}]}
ROUTES = [
    ("/v1/chat/completions", CHAT, {}),
    ("/v1/responses", {"model": "gemini-2.5-flash", "input": "hi"}, {}),
    ("/v1/messages?beta=true", MESSAGES, ANTHROPIC),
    ("/v1beta/models/gemini-2.5-flash:generateContent", {"contents": [{"parts": [{"text": "hi"}]}]}, {}),
    ("/v1internal:generateContent",
     {"model": "gemini-2.5-flash", "request": {"contents": [{"parts": [{"text": "hi"}]}]}}, {}),
]


@pytest.mark.parametrize("path,body,headers", ROUTES)
def test_a_wrong_or_missing_key_is_not_retried(gw, path, body, headers):
    for key in ("wrong-key-123456", None):
        r = post(gw.url + path, body, key=key, key_header="x-api-key", headers=headers)
        assert r.status == 401 and r.headers.get("x-should-retry") == "false", (path, r.status, r.headers)


def test_bad_bodies_and_unknown_models_are_not_retried(gw):
    for path, body, headers in ROUTES[:3]:
        r = post(gw.url + path, raw=b"{not json", key=gw.key, headers=headers)
        assert r.status == 400 and r.headers.get("x-should-retry") == "false", (path, r.text)
        r = post(gw.url + path, {**body, "model": "gemini-9-nonexistent"}, key=gw.key, headers=headers)
        assert r.status == 404 and r.headers.get("x-should-retry") == "false", (path, r.text)


def test_a_request_head_refused_before_the_app_is_not_retried(gw):
    with httpx.Client(timeout=20) as client:
        r = client.post(gw.url + "/v1/chat/completions", json=CHAT,
                        headers={"Authorization": f"Bearer {gw.key}", "X-Big": "a" * 100_000})
    assert r.status_code == 431 and r.headers["x-should-retry"] == "false", r.headers


def test_rate_limits_and_overload_stay_retryable(make_gateway):
    gw = make_gateway()
    r = post(gw.url + "/v1/messages", {**MESSAGES, "messages": [{"role": "user", "content": "x\nFAIL 429"}]},
             key=gw.key, key_header="x-api-key", headers=ANTHROPIC)
    assert r.status == 429 and "x-should-retry" not in r.headers, r.headers
    r = post(gw.url + "/v1/messages", MESSAGES, key=gw.key, key_header="x-api-key", headers=ANTHROPIC)
    assert r.status == 529 and "x-should-retry" not in r.headers, r.headers  # every account cooling
    r = post(gw.url + "/v1/chat/completions", CHAT, key=gw.key)
    assert r.status in (429, 503) and "x-should-retry" not in r.headers, (r.status, r.headers)
