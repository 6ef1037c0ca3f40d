"""The upstream fails AFTER its first chunk (the fake's FAIL-AFTER / RESET-AFTER / CUT-AFTER / STALL-AFTER).

Specification, in every dialect:

* streaming: the 200 is already committed; the client gets the chunks sent before the fault, then one
  clean in-stream error in its own format, and the response ends (no hang, no successful-looking end).
  A stream that stops without a finish (CUT-AFTER) is an upstream failure too.
* non-streaming: the gateway tries the other account; the fault hits every attempt, so the client gets a
  clean error status (429 for a 429, 5xx otherwise), never a 200 with partial content.
* the failure is booked on the account (errors / last_error; a 429 cools it).
* STALL-AFTER: keepalives fill the silence, then the answer completes normally.

Every request runs under a hard deadline, so a gateway that hangs fails the test instead of stalling it.
"""

from __future__ import annotations

import re
import time
import uuid

import pytest

from gemgate.testing import plan_reply
from gemgate.testing.gemini_fields import parse_request

from tests.support.dialects import (
    MODEL,
    STREAMING,
    WHOLE,
    assert_google_error,
    assert_openai_error,
    call,
    full_answer,
    gemini_finishes,
    gemini_text,
    openai_text,
    stream_events,
)
from tests.support.upstream import upstream_requests

WORDS = "alpha beta gamma delta epsilon zeta eta theta"  # the echo comes in 3 content chunks
QUIET = {"state_sync_seconds": 3600}  # keep the in-memory error counters until the test reads them


FAIL_429 = "FAIL-AFTER 2 429 30"
FAIL_500 = "FAIL-AFTER 2 500"
RESET = "RESET-AFTER 2"
CUT = "CUT-AFTER 2"
FAULTS = [FAIL_429, FAIL_500, RESET, CUT]  # one of each way a stream can fail after its start
CUT_ALL = "CUT-AFTER 99"  # every content chunk, only the finishing chunk is missing
FAIL_ALL = "FAIL-AFTER 99 500"
GENERATE = ("generateContent", "streamGenerateContent")  # the calls that carry the prompt


def prompt(directive: str) -> tuple[str, str]:
    marker = uuid.uuid4().hex[:10]
    return marker, f"echo {marker} {WORDS}\n{directive}"


def expected_prefix(fake_api, marker: str) -> str:
    """The answer text of the chunks the fake streamed before its fault, from the request it received."""
    record = upstream_requests(fake_api, marker, GENERATE)[0]
    reply = plan_reply(parse_request(record.body, "GenerateContentRequest"), record.model)
    assert reply.fault is not None, "the directive reached the fake"
    return "".join(p.get("text", "") for c in reply.chunks[: reply.fault.after] for p in c.parts
                   if not p.get("thought"))


def booked(server) -> list:
    return [a for a in server.gateway.pool.accounts.values() if a.errors or a.last_error]


# -- streaming: the client sees the chunks, then one clean error, then the end ----------------------------


STREAM_FAULTS = [
    FAIL_429,
    FAIL_500,
    FAIL_ALL,
    RESET,
    CUT,
    CUT_ALL,
]


@pytest.mark.parametrize("directive", STREAM_FAULTS)
@pytest.mark.parametrize("dialect", STREAMING)
def test_streaming_fault_is_one_clean_error_after_the_chunks(make_gateway, fake_api, dialect, directive):
    server = make_gateway(**QUIET)
    marker, text = prompt(directive)
    r = call(server, dialect, text, stream=True)
    assert r.status == 200, r.text
    events = stream_events(r, dialect)
    assert events, "the chunks before the fault reach the client"
    *chunks, last = events
    assert isinstance(last, dict) and list(last) == ["error"], f"the stream must end with an error, got {last!r}"
    assert all(isinstance(c, dict) and "error" not in c for c in chunks), "exactly one error event"
    prefix = expected_prefix(fake_api, marker)
    assert prefix and (prefix == full_answer(text)) == (" 99" in directive)
    if dialect == "openai":
        assert_openai_error(last["error"])
        assert "[DONE]" not in chunks, "no successful end marker"
        assert openai_text(chunks) == prefix
        assert all(c["choices"][0]["finish_reason"] is None for c in chunks if c.get("choices"))
        if "429" in directive:
            assert last["error"]["type"] == "rate_limit_error"
    else:
        assert_google_error(last["error"])
        assert gemini_text(chunks) == prefix
        assert gemini_finishes(chunks) == [], "no finishReason before the error"
        if "429" in directive:
            assert (last["error"]["code"], last["error"]["status"]) == (429, "RESOURCE_EXHAUSTED")
        else:
            assert last["error"]["code"] >= 500
    if dialect == "gemini-array":
        assert r.body.rstrip().endswith(b"]")


@pytest.mark.parametrize("directive", FAULTS)
@pytest.mark.parametrize("dialect", STREAMING)
def test_streaming_fault_is_booked_on_the_account(make_gateway, fake_api, dialect, directive):
    server = make_gateway(**QUIET)
    marker, text = prompt(directive)
    r = call(server, dialect, text, stream=True)
    assert r.status == 200
    calls = upstream_requests(fake_api, marker, GENERATE)
    assert len(calls) == 1, "a stream that has started is not retried"
    accounts = booked(server)
    assert len(accounts) == 1, [(a.record.name, a.errors, a.last_error) for a in server.gateway.pool.accounts.values()]
    account = accounts[0]
    assert account.record.secret["api_key"] == calls[0].api_key, "the account that served the stream"
    assert account.errors == 1 and account.last_error


