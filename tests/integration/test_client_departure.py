"""A client that hangs up is noticed at once: the upstream call made for it is cancelled within about a
second, streaming or not, in every dialect (issue 7 §6). Measured on the fake's side: it records when its
handler was cancelled (its caller closed the connection) while it was still silent (``SLOW 20``).

Before: a stream noticed only when it committed its 200 (keepalive_seconds later), a whole answer ran to the
upstream's end.
"""

from __future__ import annotations

import http.client
import json
import socket
import time
import uuid

import pytest

from tests.support.dialects import MODEL
from tests.support.upstream import upstream_requests
from tests.support.web import WebGateway, cookie, psid, running_web_fake

BOUND = 3.0  # seconds; the old behaviour took 10 s (a keepalive interval) to 20 s (the whole upstream call)

ROUTES = {
    "openai": ("/v1/chat/completions", False),
    "openai-stream": ("/v1/chat/completions", True),
    "gemini": (f"/v1beta/models/{MODEL}:generateContent", False),
    "gemini-sse": (f"/v1beta/models/{MODEL}:streamGenerateContent?alt=sse", True),
    "gemini-array": (f"/v1/models/{MODEL}:streamGenerateContent", True),
    "gemini-count": (f"/v1beta/models/{MODEL}:countTokens", False),
    "responses": ("/v1/responses", False),
    "responses-stream": ("/v1/responses", True),
    "anthropic": ("/v1/messages", False),
    "anthropic-stream": ("/v1/messages", True),
    "anthropic-stop": ("/v1/messages", False),  # stop_sequences: the gateway's own cut reads the stream
    "anthropic-stop-stream": ("/v1/messages", True),
    "anthropic-count": ("/v1/messages/count_tokens", False),
    "code-assist": ("/v1internal:generateContent", False),
    "code-assist-stream": ("/v1internal:streamGenerateContent?alt=sse", True),
}


def body_for(route: str, text: str) -> dict:
    stream = ROUTES[route][1]
    if route.startswith("openai"):
        return {"model": MODEL, "messages": [{"role": "user", "content": text}], "stream": stream}
    if route.startswith("responses"):
        return {"model": MODEL, "input": text, "stream": stream}
    if route == "anthropic-count":
        return {"model": MODEL, "messages": [{"role": "user", "content": text}]}
    if route.startswith("anthropic"):
        stops = {"stop_sequences": ["never said"]} if "stop" in route else {}
        return {"model": MODEL, "max_tokens": 100, "messages": [{"role": "user", "content": text}], "stream": stream,
                **stops}
    contents = [{"role": "user", "parts": [{"text": text}]}]
    if route.startswith("code-assist"):  # the Gemini CLI's envelope (reference/codeassist-and-gemini-api.md §A3)
        return {"model": MODEL, "project": "gemgate", "request": {"contents": contents}}
    return {"contents": contents}


def wait_for(check, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.02)
    pytest.fail(f"{what} did not happen within {seconds}s")


def start(make_gateway, route: str, directive: str) -> tuple[http.client.HTTPConnection, str]:
    """A request on `route` (keepalives every 10 s) whose prompt holds a fresh marker and `directive`."""
    server = make_gateway(keepalive_seconds=10)
    marker = uuid.uuid4().hex[:10]
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.request("POST", ROUTES[route][0], json.dumps(body_for(route, f"{marker} one two three\n{directive}")),
                 {"Authorization": f"Bearer {server.key}", "Content-Type": "application/json"})
    return conn, marker


def leave_and_check(conn: http.client.HTTPConnection, record) -> None:
    """Hang up; the fake must see its handler cancelled within BOUND seconds."""
    conn.sock.shutdown(socket.SHUT_RDWR)
    conn.close()
    left = time.monotonic()
    wait_for(lambda: record.cancelled_at is not None, BOUND + 2, "the upstream call's cancellation")
    assert record.cancelled_at - left < BOUND


