"""Issue 7 §3: bounded work per request. Each oversized input is refused with its status in the caller's
format, quickly, while /healthz keeps answering on another connection."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time

import pytest

from tests.support.http import Client

MODEL = "gemini-2.5-flash"


class DEFAULTS:
    """The documented defaults of gemgate.config.Limits (test_defaults_are_documented checks they agree)."""

    body_bytes = 32 * 1024 * 1024
    bodies_in_flight_bytes = 128 * 1024 * 1024
    model_name_chars = 256
    messages = 10_000
    parts_per_message = 1_000
    tools = 512
    embedding_inputs = 2_048
    json_depth = 100
    header_bytes = 64 * 1024
    head_seconds = 20.0
    body_idle_seconds = 30.0
    media_urls = 16
    media_bytes = 64 * 1024 * 1024
    media_fetches = 4


def test_defaults_are_documented():
    from gemgate.config import Limits, Settings

    assert Settings().limits == Limits()
    assert Limits().model_dump() == {k: v for k, v in vars(DEFAULTS).items() if not k.startswith("_")}


def nested(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


class Healthz:
    """Polls /healthz on its own connections while a test runs; records the slowest answer."""

    def __init__(self, gw) -> None:
        self.gw = gw
        self.slowest = 0.0
        self.answers = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            conn = http.client.HTTPConnection("127.0.0.1", self.gw.port, timeout=5)
            try:
                conn.request("GET", "/healthz")
                assert conn.getresponse().status == 200
                self.answers += 1
            except Exception:
                self.slowest = float("inf")
            finally:
                conn.close()
            self.slowest = max(self.slowest, time.monotonic() - started)
            time.sleep(0.01)

    def __enter__(self) -> Healthz:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(10)


def chat(**fields) -> dict:
    return {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], **fields}


HI = [{"role": "user", "parts": [{"text": "hi"}]}]
TOOL = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}

OVERSIZED = [
    # (name, path, body, status, words in the message)
    ("1 MB model name", "/v1/chat/completions", chat(model=MODEL + "-low" * 250_000), 400, "at most 256"),
    ("60000 -search suffixes", "/v1/chat/completions", chat(model=MODEL + "-search" * 60_000), 400, "at most 256"),
    ("257-char model name", "/v1/embeddings", {"model": "m" * 257, "input": "x"}, 400, "at most 256"),
    ("model name in the URL", "/v1beta/models/" + MODEL + "-search" * 2_000 + ":generateContent", {"contents": HI}, 400, "at most 256"),
    ("too many messages", "/v1/chat/completions", chat(messages=[{"role": "user", "content": "x"}] * (DEFAULTS.messages + 1)), 400, "limits.messages"),
    ("too many contents", f"/v1beta/models/{MODEL}:generateContent", {"contents": HI * (DEFAULTS.messages + 1)}, 400, "limits.messages"),
    (
        "too many parts",
        "/v1/chat/completions",
        chat(messages=[{"role": "user", "content": [{"type": "text", "text": "x"}] * (DEFAULTS.parts_per_message + 1)}]),
        400,
        "limits.parts_per_message",
    ),
    (
        "too many tool calls",
        "/v1/chat/completions",
        chat(messages=[{"role": "user", "content": "x"}, {"role": "assistant", "tool_calls": [
            {"id": f"c{i}", "type": "function", "function": {"name": "f", "arguments": "{}"}} for i in range(DEFAULTS.parts_per_message + 1)
        ]}]),
        400,
        "limits.parts_per_message",
    ),
    (
        "too many Anthropic system blocks",
        "/v1/messages",
        {"model": MODEL, "max_tokens": 5, "messages": [{"role": "user", "content": "x"}],
         "system": [{"type": "text", "text": "x"}] * (DEFAULTS.parts_per_message + 1)},
        400,
        "limits.parts_per_message",
    ),
    ("too many native parts", f"/v1beta/models/{MODEL}:generateContent", {"contents": [{"role": "user", "parts": [{"text": "x"}] * (DEFAULTS.parts_per_message + 1)}]}, 400, "limits.parts_per_message"),
    ("too many tools", "/v1/chat/completions", chat(tools=[TOOL] * (DEFAULTS.tools + 1)), 400, "limits.tools"),
    ("too many functions", "/v1/chat/completions", chat(functions=[TOOL["function"]] * (DEFAULTS.tools + 1)), 400, "limits.tools"),
    (
        "too many native tools",
        f"/v1beta/models/{MODEL}:generateContent",
        {"contents": HI, "tools": [{"functionDeclarations": [{"name": "f"}] * (DEFAULTS.tools + 1)}]},
        400,
        "limits.tools",
    ),
    ("too many embedding inputs", "/v1/embeddings", {"model": "text-embedding-004", "input": ["x"] * (DEFAULTS.embedding_inputs + 1)}, 400, "limits.embedding_inputs"),
    (
        "too many batch embeddings",
        "/v1beta/models/text-embedding-004:batchEmbedContents",
        {"requests": [{"content": {"parts": [{"text": "x"}]}}] * (DEFAULTS.embedding_inputs + 1)},
        400,
        "limits.embedding_inputs",
    ),
    ("JSON nested 101 deep", "/v1/chat/completions", chat(metadata={"x": nested(DEFAULTS.json_depth)}), 400, "deeper than 100"),
    ("JSON nested 5000 deep", f"/v1beta/models/{MODEL}:generateContent", {"contents": HI, "labels": {"x": nested(5000)}}, 400, "deeper than 100"),
    ("JSON nested 100000 deep", "/v1/embeddings", {"model": "text-embedding-004", "input": nested(100_000)}, 400, "JSON"),
]


def post_raw(gw, path: str, data: bytes, headers: dict | None = None) -> tuple[int, dict, float]:
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=30)
    try:
        hdrs = {"Authorization": f"Bearer {gw.key}", "x-goog-api-key": gw.key, "Content-Type": "application/json"}
        conn.request("POST", path, data, {**hdrs, **(headers or {})})
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read()), time.monotonic() - started
    finally:
        conn.close()



@pytest.mark.parametrize("path, body, status, words", [c[1:] for c in OVERSIZED], ids=[c[0] for c in OVERSIZED])
def test_oversized_input_is_refused_quickly(gw, path, body, status, words):
    data = _encode(body)
    with Healthz(gw) as health:
        code, answer, took = post_raw(gw, path, data)
    assert code == status, answer
    error = answer["error"]
    if path.startswith("/v1beta"):
        assert error["status"] == "INVALID_ARGUMENT" and error["code"] == status
    elif path.startswith("/v1/messages"):
        assert answer["type"] == "error" and error["type"] == "invalid_request_error"
    else:
        assert set(error) == {"message", "type", "param", "code"}
    assert words in error["message"], error
    # Bounds far below the faults they guard (a 30 s blocked loop) and far above a busy CI machine's jitter.
    assert took < 5.0
    assert health.slowest < 2.5 and health.answers >= 1


def _encode(body: object) -> bytes:
    """JSON text; deep nesting built as text (json.dumps would recurse)."""
    def deep_text(value: object) -> str:
        depth = 0
        while isinstance(value, list) and len(value) == 1:
            depth, value = depth + 1, value[0]
        if depth > 500:
            return "[" * depth + json.dumps(value) + "]" * depth
        return json.dumps(value if depth == 0 else nested(depth))

    if isinstance(body, dict):
        return ("{" + ",".join(f"{json.dumps(k)}:{_encode(v).decode()}" for k, v in body.items()) + "}").encode()
    if isinstance(body, list) and len(body) == 1 and isinstance(body[0], list):
        return deep_text(body).encode()
    return json.dumps(body).encode()


def test_content_length_over_the_limit_is_refused_before_reading(gw):
    """A declared 33 MiB body: 413 in the caller's format at once, without the gateway waiting for the bytes."""
    over = DEFAULTS.body_bytes + 1
    for path, google in (("/v1/chat/completions", False), (f"/v1beta/models/{MODEL}:generateContent", True)):
        with Healthz(gw) as health, socket.create_connection(("127.0.0.1", gw.port), timeout=10) as sock:
            started = time.monotonic()
            sock.sendall(
                f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {gw.key}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {over}\r\n\r\n{{".encode()
            )
            reply = b""
            while b"\r\n\r\n" not in reply or not reply.rstrip().endswith(b"}"):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                reply += chunk
            took = time.monotonic() - started
        head, _, body = reply.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 413"), reply[:300]
        assert b"connection: close" in head.lower()
        error = json.loads(body)["error"]
        if google:
            assert error["code"] == 413 and error["status"] == "INVALID_ARGUMENT"
        else:
            assert error["code"] == "request_too_large" and error["type"] == "invalid_request_error"
        assert "limits.body_bytes" in error["message"]
        assert took < 5.0 and health.slowest < 2.5  # see test_oversized_input_is_refused_quickly


def test_body_over_the_limit_without_content_length(make_gateway):
    """A chunked body is read only up to the limit, then refused with 413."""
    limit = 256 * 1024
    gw = make_gateway(limits={"body_bytes": limit})

    def chunks():
        yield b'{"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "'
        for _ in range(64):
            yield b"x" * 65536  # 4 MiB in all, 16 times the limit
        yield b'"}]}'

    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=30)
    started = time.monotonic()
    try:
        try:
            conn.request(
                "POST", "/v1/chat/completions", chunks(),
                {"Authorization": f"Bearer {gw.key}", "Content-Type": "application/json"}, encode_chunked=True,
            )
        except (BrokenPipeError, ConnectionResetError):
            pass  # the gateway stopped reading: what it answered is still there to read
        resp = conn.getresponse()
        status, answer = resp.status, json.loads(resp.read())
    finally:
        conn.close()
    assert status == 413
    assert answer["error"]["code"] == "request_too_large"
    assert time.monotonic() - started < 5
    # a body just under the limit still works
    text = "y" * (limit - 200)
    assert Client(gw.url, gw.key).post("/v1/chat/completions", chat(messages=[{"role": "user", "content": text}])).status == 200


def test_limits_are_configurable(make_gateway):
    gw = make_gateway(limits={"messages": 2, "tools": 1, "model_name_chars": 20, "json_depth": 10, "parts_per_message": 2})
    client = Client(gw.url, gw.key)
    cases = [
        (chat(messages=[{"role": "user", "content": "x"}] * 3), "messages"),
        (chat(tools=[TOOL, TOOL]), "tools"),
        (chat(model="gemini-2.5-flash-search-low"), "model"),
        (chat(metadata={"x": nested(10)}), None),
        (chat(messages=[{"role": "user", "content": [{"type": "text", "text": "x"}] * 3}]), "messages[0].content"),
    ]
    for body, param in cases:
        r = client.post("/v1/chat/completions", body)
        assert r.status == 400 and r.json()["error"]["param"] == param, r.text
    assert client.post("/v1/chat/completions", chat(messages=[{"role": "user", "content": "x"}] * 2)).status == 200
