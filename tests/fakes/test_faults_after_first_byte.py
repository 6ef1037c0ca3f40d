"""Faults after the HTTP 200 (FAIL-AFTER, RESET-AFTER, CUT-AFTER, STALL-AFTER), checked on the wire.

A raw socket client reads the exact bytes, including the chunked framing: whether the terminating
zero-length chunk came and whether the connection was reset.
"""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest

from gemgate.testing import ThoughtSigner, plan_reply

from tests.support.payloads import user
from tests.support.sse import parse_sse

SSE = "/v1beta/models/{model}:streamGenerateContent?alt=sse"
ARRAY = "/v1beta/models/{model}:streamGenerateContent"
GEN = "/v1beta/models/{model}:generateContent"
FLASH = "gemini-2.5-flash"
G3 = "gemini-3-flash-preview"
WORDS = "alpha beta gamma delta epsilon zeta eta theta"  # echo -> 3 content chunks
TIMEOUT = 10.0

ERROR_500_EVENT = (
    b'data: {"error": {"code": 500,"message": "An internal error has occurred. Please retry or report in '
    b'https://developers.generativeai.google/guide/troubleshooting","status": "INTERNAL"}}\r\n\r\n'
)
WEATHER = [{"functionDeclarations": [{"name": "get_weather", "parameters": {
    "type": "OBJECT", "properties": {"city": {"type": "STRING"}}}}]}]


@dataclass
class RawReply:
    status: int
    headers: dict[str, str]
    frames: list[bytes] = field(default_factory=list)  # HTTP/1.1 chunk payloads, or the whole body
    frame_times: list[float] = field(default_factory=list)  # when each frame had fully arrived
    terminated: bool = False  # zero-length chunk (or full Content-Length body) received
    reset: bool = False  # the peer reset the connection
    raw: bytes = b""

    @property
    def body(self) -> bytes:
        return b"".join(self.frames)


def raw_post(url: str, path: str, body: dict, timeout: float = TIMEOUT) -> RawReply:
    """POST over a bare socket and keep the bytes exactly as framed; never waits past `timeout`."""
    parts = urlsplit(url)
    data = json.dumps(body).encode()
    head = (f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nx-goog-api-key: fake-test-key\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\nConnection: close\r\n\r\n")
    deadline = time.monotonic() + timeout
    received: list[tuple[float, bytes]] = []
    reset = False
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        sock.sendall(head.encode() + data)
        while True:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                piece = sock.recv(65536)
            except ConnectionResetError:
                reset = True
                break
            except socket.timeout:
                raise AssertionError(f"no end of response within {timeout}s") from None
            if not piece:
                break
            received.append((time.monotonic(), piece))
    return _parse(received, reset)


def _parse(received: list[tuple[float, bytes]], reset: bool) -> RawReply:
    raw = b"".join(p for _, p in received)
    ends, total = [], 0
    for t, piece in received:
        total += len(piece)
        ends.append((total, t))

    def arrival(offset: int) -> float:
        return next(t for end, t in ends if end >= offset)

    if not raw:
        return RawReply(0, {}, reset=reset)
    head, _, rest = raw.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines[1:])}
    reply = RawReply(status, headers, reset=reset, raw=raw)
    pos = len(head) + 4
    if headers.get("transfer-encoding") == "chunked":
        while True:
            eol = raw.find(b"\r\n", pos)
            if eol < 0:
                break
            size = int(raw[pos:eol], 16)
            if size == 0:
                reply.terminated = raw[eol:eol + 4] == b"\r\n\r\n"
                break
            start, end = eol + 2, eol + 2 + size
            if len(raw) < end + 2:
                break  # a frame cut short
            assert raw[end:end + 2] == b"\r\n", "bad chunk framing"
            reply.frames.append(raw[start:end])
            reply.frame_times.append(arrival(end))
            pos = end + 2
    else:
        length = int(headers.get("content-length", len(rest)))
        reply.frames = [rest[:length]] if length else []
        reply.terminated = len(rest) >= length
    return reply


def post(fake_url, template: str, text: str, model: str = FLASH, **extra) -> RawReply:
    _, url = fake_url
    return raw_post(url, template.format(model=model), {"contents": [user(text)], **extra})


