"""A fault in the gateway's own code after parsing (pipeline, rendering) is a 500 in the caller's format, or
the dialect's in-stream error once a stream has started, on a connection that stays usable; the log has the
traceback without secrets (issue 7 §4). Faults are injected by monkeypatching one pipeline step so that it
fails only for prompts holding EXPLODE; the second request on the same keep-alive connection must work."""

from __future__ import annotations

import http.client
import io
import json
import logging

import pytest

from gemgate import pipeline, streaming
from gemgate.logs import RedactingFilter
from tests.support.dialects import MODEL, assert_google_error, assert_openai_error
from tests.support.sse import parse_sse

SECRET = "AIzaSyD" + "q" * 32  # looks like a Google API key: the log filter must hide it


def explode_on_marker(original):
    def step(*args, **kwargs):
        if "EXPLODE" in json.dumps(args[-1] if not kwargs else kwargs, default=str):
            raise RuntimeError(f"injected fault holding {SECRET}")
        return original(*args, **kwargs)
    return step


def exchange(conn: http.client.HTTPConnection, gw, dialect: str, text: str, stream: bool):
    if dialect == "openai":
        path = "/v1/chat/completions"
        body = {"model": MODEL, "messages": [{"role": "user", "content": text}], "stream": stream}
    else:
        path = f"/v1beta/models/{MODEL}:" + ("streamGenerateContent?alt=sse" if stream else "generateContent")
        body = {"contents": [{"role": "user", "parts": [{"text": text}]}]}
    conn.request("POST", path, json.dumps(body), {"Authorization": f"Bearer {gw.key}",
                                                  "Content-Type": "application/json"})
    response = conn.getresponse()
    return response.status, dict(response.getheaders()), response.read()


def assert_error(body: dict, dialect: str) -> None:
    (assert_openai_error if dialect == "openai" else assert_google_error)(body["error"])
    assert SECRET not in json.dumps(body)


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("dialect", ["openai", "gemini"])
def test_a_fault_before_the_answer_is_a_500_and_the_connection_lives(gw, monkeypatch, dialect, stream):
    monkeypatch.setattr(pipeline, "normalise_history", explode_on_marker(pipeline.normalise_history))
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=20)
    status, headers, body = exchange(conn, gw, dialect, "EXPLODE now", stream)
    assert status == 500, body[:300]
    assert_error(json.loads(body), dialect)
    assert headers.get("connection", "").lower() != "close"
    status, _, body = exchange(conn, gw, dialect, "hello again", stream)
    assert status == 200, body[:300]
    conn.close()


@pytest.mark.parametrize("dialect", ["openai", "gemini"])
def test_a_fault_opening_a_stream_is_a_500(gw, monkeypatch, dialect):
    monkeypatch.setattr(streaming, "malformed_call", explode_on_marker(streaming.malformed_call))
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=20)
    for stream in (True, False):
        status, _, body = exchange(conn, gw, dialect, "EXPLODE while opening", stream)
        assert status == 500, body[:300]
        assert_error(json.loads(body), dialect)
    assert exchange(conn, gw, dialect, "hello again", True)[0] == 200
    conn.close()


@pytest.mark.parametrize("dialect", ["openai", "gemini"])
def test_a_fault_mid_stream_is_an_error_event_and_a_clean_end(gw, monkeypatch, dialect):
    original = streaming._continued  # the rest of a stream, after its first chunk

    async def exploding(opened, *args):
        async for chunk in original(opened, *args):
            if "EXPLODE" in json.dumps(opened.first):  # the first chunk went out; the next one fails
                raise RuntimeError(f"injected rendering fault holding {SECRET}")
            yield chunk

    monkeypatch.setattr(streaming, "_continued", exploding)
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=20)
    status, _, body = exchange(conn, gw, dialect, "EXPLODE in the middle of a long enough answer", True)
    assert status == 200
    *chunks, last = parse_sse(body)
    assert chunks, "the first chunk went out before the fault"
    assert list(last) == ["error"]
    assert_error(last, dialect)
    assert exchange(conn, gw, dialect, "hello again", True)[0] == 200  # the chunked body was ended properly
    conn.close()


def test_a_logged_traceback_is_redacted():
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.addFilter(RedactingFilter())
    log = logging.getLogger("gemgate.test-redaction")
    log.addHandler(handler)
    try:
        try:
            raise RuntimeError(f"fault holding {SECRET}")
        except RuntimeError:
            log.exception("unhandled error serving a request")
    finally:
        log.removeHandler(handler)
    text = out.getvalue()
    assert "Traceback (most recent call last)" in text and "RuntimeError: fault holding [redacted]" in text
    assert SECRET not in text
