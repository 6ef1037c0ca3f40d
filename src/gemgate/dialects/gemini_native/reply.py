"""Gemini-native answers: the response JSON as is, streamed as SSE (`alt=sse`) or as one JSON array.

Wire forms per reference/codeassist-and-gemini-api.md §B1 and the captures in fixtures/gemini-api:
SSE events are `data: <GenerateContentResponse>` + CRLF CRLF; the default stream is a JSON array whose
elements are separated by `\\n,\\r\\n`. Errors are google.rpc.Status: `{"error": {code, message, status}}`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import orjson

from ...errors import GatewayError
from ..base import RenderContext, Reply, StreamFormat

# A blank line, not an SSE comment: Google's clients read any other line as JSON (google-genai's
# _iter_response_stream raises "Failed to parse response as JSON" on ": keepalive"; @google/genai's
# responseLineRE /^\s*data: .../ never matches a buffer starting with it and the stream stalls) but skip
# blank lines and leading whitespace.
SSE = StreamFormat("text/event-stream", b"\r\n")
JSON_ARRAY = StreamFormat("application/json", b"\n")

# google.rpc.Code names for HTTP statuses (cloud.google.com/apis/design/errors#handling_errors).
STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    413: "INVALID_ARGUMENT",
    414: "INVALID_ARGUMENT",
    431: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


def google_error_body(err: GatewayError) -> dict:
    """A google.rpc.Status error body: `{"error": {"code", "message", "status", "details"?}}`. When Google's own
    answer is passed on, its status code name (e.g. 400 FAILED_PRECONDITION), message and details (RetryInfo,
    QuotaFailure, Help, ... that Google's clients read) as Google sent them; else the status named from the
    HTTP code by STATUS_NAMES ("UNKNOWN" otherwise); reference/codeassist-and-gemini-api.md §B2."""
    status = err.rpc_status or STATUS_NAMES.get(err.status, "UNKNOWN")
    body = {"code": err.status, "message": err.google_message or err.message, "status": status}
    if err.details:
        body["details"] = err.details
    return {"error": body}


def sse_event(chunk: dict) -> bytes:
    """One SSE event as the Gemini API writes it: `data: <JSON>` and CRLF CRLF (reference §B1)."""
    return b"data: " + orjson.dumps(chunk) + b"\r\n\r\n"


class GeminiReply(Reply):
    """The Gemini API's own answer shapes; `sse` picks SSE over the JSON-array stream."""

    def __init__(self, *, sse: bool) -> None:
        self.sse = sse
        self.stream_format = SSE if sse else JSON_ARRAY
        self._array_open = False

    async def whole(self, response: dict, ctx: RenderContext) -> dict:
        """The GenerateContentResponse unchanged."""
        return response

    async def stream(self, first: dict, rest: AsyncIterator[dict], ctx: RenderContext) -> AsyncIterator[bytes]:
        """SSE events (`data: <chunk>` CRLF CRLF), or one JSON array written element by element (`[`, `\\n,\\r\\n`
        between elements, `]`), as the Gemini API streams without `alt=sse`.
        """
        if self.sse:
            yield sse_event(first)
            async for chunk in rest:
                yield sse_event(chunk)
            return
        self._array_open = True
        yield b"[" + orjson.dumps(first)
        async for chunk in rest:
            yield b"\n,\r\n" + orjson.dumps(chunk)
        yield b"]"
        self._array_open = False

    def stream_error(self, err: GatewayError) -> bytes:
        """The google.rpc.Status body as a last SSE event, or as the last array element (closing the array)."""
        body = orjson.dumps(google_error_body(err))
        if self.sse:
            return b"data: " + body + b"\r\n\r\n"
        return (b"\n,\r\n" + body + b"]") if self._array_open else (b"[" + body + b"]")