def sse_events(reply: RawReply) -> list[dict]:
    """Each HTTP chunk of the fake's SSE stream is exactly one ``data: <json>\\r\\n\\r\\n`` event."""
    events = []
    for frame in reply.frames:
        assert frame.startswith(b"data: ") and frame.endswith(b"\r\n\r\n") and frame.count(b"\r\n") == 2, frame
        events += parse_sse(frame)
    return events


def texts(chunks: list[dict]) -> str:
    return "".join(p.get("text", "") for c in chunks if "candidates" in c
                   for p in (c["candidates"][0].get("content") or {}).get("parts") or [] if not p.get("thought"))


def finishes(chunks: list[dict]) -> list:
    return [c["candidates"][0].get("finishReason") for c in chunks if "candidates" in c]


def full_text(prompt: str) -> str:
    return "echo: " + prompt


# -- the fake model: parsing and the finishing chunk -------------------------------------------------


def req(text: str, **extra) -> dict:
    return {"contents": [user(text)], **extra}


@pytest.mark.parametrize("line, kind, after, status, seconds", [
    ("FAIL-AFTER 2 500", "FAIL", 2, 500, 0.0),
    ("FAIL-AFTER 0 429", "FAIL", 0, 429, 0.0),
    ("  RESET-AFTER 1 ", "RESET", 1, None, 0.0),
    ("CUT-AFTER 2", "CUT", 2, None, 0.0),
    ("STALL-AFTER 1 0.5", "STALL", 1, None, 0.5),
])
def test_fault_lines_are_parsed(line, kind, after, status, seconds):
    reply = plan_reply(req(f"{WORDS}\n{line}"), FLASH, signer=ThoughtSigner(b"t"))
    assert not reply.is_error, "a fault after the first byte is not an HTTP error"
    fault = reply.fault
    assert (fault.kind, fault.after, fault.status, fault.seconds) == (kind, after, status, seconds)
    assert fault.retry_delay == (1.0 if status == 429 else None)


def test_fail_after_429_takes_an_optional_retry_delay():
    reply = plan_reply(req(f"{WORDS}\nFAIL-AFTER 1 429 7.5"), FLASH)
    assert reply.fault.retry_delay == 7.5


@pytest.mark.parametrize("text", [
    f"{WORDS} FAIL-AFTER 2 500",  # not on its own line
    f"{WORDS}\nFAIL-AFTER two 500",
    f"{WORDS}\nCUT-AFTER",
    f"{WORDS}\nSTALL-AFTER 2",
])
def test_malformed_fault_lines_are_plain_text(text):
    assert plan_reply(req(text), FLASH).fault is None


def test_the_first_fault_line_wins_and_fail_before_first_byte_wins_over_all():
    assert plan_reply(req(f"{WORDS}\nCUT-AFTER 1\nRESET-AFTER 2"), FLASH).fault.kind == "CUT"
    reply = plan_reply(req(f"{WORDS}\nFAIL-AFTER 1 500\nFAIL 503"), FLASH)
    assert reply.status == 503 and reply.fault is None


def test_a_fault_moves_the_finish_into_a_closing_chunk_of_its_own():
    plain = plan_reply(req(WORDS), FLASH)
    faulty = plan_reply(req(WORDS + "\nCUT-AFTER 99"), FLASH)
    assert plain.chunks[-1].finish_reason == "STOP" and plain.chunks[-1].parts[0]["text"]
    assert len(faulty.chunks) == 4 and faulty.fault.after == 3, "n is capped at the content chunks"
    assert [c.finish_reason for c in faulty.chunks] == [None, None, None, "STOP"]
    assert faulty.chunks[-1].parts == [{"text": ""}]


def test_gemini3_already_has_a_closing_chunk():
    reply = plan_reply(req(WORDS + "\nFAIL-AFTER 99 500"), G3)
    assert reply.chunks[-1].finish_reason == "STOP" and reply.chunks[-1].parts[0]["text"] == ""
    assert "thoughtSignature" in reply.chunks[-1].parts[0]
    assert reply.fault.after == len(reply.chunks) - 1


