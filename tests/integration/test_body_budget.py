"""The cap on request bodies held at once ([limits] bodies_in_flight_bytes, issue 7 §3): a large body that would
pass it is a 503 with Retry-After in the caller's format, small requests still pass, and the answer reaches a
client that sends its whole body before reading (the connection lingers instead of being reset). The memory
this bounds is measured in test_memory_bound.py."""

from __future__ import annotations

import threading
import time
import uuid

import httpx
import pytest

from tests.support.dialects import MODEL, assert_google_error, assert_openai_error

MIB = 1024 * 1024
LIMITS = {"body_bytes": 3 * MIB, "bodies_in_flight_bytes": 4 * MIB}


def chat(text: str) -> dict:
    return {"model": MODEL, "messages": [{"role": "user", "content": text}]}


def generate(text: str) -> dict:
    return {"contents": [{"role": "user", "parts": [{"text": text}]}]}


def big(directive: str = "") -> str:
    return f"{uuid.uuid4().hex} {directive}\n" + "z" * (2 * MIB + MIB // 2)


def post(server, path: str, body: dict) -> httpx.Response:
    with httpx.Client(timeout=30) as client:
        return client.post(server.url + path, json=body, headers={"Authorization": f"Bearer {server.key}"})


@pytest.fixture
def busy_gateway(make_gateway):
    """A gateway holding one large body (its upstream is silent for 3 s) while the test runs."""
    server = make_gateway(limits=LIMITS)
    holder = threading.Thread(target=post, args=(server, "/v1/chat/completions", chat(big("\nSLOW 3"))))
    holder.start()
    deadline = time.monotonic() + 10
    while server.app.middleware_stack is None or _held(server) < 2 * MIB:
        assert time.monotonic() < deadline, "the first body was never held"
        time.sleep(0.02)
    yield server
    holder.join()


def _held(server) -> int:
    layer = server.app.middleware_stack
    while layer is not None and type(layer).__name__ != "BodyBudget":
        layer = getattr(layer, "app", None)
    return 0 if layer is None else layer.held


@pytest.mark.parametrize("dialect", ["openai", "gemini"])
def test_a_large_body_past_the_cap_is_a_503(busy_gateway, dialect):
    if dialect == "openai":
        r = post(busy_gateway, "/v1/chat/completions", chat(big()))
    else:
        r = post(busy_gateway, f"/v1beta/models/{MODEL}:generateContent", generate(big()))
    assert r.status_code == 503, r.text[:300]
    assert r.headers["retry-after"] == "1"
    error = r.json()["error"]
    (assert_openai_error if dialect == "openai" else assert_google_error)(error)
    assert "limits.bodies_in_flight_bytes" in error["message"]


def test_small_requests_pass_while_the_cap_is_reached(busy_gateway):
    r = post(busy_gateway, "/v1/chat/completions", chat("hello"))
    assert r.status_code == 200, r.text[:300]


def test_the_cap_frees_when_the_answer_is_done(busy_gateway):
    deadline = time.monotonic() + 15
    while _held(busy_gateway) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _held(busy_gateway) == 0
    assert post(busy_gateway, "/v1/chat/completions", chat(big())).status_code == 200


def test_a_413_reaches_a_client_that_sends_its_whole_body(make_gateway):
    server = make_gateway(limits=LIMITS)
    r = post(server, "/v1/chat/completions", chat("w" * (40 * MIB)))
    assert r.status_code == 413 and r.headers["connection"] == "close"
    assert_openai_error(r.json()["error"])
