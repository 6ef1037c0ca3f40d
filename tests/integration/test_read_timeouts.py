"""Slow clients cannot hold the gateway (issue 7 round 2, finding 1): a request head must arrive within
[limits] head_seconds of its first byte and a body may go body_idle_seconds without a byte; then a 408 in the
caller's format and the connection closed. Before, 200 trickling heads and 200 stalled bodies were all still
open after 45 s. A stalled upload holds in the body budget only the bytes it sent (before, four connections
declaring 32 MiB and sending 8 bytes made every other large body a 503 for as long as they stayed). A client
that leaves mid-upload is booked 499 in the access log, without a traceback."""

from __future__ import annotations

import json
import logging
import socket
import time

import httpx
import pytest

from tests.support.dialects import MODEL, assert_google_error, assert_openai_error

CHAT = "/v1/chat/completions"
GENERATE = f"/v1beta/models/{MODEL}:generateContent"
MIB = 1024 * 1024


def connect(gw, head: bytes) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", gw.port))
    s.sendall(head)
    return s


def answer(s: socket.socket, wait: float = 20) -> tuple[int, dict, bytes]:
    """(status, headers, body) of the answer, read until the gateway closes the connection."""
    s.settimeout(wait)
    data = b""
    while chunk := s.recv(65536):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body


def assert_timeout(status: int, headers: dict, body: bytes, path: str, setting: str) -> None:
    assert status == 408, body[:300]
    assert headers["connection"] == "close" and headers["content-type"] == "application/json"
    error = json.loads(body)["error"]
    (assert_openai_error if path == CHAT else assert_google_error)(error)
    assert f"limits.{setting}" in error["message"]


@pytest.fixture
def gw(make_gateway):
    return make_gateway(limits={"head_seconds": 1.0, "body_idle_seconds": 1.0,
                                "body_bytes": 3 * MIB, "bodies_in_flight_bytes": 4 * MIB})


@pytest.mark.parametrize("path", [CHAT, GENERATE])
def test_a_trickling_head_is_a_408(gw, path):
    s = connect(gw, f"POST {path} HTTP/1.1\r\nHost: x\r\n".encode())
    started = time.monotonic()
    try:
        for _ in range(3):  # header lines keep coming, but the head never ends
            time.sleep(0.5)
            s.sendall(b"X-a: b\r\n")
    except OSError:
        pass  # already answered and closed
    assert_timeout(*answer(s), path, "head_seconds")
    assert time.monotonic() - started < 15


@pytest.mark.parametrize("path", [CHAT, GENERATE])
def test_a_stalled_body_is_a_408(gw, path):
    s = connect(gw, f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {gw.key}\r\n"
                    f"Content-Type: application/json\r\nContent-Length: 900000\r\n\r\n{{\"model\"".encode())
    assert_timeout(*answer(s), path, "body_idle_seconds")


def test_a_slow_but_steady_body_is_served(gw):
    body = json.dumps({"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}).encode()
    s = connect(gw, f"POST {CHAT} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {gw.key}\r\nConnection: close\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode())
    for i in range(0, len(body), len(body) // 4 + 1):  # 2 s in all, never 1 s idle
        time.sleep(0.4)
        s.sendall(body[i:i + len(body) // 4 + 1])
    status, _, text = answer(s)
    assert status == 200, text[:300]


def test_stalled_uploads_do_not_hold_the_budget(make_gateway, monkeypatch):
    monkeypatch.setattr("gemgate.http.budget.STALL_SECONDS", 0.5)
    gw = make_gateway(limits={"body_bytes": 3 * MIB, "bodies_in_flight_bytes": 4 * MIB})  # idle: 30 s
    stalled = [connect(gw, f"POST {CHAT} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {gw.key}\r\n"
                           f"Content-Type: application/json\r\nContent-Length: {3 * MIB - 100}\r\n\r\n"
                           '{"model"'.encode()) for _ in range(4)]
    try:
        time.sleep(1.0)  # past STALL_SECONDS: their reservations lapse
        text = "z" * (2 * MIB)
        with httpx.Client(timeout=30) as client:
            r = client.post(gw.url + CHAT, json={"model": MODEL, "messages": [{"role": "user", "content": text}]},
                            headers={"Authorization": f"Bearer {gw.key}"})
        assert r.status_code == 200, r.text[:300]
    finally:
        for s in stalled:
            s.close()


def test_a_client_leaving_mid_upload_is_a_499_without_traceback(gw, caplog):
    s = connect(gw, f"POST {CHAT} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {gw.key}\r\n"
                    f"Content-Type: application/json\r\nContent-Length: 900000\r\n\r\n{{\"model\"".encode())
    with caplog.at_level(logging.INFO):
        time.sleep(0.3)
        s.close()
        deadline = time.monotonic() + 10
        while not any("status=499" in r.getMessage() for r in caplog.records if r.name == "gemgate.access"):
            assert time.monotonic() < deadline, "no access-log line for the request"
            time.sleep(0.05)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