@pytest.mark.parametrize("route", list(ROUTES))
def test_the_upstream_call_stops_when_the_client_leaves(make_gateway, fake_api, route):
    conn, marker = start(make_gateway, route, "SLOW 20")
    record = wait_for(lambda: (upstream_requests(fake_api, marker) or [None])[0], 10, "the upstream call")
    time.sleep(0.3)  # the fake is silent now (SLOW)
    leave_and_check(conn, record)
    assert len(upstream_requests(fake_api, marker)) == 1, "no other account was tried for a client that left"


@pytest.mark.parametrize("route", ["openai-stream", "gemini-sse", "responses-stream", "anthropic-stream",
                                   "anthropic-stop-stream", "code-assist-stream"])
def test_a_stream_stops_when_the_client_leaves_after_the_first_chunk(make_gateway, fake_api, route):
    conn, marker = start(make_gateway, route, "STALL-AFTER 2 20")  # openai shows the thought chunk first
    response = conn.getresponse()
    assert response.status == 200
    seen = b""
    while marker.encode() not in seen:  # the first chunks (some dialects open with events of their own)
        more = response.read1(65536)
        assert more, seen
        seen += more
    leave_and_check(conn, upstream_requests(fake_api, marker)[0])  # then the fake stalls


def leave_web_stream(web_fake, conn, marker: str) -> None:
    """Hang up `conn` and check that the fake web app's call for `marker` is cancelled within BOUND seconds."""
    sent = next(ex for ex in web_fake.requests_to("StreamGenerate") if marker in str(ex.extra.get("inner")))
    conn.sock.shutdown(socket.SHUT_RDWR)
    conn.close()
    left = time.monotonic()
    wait_for(lambda: "cancelled_at" in sent.extra, BOUND + 2, "the web app call's cancellation")
    assert sent.extra["cancelled_at"] - left < BOUND


@pytest.mark.parametrize("impersonate", ["chrome", ""], ids=["curl_cffi", "aiohttp"])
def test_a_web_account_stream_stops_when_the_client_leaves(tmp_path, impersonate):
    """gemini-web over either transport: curl_cffi's own close waits for the transfer's end, so the gateway
    aborts it (upstreams.web.transport) and the web app sees the hang-up as the Gemini API does."""
    with running_web_fake() as web_fake:
        web_fake.account(psid("leave"))
        with WebGateway(tmp_path, web_fake.url, {"web-leave": {"cookie": cookie("leave")}},
                        web={"impersonate": impersonate}, keepalive_seconds=10) as server:
            marker = uuid.uuid4().hex[:10]
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
            body = {"model": "gemini-web/flash", "stream": True,
                    "messages": [{"role": "user", "content": f"{marker} one two three four five six\nSTALL-AFTER 1 20"}]}
            conn.request("POST", "/v1/chat/completions", json.dumps(body),
                         {"Authorization": f"Bearer {server.key}", "Content-Type": "application/json"})
            response = conn.getresponse()
            assert response.status == 200
            assert marker.encode() in response.read1(65536)  # the first chunk; then the web app stalls
            leave_web_stream(web_fake, conn, marker)


def test_a_bridge_chat_stream_stops_when_the_client_leaves(tmp_path):
    """The bridge's /api/chat stream (SSE in its own envelope) hangs up the web app as the dialects do."""
    with running_web_fake() as web_fake:
        web_fake.account(psid("leave-bridge"))
        with WebGateway(tmp_path, web_fake.url, {"web-leave": {"cookie": cookie("leave-bridge")}},
                        web={"impersonate": ""}, keepalive_seconds=10) as server:
            marker = uuid.uuid4().hex[:10]
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
            body = {"prompt": f"{marker} one two three four five six\nSTALL-AFTER 1 20", "stream": True}
            conn.request("POST", "/api/chat", json.dumps(body),
                         {"x-bridge-api-key": server.key, "Content-Type": "application/json"})
            response = conn.getresponse()
            assert response.status == 200
            assert marker.encode() in response.read1(65536)
            leave_web_stream(web_fake, conn, marker)
