"""The Gemini API upstream against real recorded bytes: SSE framing, chunks, and error classification."""

from __future__ import annotations

import json

import pytest
from aiohttp import web

from gemgate.errors import Failure, Scope, UpstreamError
from gemgate.store import AccountRecord
from gemgate.upstreams.gemini_api import GeminiAPI, GeminiAPISettings
from gemgate.upstreams.google_errors import classify, parse_duration

ACCOUNT = AccountRecord("a", "a", "gemini-api", {"api_key": "k"})


async def serve_bytes(status: int, body: bytes, content_type: str):
    async def handler(request):
        return web.Response(status=status, body=body, headers={"Content-Type": content_type})

    app = web.Application()
    app.router.add_post("/v1beta/models/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    return runner, f"http://127.0.0.1:{port}"


async def stream_from(status, body, content_type="text/event-stream"):
    runner, url = await serve_bytes(status, body, content_type)
    api = GeminiAPI(GeminiAPISettings(base_url=url))
    await api.start()
    try:
        return [c async for c in api.stream(ACCOUNT, "gemini-2.5-flash", {"contents": []})]
    finally:
        await api.close()
        await runner.cleanup()


async def test_long_raw_capture(fixtures_dir):
    raw = (fixtures_dir / "gemini-api" / "junjihashimoto__louter__test-data_gemini_streaming_long_response.json").read_bytes()
    chunks = await stream_from(200, raw)
    assert len(chunks) == raw.count(b"data: ")
    assert chunks[-1]["candidates"][0]["finishReason"] == "STOP"
    assert all(c["usageMetadata"]["thoughtsTokenCount"] == 2042 for c in chunks)


async def test_function_call_capture_with_crlf(fixtures_dir):
    raw = (fixtures_dir / "gemini-api" / "junjihashimoto__louter__test-data_gemini_streaming_function_calling_response_0.json").read_bytes()
    chunks = await stream_from(200, raw.replace(b"\n", b"\r\n"))
    part = chunks[0]["candidates"][0]["content"]["parts"][0]
    assert part["functionCall"] == {"name": "getWeather", "args": {"location": "Tokyo"}}
    assert part["thoughtSignature"]


async def test_vercel_chunks_as_sse(fixtures_dir):
    lines = (fixtures_dir / "gemini-api" / "vercel__ai__packages_google_src___fixtures___google-tool-call-gemini3.chunks.txt").read_text().splitlines()
    body = "".join(f"data: {line}\n\n" for line in lines if line.strip()).encode()
    chunks = await stream_from(200, body)
    assert len(chunks) == len([x for x in lines if x.strip()])


async def test_empty_stream_is_malformed():
    # Google has answered 200 with an empty event stream (js-genai recording); it must not look like success.
    with pytest.raises(UpstreamError) as exc:
        await stream_from(200, b"")
    assert exc.value.failure is Failure.MALFORMED and exc.value.retryable


async def test_404_capture_with_sse_content_type(fixtures_dir):
    rec = json.loads((fixtures_dir / "gemini-api" / "googleapis__js-genai__test_system_recordings_Chats_Tests_sendMessage_Send_message_stream_with_error.json").read_text())
    resp = rec["interactions"][0]["response"]
    with pytest.raises(UpstreamError) as exc:
        await stream_from(resp["statusCode"], json.dumps(resp["bodySegments"][0]).encode(), resp["headers"]["Content-Type"])
    assert exc.value.failure is Failure.NOT_FOUND
    assert "is not found for API version v1beta" in exc.value.message


def test_429_capture_gives_retry_delay(fixtures_dir):
    body = (fixtures_dir / "gemini-api" / "vercel__ai__packages_google_src___fixtures___google-429-retry-info.json").read_bytes()
    err = classify(429, body)
    assert err.failure is Failure.RATE_LIMITED and err.retry_after == pytest.approx(34.4) and err.scope is Scope.MODEL


@pytest.mark.parametrize(
    "status, body, kind, scope, retry",
    [
        (400, {"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.", "status": "INVALID_ARGUMENT", "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}]}}, Failure.FORBIDDEN, Scope.ACCOUNT, None),
        (400, {"error": {"code": 400, "message": "bad schema", "status": "INVALID_ARGUMENT"}}, Failure.BAD_REQUEST, Scope.MODEL, None),
        (403, {"error": {"code": 403, "message": "Permission denied", "status": "PERMISSION_DENIED"}}, Failure.FORBIDDEN, Scope.ACCOUNT, None),
        (429, {"error": {"code": 429, "message": "x", "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "QUOTA_EXHAUSTED", "metadata": {"quotaResetDelay": "539.4ms"}}]}}, Failure.QUOTA_EXHAUSTED, Scope.MODEL, 0.5394),
        (429, {"error": {"code": 429, "message": "Please retry in 38.8s."}}, Failure.RATE_LIMITED, Scope.MODEL, 38.8),
        (429, [{"error": {"code": 429, "message": "No capacity", "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "MODEL_CAPACITY_EXHAUSTED"}]}}], Failure.CAPACITY, Scope.MODEL, None),
        (500, {"error": {"code": 500, "message": "internal"}}, Failure.TRANSIENT, Scope.MODEL, None),
        (503, {"error": {"code": 503, "message": "overloaded"}}, Failure.CAPACITY, Scope.MODEL, None),
        (504, {"error": {"code": 504, "message": "deadline"}}, Failure.TIMEOUT, Scope.MODEL, None),
    ],
)
def test_classification(status, body, kind, scope, retry):
    err = classify(status, json.dumps(body).encode())
    assert (err.failure, err.scope) == (kind, scope)
    assert err.retry_after == (pytest.approx(retry) if retry else None)


def test_non_json_error_body():
    """A page that is not a Google error (a proxy's) is not passed on: it names hosts of the operator's setup."""
    err = classify(502, b"<html>Bad Gateway: proxy.corp.internal could not reach 10.1.2.3</html>")
    assert err.failure is Failure.TRANSIENT and "HTTP 502 Bad Gateway" in err.message
    assert "corp" not in err.message and "10.1.2.3" not in err.message


def test_durations():
    assert parse_duration("34.4s") == 34.4
    assert parse_duration("539.477544ms") == pytest.approx(0.539477544)
    assert parse_duration("") is None and parse_duration("soon") is None
    assert parse_duration("2h37m22.776s") == pytest.approx(2 * 3600 + 37 * 60 + 22.776)  # Code Assist quotaResetDelay
    assert parse_duration("1m") == 60 and parse_duration("3m5s") == 185 and parse_duration("250ms") == 0.25
    assert parse_duration("h") is None and parse_duration("5x") is None


def test_secrets_are_redacted_from_messages():
    err = classify(400, json.dumps({"error": {"message": "key AIzaSyA1234567890abcdefghijklmnopqrstu is bad"}}).encode())
    assert "AIza" not in err.message and "[redacted]" in err.message