def test_a_tool_result_turn_has_no_directives():
    request = {"contents": [
        user("CALL get_weather {}\nCUT-AFTER 0"),
        {"role": "model", "parts": [{"functionCall": {"name": "get_weather", "args": {}}}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "get_weather", "response": {"output": "sun"}}}]},
    ], "tools": WEATHER}
    assert plan_reply(request, FLASH).fault is None


# -- FAIL-AFTER ----------------------------------------------------------------------------------------


def test_fail_after_sse_sends_n_chunks_then_one_error_event_and_ends(fake_url):
    prompt = f"{WORDS}\nFAIL-AFTER 2 500"
    r = post(fake_url, SSE, prompt)
    assert r.status == 200 and r.headers["content-type"] == "text/event-stream"
    assert r.terminated and not r.reset, "the stream ends normally after the error event"
    assert len(r.frames) == 3
    assert r.frames[-1] == ERROR_500_EVENT
    chunks = sse_events(r)[:2]
    assert finishes(chunks) == [None, None]
    assert full_text(prompt).startswith(texts(chunks)) and texts(chunks) != full_text(prompt)


def test_fail_after_429_carries_retry_info(fake_url):
    r = post(fake_url, SSE, f"{WORDS}\nFAIL-AFTER 1 429 2.5")
    events = sse_events(r)
    assert r.status == 200 and r.terminated and len(events) == 2
    error = events[-1]["error"]
    assert list(events[-1]) == ["error"]
    assert (error["code"], error["status"]) == (429, "RESOURCE_EXHAUSTED")
    assert error["message"].startswith("You exceeded your current quota")
    retry = [d for d in error["details"] if d["@type"] == "type.googleapis.com/google.rpc.RetryInfo"]
    assert retry == [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "2.5s"}]


def test_fail_after_zero_is_an_error_event_inside_a_200(fake_url):
    r = post(fake_url, SSE, f"{WORDS}\nFAIL-AFTER 0 500")
    assert r.status == 200 and r.terminated and r.frames == [ERROR_500_EVENT]


def test_fail_after_more_than_the_content_comes_before_the_finishing_chunk(fake_url):
    prompt = f"{WORDS}\nFAIL-AFTER 50 503"
    events = sse_events(post(fake_url, SSE, prompt))
    assert texts(events[:-1]) == full_text(prompt), "every content chunk was sent"
    assert finishes(events[:-1]) == [None, None, None], "the finishing chunk never was"
    assert events[-1] == {"error": {"code": 503, "message": "The model is overloaded. Please try again later.",
                                    "status": "UNAVAILABLE"}}


def test_fail_after_json_array_closes_the_array_after_the_error(fake_url):
    prompt = f"{WORDS}\nFAIL-AFTER 2 500"
    r = post(fake_url, ARRAY, prompt)
    assert r.status == 200 and r.headers["content-type"] == "application/json; charset=UTF-8"
    assert r.terminated and not r.reset
    assert r.frames[0].startswith(b"[{") and r.frames[1].startswith(b"\n,\r\n{")
    assert r.frames[-1].startswith(b"\n,\r\n{\n  \"error\": {") and r.frames[-1].endswith(b"}]")
    array = json.loads(r.body)
    assert len(array) == 3
    assert array[-1] == {"error": {"code": 500, "message": (
        "An internal error has occurred. Please retry or report in "
        "https://developers.generativeai.google/guide/troubleshooting"), "status": "INTERNAL"}}
    assert finishes(array[:2]) == [None, None]


def test_fail_after_zero_json_array_is_just_the_error(fake_url):
    array = json.loads(post(fake_url, ARRAY, f"{WORDS}\nFAIL-AFTER 0 429").body)
    assert len(array) == 1 and array[0]["error"]["code"] == 429


@pytest.mark.parametrize("status, name", [(429, "RESOURCE_EXHAUSTED"), (500, "INTERNAL")])
def test_fail_after_non_streaming_is_the_whole_error(fake_url, status, name):
    r = post(fake_url, GEN, f"{WORDS}\nFAIL-AFTER 2 {status}")
    assert r.status == status and r.terminated
    assert r.headers["content-type"] == "application/json; charset=UTF-8"
    error = json.loads(r.body)["error"]
    assert (error["code"], error["status"]) == (status, name)
    assert ("details" in error) == (status == 429)


