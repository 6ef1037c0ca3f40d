"""Upstream faults after the first byte on the agent dialects' routes (issue 10): a Responses stream, a
background response, an Anthropic stream whose stop_sequences the gateway cuts itself, and the Code Assist
stream each end with one clean error in the caller's own format, never an empty 200 or a hang; the whole
(non-streaming) forms answer an error status. The chat and Gemini routes have test_faults_after_first_byte."""

from __future__ import annotations

import time

import pytest

from tests.support.dialects import within
from tests.support.http import get, post, request
from tests.support.sse import parse_sse, parse_sse_events

MODEL = "gemini-2.5-flash"
FAULTS = ["FAIL-AFTER 2 500", "RESET-AFTER 2", "CUT-AFTER 2", "FAIL-AFTER 2 429 30"]
TEXT = "alpha beta gamma delta epsilon zeta eta theta\n"


def responses(gw, directive: str, **more):
    return post(f"{gw.url}/v1/responses", {"model": MODEL, "input": TEXT + directive, **more}, key=gw.key)


def messages(gw, directive: str, stream: bool):
    body = {"model": MODEL, "max_tokens": 100, "stream": stream, "stop_sequences": ["never said"],
            "messages": [{"role": "user", "content": TEXT + directive}]}
    return request("POST", f"{gw.url}/v1/messages", body, key=gw.key, key_header="x-api-key",
                   headers={"anthropic-version": "2023-06-01"})


def code_assist(gw, directive: str, stream: bool):
    rpc = "streamGenerateContent?alt=sse" if stream else "generateContent"
    body = {"model": MODEL, "project": "p", "request": {"contents": [{"role": "user", "parts": [{"text": TEXT + directive}]}]}}
    return post(f"{gw.url}/v1internal:{rpc}", body, key=gw.key)


@pytest.mark.parametrize("fault", FAULTS)
def test_responses_stream_ends_in_one_response_failed(make_gateway, fault):
    gw = make_gateway(state_sync_seconds=3600)
    r = within(20, responses, gw, fault, stream=True)
    assert r.status == 200
    events = parse_sse_events(r.body)
    names = [name for name, _ in events]
    assert names[0] == "response.created" and names[-1] == "response.failed", names
    assert names.count("response.failed") == 1 and "response.completed" not in names
    error = events[-1][1]["response"]["error"]
    assert error["code"] == ("rate_limit_exceeded" if "429" in fault else "server_error") and error["message"]
    whole = within(20, responses, gw, fault)
    assert whole.status in (429, 502, 500) and whole.json()["error"]["message"], whole.text


@pytest.mark.parametrize("fault", FAULTS)
def test_background_response_is_kept_failed(make_gateway, fault):
    gw = make_gateway(state_sync_seconds=3600)
    rid = responses(gw, fault, background=True).json()["id"]
    deadline = time.monotonic() + 20
    while (got := get(f"{gw.url}/v1/responses/{rid}", key=gw.key).json())["status"] in ("queued", "in_progress"):
        assert time.monotonic() < deadline, "the background response never ended"
        time.sleep(0.1)
    assert got["status"] == "failed" and got["output"] == [] and got["error"]["message"], got


@pytest.mark.parametrize("fault", FAULTS)
def test_anthropic_stream_with_stop_sequences_ends_in_one_error_event(make_gateway, fault):
    gw = make_gateway(state_sync_seconds=3600)
    r = within(20, messages, gw, fault, True)
    assert r.status == 200
    names = [name for name, _ in parse_sse_events(r.body)]
    assert names[0] == "message_start" and names[-1] == "error" and names.count("error") == 1, names
    assert "message_stop" not in names
    whole = within(20, messages, gw, fault, False)
    assert whole.status >= 429 and whole.json()["type"] == "error", whole.text


@pytest.mark.parametrize("fault", FAULTS)
def test_code_assist_stream_ends_in_googles_error(make_gateway, fault):
    gw = make_gateway(state_sync_seconds=3600)
    r = within(20, code_assist, gw, fault, True)
    assert r.status == 200
    events = parse_sse(r.body)
    assert "response" in events[0] and set(events[-1]) == {"error"}, events
    assert sum("error" in e for e in events) == 1
    whole = within(20, code_assist, gw, fault, False)
    assert whole.status >= 429 and whole.json()["error"]["status"], whole.text