@pytest.mark.parametrize("dialect", STREAMING)
def test_mid_stream_429_cools_the_account(make_gateway, fake_api, dialect):
    server = make_gateway(**QUIET)
    marker, text = prompt(FAIL_429)
    assert call(server, dialect, text, stream=True).status == 200
    key = upstream_requests(fake_api, marker, GENERATE)[0].api_key
    account = next(a for a in server.gateway.pool.accounts.values() if a.record.secret["api_key"] == key)
    assert MODEL in account.cooldowns, account.cooldowns
    remaining = account.cooldowns[MODEL].until - time.time()
    assert 20 < remaining <= 31, "the cooldown comes from the in-stream error's RetryInfo (30s)"
    others = [a for a in server.gateway.pool.accounts.values() if a is not account]
    assert all(not a.cooldowns for a in others)


# -- non-streaming: failover, then a clean error status -------------------------------------------------


WHOLE_FAULTS = [
    (FAIL_429, 429),
    (FAIL_500, 502),
    (RESET, 502),
    (CUT, 502),
    (CUT_ALL, 502),
]


@pytest.mark.parametrize("directive, status", WHOLE_FAULTS)
@pytest.mark.parametrize("dialect", WHOLE)
def test_non_streaming_fault_is_a_clean_error_status(make_gateway, dialect, directive, status):
    server = make_gateway(**QUIET)
    _, text = prompt(directive)
    r = call(server, dialect, text, stream=False)
    if status == 429:
        assert r.status == 429, r.text
    else:
        assert 500 <= r.status < 600, f"{r.status}: {r.text[:300]}"
    body = r.json()
    assert list(body) == ["error"], body
    if dialect == "openai":
        assert_openai_error(body["error"])
    else:
        assert_google_error(body["error"])
        assert body["error"]["code"] == r.status
    assert "echo:" not in r.text, "no partial content"


@pytest.mark.parametrize("directive", FAULTS)
@pytest.mark.parametrize("dialect", WHOLE)
def test_non_streaming_fault_fails_over_and_books_every_account(make_gateway, fake_api, dialect, directive):
    server = make_gateway(**QUIET)
    marker, text = prompt(directive)
    call(server, dialect, text, stream=False)
    keys = [r.api_key for r in upstream_requests(fake_api, marker, GENERATE)]
    assert len(keys) == 2 and len(set(keys)) == 2, f"both accounts tried once: {keys}"
    accounts = server.gateway.pool.accounts.values()
    assert all(a.errors == 1 and a.last_error for a in accounts), [(a.errors, a.last_error) for a in accounts]
    if "429" in directive:
        assert all(MODEL in a.cooldowns for a in accounts)


# -- STALL-AFTER: keepalives through the silence, then a normal end -------------------------------------


STALL = "STALL-AFTER 1 2.5"


@pytest.mark.parametrize("dialect", STREAMING)
def test_stall_mid_stream_gets_keepalives_and_completes(make_gateway, dialect):
    server = make_gateway(**QUIET)
    _, text = prompt(STALL)
    started = time.monotonic()
    r = call(server, dialect, text, stream=True)
    assert time.monotonic() - started >= 2.5
    assert r.status == 200, r.text
    events = stream_events(r, dialect)
    assert all(not (isinstance(e, dict) and "error" in e) for e in events), events
    if dialect == "openai":
        assert r.text.count(": keepalive\n\n") >= 2, r.text
        assert events[-1] == "[DONE]"
        assert openai_text(events) == full_answer(text)
        assert [c["choices"][0]["finish_reason"] for c in events[:-1] if c.get("choices")][-1] == "stop"
    else:
        if dialect == "gemini-sse":
            # Keepalives are blank lines between events (frames are "data: ...\r\n\r\n").
            assert re.sub(r"data: [^\r]*\r\n\r\n", "", r.text).count("\r\n") >= 2, r.text
        else:
            # The array's keepalive is whitespace between elements; the separators are "\n,\r\n".
            assert r.body.replace(b"\n,\r\n", b"").count(b"\n") >= 2, r.text
        assert gemini_text(events) == full_answer(text)
        assert gemini_finishes(events) == ["STOP"]
    assert not booked(server), "a slow stream is not an error"


@pytest.mark.parametrize("dialect", WHOLE)
def test_stall_mid_stream_non_streaming_completes(make_gateway, dialect):
    server = make_gateway(**QUIET)
    _, text = prompt(STALL)
    r = call(server, dialect, text, stream=False)
    assert r.status == 200, r.text
    body = r.json()
    if dialect == "openai":
        choice = body["choices"][0]
        assert choice["message"]["content"] == full_answer(text) and choice["finish_reason"] == "stop"
    else:
        assert gemini_text([body]) == full_answer(text)
        assert gemini_finishes([body]) == ["STOP"]