def test_fail_after_a_tool_call(fake_url):
    r = post(fake_url, SSE, 'CALL get_weather {"city": "Oslo"}\nFAIL-AFTER 1 500', tools=WEATHER)
    events = sse_events(r)
    assert len(events) == 2 and r.terminated
    assert events[0]["candidates"][0]["content"]["parts"][0]["functionCall"] == {
        "name": "get_weather", "args": {"city": "Oslo"}}
    assert "finishReason" not in events[0]["candidates"][0]
    assert r.frames[-1] == ERROR_500_EVENT


def test_fail_after_records_the_200(fake_url):
    fake, _ = fake_url
    post(fake_url, SSE, f"{WORDS}\nFAIL-AFTER 1 500")
    assert fake.requests[-1].status == 200


# -- RESET-AFTER ---------------------------------------------------------------------------------------


def test_reset_after_sse_aborts_the_connection_without_a_terminating_chunk(fake_url):
    prompt = f"{WORDS}\nRESET-AFTER 2"
    r = post(fake_url, SSE, prompt)
    assert r.status == 200 and r.headers["transfer-encoding"] == "chunked"
    assert r.reset and not r.terminated
    assert not r.raw.endswith(b"0\r\n\r\n")
    events = sse_events(r)
    assert len(events) == 2 and finishes(events) == [None, None]
    assert texts(events) != full_text(prompt)


def test_reset_after_json_array_leaves_the_array_open(fake_url):
    r = post(fake_url, ARRAY, f"{WORDS}\nRESET-AFTER 1")
    assert r.status == 200 and r.reset and not r.terminated
    assert len(r.frames) == 1 and r.frames[0].startswith(b"[{") and not r.body.endswith(b"]")
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.body)
    assert finishes([json.loads(r.body[1:])]) == [None]


def test_reset_after_more_than_the_content(fake_url):
    prompt = f"{WORDS}\nRESET-AFTER 40"
    r = post(fake_url, SSE, prompt)
    events = sse_events(r)
    assert r.reset and not r.terminated
    assert texts(events) == full_text(prompt) and finishes(events) == [None, None, None]


def test_reset_after_non_streaming_sends_nothing(fake_url):
    fake, _ = fake_url
    r = post(fake_url, GEN, f"{WORDS}\nRESET-AFTER 2")
    assert r.reset and r.raw == b"" and r.status == 0
    assert fake.requests[-1].status is None


def test_reset_after_a_tool_call_on_gemini3(fake_url):
    r = post(fake_url, SSE, 'CALL get_weather {"city": "Rome"}\nRESET-AFTER 5', model=G3, tools=WEATHER)
    events = sse_events(r)
    assert r.reset and len(events) == 1
    part = events[0]["candidates"][0]["content"]["parts"][0]
    assert part["functionCall"]["name"] == "get_weather" and part["thoughtSignature"]


# -- CUT-AFTER -----------------------------------------------------------------------------------------


def test_cut_after_sse_ends_normally_without_the_finish(fake_url):
    prompt = f"{WORDS}\nCUT-AFTER 2"
    r = post(fake_url, SSE, prompt)
    assert r.status == 200 and r.terminated and not r.reset
    events = sse_events(r)
    assert len(events) == 2 and finishes(events) == [None, None]
    assert all("error" not in e for e in events)


def test_cut_after_more_than_the_content_sends_all_text_but_no_finish(fake_url):
    prompt = f"{WORDS}\nCUT-AFTER 100"
    r = post(fake_url, SSE, prompt)
    events = sse_events(r)
    assert r.terminated and texts(events) == full_text(prompt)
    assert finishes(events) == [None, None, None]
    usage = events[-1]["usageMetadata"]
    assert usage["candidatesTokenCount"] == len(full_text(prompt).split())


