"""Bad input, upstream failures, failover, cooldowns and client authentication."""

from __future__ import annotations

import time

import pytest

from tests.support.gateway import chat
from tests.support.http import get, post


def msg(text, model="gemini-2.5-flash", **extra):
    return {"model": model, "messages": [{"role": "user", "content": text}], **extra}


# client authentication


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"x-api-key": "wrong"}, {"x-goog-api-key": "wrong"}],
)
def test_openai_routes_need_a_key(gw, headers):
    r = post(f"{gw.url}/v1/chat/completions", msg("hi"), headers=headers)
    assert r.status == 401
    err = r.json()["error"]
    assert err["code"] == "invalid_api_key" and "key" in err["message"]


def test_gemini_routes_answer_401_in_google_shape(gw):
    r = post(f"{gw.url}/v1beta/models/gemini-2.5-flash:generateContent", {"contents": []}, headers={"x-goog-api-key": "nope"})
    assert r.status == 401
    assert r.json()["error"]["status"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("style", ["bearer", "x-api-key", "x-goog-api-key", "query"])
def test_every_key_placement_works(gw, style):
    url = f"{gw.url}/v1/models"
    headers = {"bearer": {"Authorization": f"Bearer {gw.key}"}, "x-api-key": {"x-api-key": gw.key}, "x-goog-api-key": {"x-goog-api-key": gw.key}, "query": {}}[style]
    if style == "query":
        url += f"?key={gw.key}"
    assert get(url, headers=headers).status == 200


def test_healthz_is_open(gw):
    r = get(f"{gw.url}/healthz")
    assert r.status == 200 and r.json() == {"status": "ok"}


def test_unknown_route_is_json_404(gw):
    r = get(f"{gw.url}/v1/nothing-here", key=gw.key)
    assert r.status == 404 and "error" in r.json()


# bad input


@pytest.mark.parametrize(
    "body, needle",
    [
        (None, "empty"),
        ({"model": "gemini-2.5-flash"}, "messages"),
        ({"model": "gemini-2.5-flash", "messages": "hi"}, "messages"),
        ({"model": "gemini-2.5-flash", "messages": []}, "messages"),
        (msg("x", temperature="hot"), "temperature"),
        (msg("x", temperature=5), "temperature"),
        (msg("x", max_tokens=0), "max_tokens"),
        (msg("x", stream="yes"), "stream"),
        (msg("x", frobnicate=True), "frobnicate"),
        (msg("x", reasoning_effort="ultra"), "reasoning_effort"),
        (msg("x", logit_bias={"1": 2}), "logit_bias"),
        (msg("x", tools=[{"type": "function"}]), "tools[0].function"),
        ({"model": "gemini-2.5-flash", "messages": [{"role": "wizard", "content": "x"}]}, "role"),
        ({"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": [{"type": "video", "video": "x"}]}]}, "type"),
        ({"model": "gemini-2.5-flash", "messages": [{"role": "assistant", "tool_calls": [{"id": "a", "function": {"name": "f", "arguments": "{not json"}}]}]}, "arguments"),
    ],
)
def test_bad_input_is_400_naming_the_field(gw, body, needle):
    r = post(f"{gw.url}/v1/chat/completions", body, key=gw.key)
    assert r.status == 400, r.text
    err = r.json()["error"]
    assert err["type"] == "invalid_request_error"
    assert needle in err["message"]


def test_malformed_json_is_400(gw):
    r = post(f"{gw.url}/v1/chat/completions", raw=b'{"model": "x", ', key=gw.key)
    assert r.status == 400 and "JSON" in r.json()["error"]["message"]


def test_unknown_model_is_404_with_hint(gw):
    r = chat(gw, msg("x", model="gpt-17"))
    assert r.status == 404
    err = r.json()["error"]
    assert err["code"] == "model_not_found" and "/v1/models" in err["message"]


# upstream failures


def test_upstream_400_is_passed_on_as_400(gw):
    r = chat(gw, msg("FAIL 400"))
    assert r.status == 400 and r.json()["error"]["message"]


def test_upstream_500_everywhere_is_googles_500(gw):
    r = chat(gw, msg("FAIL 500"))
    assert r.status == 500 and r.json()["error"]["type"] == "server_error"


