"""The request line and headers are bounded (issue 7 §3, [limits] header_bytes): a longer request line is a 414,
more headers a 431, a request that is not HTTP a 400, each a JSON error in the caller's format with
`Connection: close`, answered before the app sees the request. What a client receives is checked with httpx
(which sends its whole request before reading) and with a raw socket; before, uvicorn's httptools protocol
read headers of any size and answered unparsable requests in plain text."""

from __future__ import annotations

import socket

import httpx
import pytest

from tests.support.dialects import MODEL, assert_google_error, assert_openai_error

CHAT = "/v1/chat/completions"
GENERATE = f"/v1beta/models/{MODEL}:generateContent"
BODY = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}


def send(gw, path: str, headers: dict | None = None, params: dict | None = None) -> httpx.Response:
    with httpx.Client(timeout=20) as client:
        return client.post(gw.url + path, json=BODY if path == CHAT else {"contents": [{"parts": [{"text": "hi"}]}]},
                           headers={"Authorization": f"Bearer {gw.key}", **(headers or {})}, params=params)


def assert_refused(r: httpx.Response, status: int, path: str, limit: int = 64 * 1024) -> None:
    assert r.status_code == status, r.text[:300]
    assert r.headers["connection"] == "close" and r.headers["content-type"] == "application/json"
    error = r.json()["error"]
    if path == CHAT:
        assert_openai_error(error)
    else:
        assert_google_error(error)
        assert error["status"] == "INVALID_ARGUMENT"
    assert "limits.header_bytes" in error["message"] and str(limit) in error["message"]


@pytest.mark.parametrize("path", [CHAT, GENERATE])
@pytest.mark.parametrize("size", [100_000, 4_000_000])
def test_a_large_header_is_a_431(gw, path, size):
    assert_refused(send(gw, path, {"X-Big": "a" * size}), 431, path)


@pytest.mark.parametrize("path", [CHAT, GENERATE])
def test_many_headers_are_a_431(gw, path):
    headers = [(f"x-h{i}", "v") for i in range(7_000)]
    with httpx.Client(timeout=20) as client:
        r = client.post(gw.url + path, json=BODY, headers=[("Authorization", f"Bearer {gw.key}"), *headers])
    assert_refused(r, 431, path)


@pytest.mark.parametrize("path", [CHAT, GENERATE])
def test_a_long_url_is_a_414(make_gateway, path):
    server = make_gateway(limits={"header_bytes": 8192})  # httpx itself refuses URLs over 64 KiB
    assert_refused(send(server, path, params={"x": "a" * 20_000}), 414, path, 8192)


def test_a_head_under_the_limit_is_served(gw):
    r = send(gw, CHAT, {"X-Big": "a" * 60_000})
    assert r.status_code == 200, r.text[:300]


def test_the_limit_is_configurable(make_gateway):
    server = make_gateway(limits={"header_bytes": 8192})
    assert send(server, CHAT, {"X-Big": "a" * 6000}).status_code == 200
    assert_refused(send(server, CHAT, {"X-Big": "a" * 10_000}), 431, CHAT, 8192)


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1beta/models"])
def test_a_request_that_is_not_http_is_a_json_400(gw, path):
    with socket.create_connection(("127.0.0.1", gw.port), timeout=10) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n".encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ") and b"content-type: application/json" in head
    assert b"not valid HTTP/1.1" in body
    assert (b'"status":"INVALID_ARGUMENT"' in body) == path.startswith("/v1beta")