def test_cut_after_json_array_is_a_closed_array_without_finish(fake_url):
    r = post(fake_url, ARRAY, f"{WORDS}\nCUT-AFTER 2")
    assert r.terminated and not r.reset and r.body.endswith(b"}]")
    array = json.loads(r.body)
    assert len(array) == 2 and finishes(array) == [None, None]


def test_cut_after_non_streaming_is_the_partial_answer_without_finish(fake_url):
    prompt = f"{WORDS}\nCUT-AFTER 2"
    r = post(fake_url, GEN, prompt)
    assert r.status == 200 and r.terminated
    response = json.loads(r.body)
    candidate = response["candidates"][0]
    assert "finishReason" not in candidate and "finishMessage" not in candidate
    text = candidate["content"]["parts"][0]["text"]
    assert full_text(prompt).startswith(text) and text != full_text(prompt)
    assert response["usageMetadata"]["candidatesTokenCount"] == len(text.split())


def test_cut_after_a_tool_call_drops_the_finish_message(fake_url):
    r = post(fake_url, SSE, 'CALL get_weather {"city": "Lima"}\nCUT-AFTER 3', tools=WEATHER)
    events = sse_events(r)
    assert r.terminated and len(events) == 1
    assert "functionCall" in events[0]["candidates"][0]["content"]["parts"][0]
    assert "finishReason" not in events[0]["candidates"][0]
    assert "finishMessage" not in events[0]["candidates"][0]


# -- STALL-AFTER ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("template", [SSE, ARRAY])
def test_stall_after_pauses_then_completes(fake_url, template):
    prompt = f"{WORDS}\nSTALL-AFTER 1 0.6"
    r = post(fake_url, template, prompt)
    assert r.status == 200 and r.terminated and not r.reset
    assert len(r.frames) == 4, "three content chunks and the closing chunk"
    gaps = [b - a for a, b in zip(r.frame_times, r.frame_times[1:])]
    assert gaps[0] >= 0.55 and max(gaps[1:]) < 0.3, gaps
    chunks = sse_events(r) if template == SSE else json.loads(r.body)
    assert texts(chunks) == full_text(prompt)
    assert finishes(chunks) == [None, None, None, "STOP"]


def test_stall_after_more_than_the_content_pauses_before_the_finishing_chunk(fake_url):
    r = post(fake_url, SSE, f"{WORDS}\nSTALL-AFTER 9 0.5")
    gaps = [b - a for a, b in zip(r.frame_times, r.frame_times[1:])]
    assert len(r.frames) == 4 and gaps[-1] >= 0.45 and max(gaps[:-1]) < 0.3, gaps
    assert finishes(sse_events(r))[-1] == "STOP"


def test_stall_after_non_streaming_delays_the_whole_response(fake_url):
    prompt = f"{WORDS}\nSTALL-AFTER 1 0.5"
    started = time.monotonic()
    r = post(fake_url, GEN, prompt)
    assert time.monotonic() - started >= 0.5
    candidate = json.loads(r.body)["candidates"][0]
    assert r.status == 200 and candidate["finishReason"] == "STOP"
    assert candidate["content"]["parts"][0]["text"] == full_text(prompt)


# -- the google-genai SDK against the fake -------------------------------------------------------------


@pytest.mark.parametrize("status, error_class", [(429, "ClientError"), (500, "ServerError")])
def test_genai_sdk_raises_mid_iteration_on_fail_after(fake_url, status, error_class):
    genai = pytest.importorskip("google.genai")
    from google.genai import errors, types

    _, url = fake_url
    sdk = genai.Client(api_key="sdk-key", http_options=types.HttpOptions(
        base_url=url, api_version="v1beta", timeout=int(TIMEOUT * 1000)))
    received = []
    with pytest.raises(errors.APIError) as caught:
        for chunk in sdk.models.generate_content_stream(model=FLASH, contents=f"{WORDS}\nFAIL-AFTER 2 {status}"):
            received.append(chunk.text)
    assert len(received) == 2, "the chunks before the fault reach the caller first"
    assert type(caught.value).__name__ == error_class
    assert caught.value.code == status
    assert caught.value.status == ("RESOURCE_EXHAUSTED" if status == 429 else "INTERNAL")