def test_streaming_failure_before_first_byte_keeps_status(gw):
    r = chat(gw, msg("FAIL 500\nstream-case", stream=True))
    assert r.status == 500 and r.json()["error"]["type"] == "server_error"


def test_failover_on_429_once(make_gateway, fake_api):
    server = make_gateway()
    r = chat(server, msg("FAIL-ONCE 429\nfailover-1"))
    assert r.status == 200, r.text
    assert "echo: FAIL-ONCE 429\nfailover-1" in r.json()["choices"][0]["message"]["content"]
    cooling = [a for a in server.gateway.pool.accounts.values() if a.cooldowns]
    assert len(cooling) == 1
    cd = next(iter(cooling[0].cooldowns.values()))
    assert 0 < cd.until - time.time() < 10, "cooldown comes from the upstream's RetryInfo"


def test_all_cooling_gives_429_with_retry_after(make_gateway):
    server = make_gateway()
    r = chat(server, msg("FAIL 429\neverywhere"))
    assert r.status == 429
    assert int(r.headers["retry-after"]) >= 1
    assert "fake-key" not in r.text
    again = chat(server, msg("plain request"))
    assert again.status == 429 and "cooling" in again.json()["error"]["message"]
    # cooldowns expire by themselves
    time.sleep(float(r.headers["retry-after"]) + 0.2)
    assert chat(server, msg("plain request")).status == 200


def test_revoked_key_disables_account_and_pool_continues(make_gateway):
    server = make_gateway(api_keys=["fake-key-revoked", "fake-key-gamma"])
    for i in range(3):
        r = chat(server, msg(f"after revoke {i}"))
        assert r.status == 200, r.text
    revoked = [a for a in server.gateway.pool.accounts.values() if not a.record.enabled]
    assert [a.record.name for a in revoked] == ["acct-1"]
    assert "forbidden" in revoked[0].record.disabled_reason


def test_slow_upstream_gets_keepalives(gw):
    r = chat(gw, msg("SLOW 2.5", stream=True))
    assert r.status == 200
    assert ": keepalive" in r.text
    assert "echo: SLOW 2.5" in "".join(c["choices"][0]["delta"].get("content") or "" for c in r.sse() if c != "[DONE]" and c["choices"])


def test_first_byte_timeout_is_a_clean_error(make_gateway):
    server = make_gateway(
        upstreams={"gemini_api": {"first_byte_timeout": 1, "idle_timeout": 1}}, keepalive_seconds=5, max_attempts=1
    )
    r = chat(server, msg("SLOW 3\ntimeout"))
    assert r.status == 504, r.text
    assert r.json()["error"]["message"]


def test_upstream_down_at_start_still_serves_well_known_models(tmp_path, fake_api):
    from tests.support.gateway import GatewayThread, free_port

    dead = f"http://127.0.0.1:{free_port()}"
    with GatewayThread(tmp_path, dead, ["fake-key-alpha"]) as server:
        listed = get(f"{server.url}/v1/models", key=server.key).json()["data"]
        assert "gemini-2.5-flash" in {m["id"] for m in listed}
        r = chat(server, msg("x"))
        assert r.status == 502 and "cannot reach" in r.json()["error"]["message"]


def test_malformed_function_call_is_retried(gw):
    r = chat(gw, msg("MALFORMED-ONCE\nretry-me"))
    assert r.status == 200 and "echo: MALFORMED-ONCE\nretry-me" in r.json()["choices"][0]["message"]["content"]
    r = chat(gw, msg("MALFORMED-ONCE\nretry-me-stream", stream=True))
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in r.sse() if c != "[DONE]" and c["choices"])
    assert text == "echo: MALFORMED-ONCE\nretry-me-stream"


def test_malformed_everywhere_is_a_clean_502(gw):
    r = chat(gw, msg("MALFORMED"))
    assert r.status == 502 and "malformed function call" in r.json()["error"]["message"]


def test_empty_upstream_stream_is_an_error_not_an_empty_200(gw):
    # EMPTY: Google answered 200 with an empty event stream; the caller still gets an error, never an empty 200.
    r = chat(gw, msg("EMPTY"))
    assert r.status == 502 and "empty" in r.json()["error"]["message"]
