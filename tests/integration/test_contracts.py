"""What the pipeline hands on: thought signatures that survive a restart, one outcome record per request
with the caller's identity, and a clear 4xx when no upstream kind can do what is asked."""

from __future__ import annotations

import asyncio
import time

from gemgate.admin import create_key
from gemgate.outcome import Outcome
from gemgate.store import open_store
from gemgate.upstreams.base import Capability

from tests.support.gateway import API_KEYS, GatewayThread
from tests.support.http import get, post
from tests.support.upstream import upstream_body

WEATHER = {
    "type": "function",
    "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}},
}


def test_signature_survives_a_restart_between_call_and_replay(fake_api, tmp_path):
    model = "gemini-3-pro-preview"
    user = {"role": "user", "content": 'CALL get_weather {"city": "Oslo"}'}
    with GatewayThread(tmp_path / "gw", fake_api.url, API_KEYS) as first:
        r = post(f"{first.url}/v1/chat/completions", {"model": model, "tools": [WEATHER], "messages": [user]}, key=first.key)
        assert r.status == 200, r.text
        call = r.json()["choices"][0]["message"]["tool_calls"][0]
    with GatewayThread(tmp_path / "gw", fake_api.url, API_KEYS) as second:  # a new process: empty memory
        body = {
            "model": model,
            "tools": [WEATHER],
            "messages": [
                user,
                {"role": "assistant", "tool_calls": [call]},
                {"role": "tool", "tool_call_id": call["id"], "content": "snow marker-7301"},
            ],
        }
        r = post(f"{second.url}/v1/chat/completions", body, key=second.key)
    # The fake rejects a Gemini 3 replay without its genuine signature, so 200 proves the round trip.
    assert r.status == 200, r.text
    signature = upstream_body(fake_api, "marker-7301")["contents"][1]["parts"][0]["thoughtSignature"]
    assert signature not in ("", "skip_thought_signature_validator")


def _capture(server) -> list[Outcome]:
    seen: list[Outcome] = []
    server.gateway.outcomes.hooks.append(seen.append)
    return seen


def test_every_request_ends_in_one_outcome_with_identity_tokens_and_timing(make_gateway):
    server = make_gateway()
    settings = server.settings

    async def named_key():
        store = await open_store(settings)
        try:
            return (await create_key(store, "laptop"))[1]
        finally:
            await store.close()

    key = asyncio.run(named_key())
    seen = _capture(server)
    url = f"{server.url}/v1/chat/completions"
    msg = [{"role": "user", "content": "one two three four"}]
    deadline = 50
    while post(url, {"model": "gemini-2.5-flash", "messages": msg}, key=key).status == 401 and deadline:
        deadline -= 1  # the running gateway picks up new keys within state_sync_seconds
        time.sleep(0.1)
    seen.clear()
    assert post(url, {"model": "gemini-2.5-flash", "messages": msg}, key=key).status == 200
    assert post(url, {"model": "gemini-2.5-flash", "messages": msg, "stream": True}, key=server.key).status == 200
    assert post(url, {"model": "gemini-9", "messages": msg}, key=server.key).status == 404
    assert post(url, {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "FAIL 429"}]}, key=key).status == 429
    whole, stream, missing, failed = seen
    assert (whole.identity.name, whole.dialect, whole.operation, whole.status) == ("laptop", "openai", "generate", 200)
    assert whole.account in ("acct-1", "acct-2") and whole.kind == "gemini-api" and whole.attempts == 1
    # Times come from the event loop's clock, which uvloop keeps in whole milliseconds: a fast answer can be 0.0.
    assert whole.input_tokens == 4 and whole.output_tokens > 0 and 0 <= whole.ttfb <= whole.latency
    assert (stream.identity.name, stream.operation, stream.status) == ("config", "stream", 200)
    assert stream.output_tokens == whole.output_tokens and stream.ttfb is not None
    assert (missing.status, missing.account, missing.attempts) == (404, None, 0)
    assert failed.status == 429 and failed.attempts == 2 and failed.error


