"""Upstream events of any size stream through, and an event the gateway cannot read ends the answer cleanly
(issue 7 §5): a 502 before the first byte; after it, the dialect's in-stream error and a proper end.

SSE has no size limit: a large inline image answer is one event of megabytes (the fake's ``BIG <KiB>``). Events
the fake never sends (invalid UTF-8, JSON that is not an object, the wrong shape, an error event with an odd
code) come from `RawUpstream`.
"""

from __future__ import annotations

import uuid

import pytest

from tests.support.dialects import (
    STREAMING,
    WHOLE,
    assert_google_error,
    assert_openai_error,
    call,
    gemini_finishes,
    gemini_text,
    openai_text,
    stream_events,
)
from tests.support.gateway import GatewayThread
from tests.support.raw_upstream import RawUpstream


@pytest.mark.parametrize("kib", [600, 4096])
@pytest.mark.parametrize("dialect", STREAMING)
def test_a_large_event_streams_through(gw, dialect, kib):
    marker = uuid.uuid4().hex[:10]
    r = call(gw, dialect, f"echo {marker}\nBIG {kib}", stream=True)
    assert r.status == 200, r.body[:300]
    events = stream_events(r, dialect)
    if dialect == "openai":
        assert events[-1] == "[DONE]"
        text = openai_text(events)
    else:
        assert gemini_finishes(events) == ["STOP"]
        text = gemini_text(events)
    assert marker in text and "x" * (kib * 1024) in text
    assert not any(isinstance(e, dict) and "error" in e for e in events)


@pytest.mark.parametrize("dialect", WHOLE)
def test_a_large_event_in_a_whole_answer(gw, dialect):
    marker = uuid.uuid4().hex[:10]
    r = call(gw, dialect, f"echo {marker}\nBIG 1024", stream=False)
    assert r.status == 200, r.body[:300]
    body = r.json()
    if dialect == "openai":
        text = body["choices"][0]["message"]["content"]
    else:
        text = gemini_text([body])
    assert marker in text and "x" * (1024 * 1024) in text


GOOD = b'data: {"candidates": [{"content": {"role": "model", "parts": [{"text": "hello there "}]}}]}\r\n\r\n'
UNREADABLE = {
    "invalid UTF-8": b'data: {"candidates": [{"content": {"parts": [{"text": "\xff\xfe"}]}}]}\r\n\r\n',
    "invalid JSON": b"data: {nope\r\n\r\n",
    "not an object": b"data: [1, 2]\r\n\r\n",
    "parts not a list": b'data: {"candidates": [{"content": {"parts": "text"}}]}\r\n\r\n',
    "candidates not a list": b'data: {"candidates": 5}\r\n\r\n',
    "a part not an object": b'data: {"candidates": [{"content": {"parts": [7]}}]}\r\n\r\n',
    "error with an odd code": b'data: {"error": {"code": "boom", "message": "exploded", "details": 3}}\r\n\r\n',
    # Values of the wrong type where the gateway reads them (found by an attacker: each was a gateway 500).
    "a count that is text": b'data: {"candidates": [{"content": {"parts": [{"text": "a"}]}}], "usageMetadata": {"promptTokenCount": "x"}}\r\n\r\n',
    "a count that is a list": b'data: {"candidates": [{"content": {"parts": [{"text": "a"}]}}], "usageMetadata": {"thoughtsTokenCount": [1]}}\r\n\r\n',
    "a call that is text": b'data: {"candidates": [{"content": {"parts": [{"functionCall": "x"}]}}]}\r\n\r\n',
    "text that is a number": b'data: {"candidates": [{"content": {"parts": [{"text": 5}]}}]}\r\n\r\n',
    "logprobs that are text": b'data: {"candidates": [{"content": {"parts": [{"text": "a"}]}, "logprobsResult": "x"}]}\r\n\r\n',
    "a logprob that is text": b'data: {"candidates": [{"content": {"parts": [{"text": "a"}]}, "logprobsResult": {"chosenCandidates": [{"token": "a", "logProbability": "x"}]}}]}\r\n\r\n',
    "citations that are a list": b'data: {"candidates": [{"content": {"parts": [{"text": "a"}]}, "citationMetadata": []}]}\r\n\r\n',
    "grounding that is text": b'data: {"candidates": [{"content": {"parts": [{"text": "a"}]}, "groundingMetadata": "x"}]}\r\n\r\n',
    "an index that is text": b'data: {"candidates": [{"index": "a", "content": {"parts": [{"text": "a"}]}}]}\r\n\r\n',
}


@pytest.fixture(scope="module")
def raw_gw(tmp_path_factory):
    upstream = RawUpstream()
    with upstream.running() as url:
        with GatewayThread(tmp_path_factory.mktemp("raw"), url, ["raw-key-1", "raw-key-2"]) as server:
            server.upstream = upstream
            yield server


def assert_error(body: dict, dialect: str) -> None:
    if dialect == "openai":
        assert_openai_error(body["error"])
    else:
        assert_google_error(body["error"])


@pytest.mark.parametrize("event", list(UNREADABLE))
@pytest.mark.parametrize("dialect, stream", [(d, True) for d in STREAMING] + [(d, False) for d in WHOLE])
def test_an_unreadable_first_event_is_a_502(raw_gw, dialect, stream, event):
    raw_gw.upstream.body = UNREADABLE[event]
    r = call(raw_gw, dialect, "hello", stream=stream)
    if event == "error with an odd code":  # classified as Google's 500 and kept as such (not the gateway's own)
        assert r.status in (500, 502) and "exploded" in r.json()["error"]["message"], (r.status, r.body[:300])
    else:
        assert r.status == 502, (r.status, r.body[:300])
    assert_error(r.json(), dialect)


@pytest.mark.parametrize("event", list(UNREADABLE))
@pytest.mark.parametrize("dialect", STREAMING)
def test_an_unreadable_later_event_ends_the_stream_with_an_error(raw_gw, dialect, event):
    raw_gw.upstream.body = GOOD + UNREADABLE[event] + GOOD
    r = call(raw_gw, dialect, "hello", stream=True)
    assert r.status == 200, r.body[:300]
    *chunks, last = stream_events(r, dialect)  # a gemini-array body parses: the array was closed
    assert list(last) == ["error"], last
    assert_error(last, dialect)
    assert last["error"]["code" if dialect != "openai" else "type"]
    text = openai_text(chunks) if dialect == "openai" else gemini_text(chunks)
    assert text == "hello there "
