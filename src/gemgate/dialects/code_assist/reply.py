"""Gemini answers in the Code Assist envelope: `{"response": <GenerateContentResponse>, "traceId": …}` for a
whole answer and for each streamed event (reference/codeassist-and-gemini-api.md §A3, "Response envelope";
the Gemini CLI maps `traceId` to its responseId and reads an event without `response` as no candidates).

Framing, keepalives and in-stream errors are the Gemini API's (`gemini_native.reply.GeminiReply`): the CLI
reads `data:` lines, skips blank ones (the keepalive) and comments, and `JSON.parse`s each event (@google/
gemini-cli-core 0.61 code_assist/server.js `requestStreamingPost`).
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

from ..base import RenderContext
from ..gemini_native.reply import GeminiReply


class CodeAssistReply(GeminiReply):
    """GeminiReply with each response wrapped as `{"response": …, "traceId": …}`; one trace id per request."""

    def __init__(self, *, sse: bool) -> None:
        super().__init__(sse=sse)
        self.trace_id = secrets.token_hex(8)

    def _wrap(self, response: dict) -> dict:
        return {"response": response, "traceId": self.trace_id}

    async def whole(self, response: dict, ctx: RenderContext) -> dict:
        """`{"response": <GenerateContentResponse>, "traceId"}`."""
        return self._wrap(response)

    async def stream(self, first: dict, rest: AsyncIterator[dict], ctx: RenderContext) -> AsyncIterator[bytes]:
        """GeminiReply's frames (SSE events, or the JSON array), each chunk wrapped."""

        async def wrapped() -> AsyncIterator[dict]:
            """The remaining chunks, each wrapped."""
            async for chunk in rest:
                yield self._wrap(chunk)

        frames = super().stream(self._wrap(first), wrapped(), ctx)
        try:
            async for frame in frames:
                yield frame
        finally:
            await frames.aclose()