def test_each_api_is_named_in_its_outcomes(make_gateway):
    """Responses requests were logged as `dialect=openai`, like chat completions (found trying issue 10 as a new
    user): an endpoint may name its API."""
    server = make_gateway()
    seen = _capture(server)
    chat = {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "hi"}]}
    assert post(f"{server.url}/v1/chat/completions", chat, key=server.key).status == 200
    assert post(f"{server.url}/v1/responses", {"model": "gemini-2.5-flash", "input": "hi"}, key=server.key).status == 200
    assert get(f"{server.url}/v1/responses/resp_missing", key=server.key).status == 404
    assert [o.dialect for o in seen] == ["openai", "openai-responses", "openai-responses"]


def test_a_capability_no_kind_has_is_a_clear_400(make_gateway):
    server = make_gateway()
    server.gateway._kinds_with[Capability.EMBED] = frozenset()
    r = post(f"{server.url}/v1/embeddings", {"model": "gemini-embedding-001", "input": "x"}, key=server.key)
    assert r.status == 400 and "supports embed" in r.json()["error"]["message"]


def test_a_rejected_api_key_needs_reauth_and_the_pool_goes_on(make_gateway):
    server = make_gateway()
    url = f"{server.url}/v1/chat/completions"
    r = post(url, {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "FAIL-ONCE 401"}]}, key=server.key)
    assert r.status == 200, r.text  # failed over to the other account
    for i in range(3):  # the rejected account is tried again once, cannot refresh, and leaves the rotation
        r = post(url, {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": f"next {i}"}]}, key=server.key)
        assert r.status == 200, r.text
    stale = [a for a in server.gateway.pool.accounts.values() if a.reauth is not None]
    assert len(stale) == 1 and stale[0].record.enabled
    assert "cannot be refreshed" in stale[0].reauth and "fake-key" not in stale[0].reauth


def test_enabling_an_account_clears_a_rejected_credential_on_the_running_server(make_gateway):
    """`accounts enable` after a re-auth mark puts the account back at once: the running server must not keep
    an in-memory "credential rejected" flag from before the operator's change (found by a new user: the next
    innocent request failed with "cannot be refreshed" and sent both accounts back to re-auth)."""
    from gemgate.admin import enable_account

    server = make_gateway()
    url = f"{server.url}/v1/chat/completions"
    r = post(url, {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "FAIL 401 ACCESS_TOKEN_EXPIRED"}]},
             key=server.key)
    assert r.status == 502, r.text
    # The next request finds both credentials cannot be refreshed: that is the accounts' state, not its failure,
    # so it gets the pool's 503 naming no account (it got a 502 naming one before).
    after = post(url, {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "after"}]}, key=server.key)
    assert after.status == 503 and after.json()["error"]["code"] == "no_usable_account", after.text
    assert "acct-" not in after.text
    assert all(a.reauth for a in server.gateway.pool.accounts.values())
    out = post(url, {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "while out"}]}, key=server.key)
    assert out.status == 503 and out.json()["error"]["code"] == "no_usable_account"
    assert "acct-" not in out.text and "credential" not in out.text  # the operator's business, not the caller's
    time.sleep(1.0)  # the pool writes its state every state_sync_seconds: the marks reach the store first

    async def enable_all():
        store = await open_store(server.settings)
        try:
            for name in ("acct-1", "acct-2"):
                await enable_account(store, name)
        finally:
            await store.close()

    asyncio.run(enable_all())
    deadline = time.monotonic() + 5
    while any(a.reauth for a in server.gateway.pool.accounts.values()) and time.monotonic() < deadline:
        time.sleep(0.05)
    for i in range(4):
        r = post(url, {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": f"innocent {i}"}]}, key=server.key)
        assert r.status == 200, r.text
    assert not any(a.reauth for a in server.gateway.pool.accounts.values())
