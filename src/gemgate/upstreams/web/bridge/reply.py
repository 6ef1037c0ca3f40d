"""The bridge chat's answer: `data` = `{text, thoughts, images, model, modelName, conversation, temporary}` (and
`plan`, the deep-research plan or null, on a deep-research turn)
whole, or as SSE events: `{"type": "thought"|"text", "text": <delta>}` while it streams, then
`{"type": "done", …the success envelope}`, or `{"type": "error", …the error envelope}` when it fails midway.

`conversation` = `{"id", "responseId", "choiceId", "context"}` (the web app's cid, rid, rcid and context
token, reference/gemini-web-protocol.md §3.7): sent back as the next request's `conversation`, it continues
the chat. `images`: `[{"url", "alt"}]` (the answer's text also links them in Markdown).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import orjson

from ....dialects.base import RenderContext, Reply, StreamFormat
from ....errors import GatewayError
from ....gemini.parts import walk
from ..asked import Asked
from .envelope import classify, failed, ok

SSE = StreamFormat("text/event-stream", b": keepalive\n\n")


def _event(value: dict) -> bytes:
    return b"data: " + orjson.dumps(value) + b"\n\n"


class BridgeReply(Reply):
    """Writes one chat answer; `model` is the id the caller asked for, `turn` what the web kind told back, `rid`
    the envelope's requestId (set by the handler)."""

    stream_format = SSE

    def __init__(self, model: str, turn: Asked) -> None:
        self.model, self.turn, self.rid = model, turn, ""

    def data(self, text: str, thoughts: str) -> dict:
        """The `data` of the answer whose visible text and thoughts are these."""
        turn = self.turn
        conversation = None
        if turn.cid:
            conversation = {"id": turn.cid, "responseId": turn.rid, "choiceId": turn.rcid, "context": turn.context}
        return {
            "text": text, "thoughts": thoughts or None,
            "images": [{"url": i.get("url"), "alt": i.get("alt") or ""} for i in turn.images],
            "model": self.model, "modelName": turn.model_name, "conversation": conversation,
            "temporary": turn.temporary, **({"plan": turn.plan} if turn.research else {}),
        }

    async def whole(self, response: dict, ctx: RenderContext) -> dict:
        """The success envelope of a whole answer."""
        text, thoughts = [], []
        for _, part in walk(response):
            if isinstance(part.get("text"), str):
                (thoughts if part.get("thought") else text).append(part["text"])
        return ok(self.data("".join(text), "".join(thoughts)), self.rid)

    async def stream(self, first: dict, rest: AsyncIterator[dict], ctx: RenderContext) -> AsyncIterator[bytes]:
        """The SSE events of a streamed answer (see the module docstring)."""
        text, thoughts = [], []

        def events(chunk: dict) -> list[bytes]:
            """The chunk's text and thought deltas as events (kept for the closing `data`)."""
            out = []
            for _, part in walk(chunk):
                if isinstance(part.get("text"), str) and part["text"]:
                    thought = bool(part.get("thought"))
                    (thoughts if thought else text).append(part["text"])
                    out.append(_event({"type": "thought" if thought else "text", "text": part["text"]}))
            return out

        for frame in events(first):
            yield frame
        async for chunk in rest:
            for frame in events(chunk):
                yield frame
        yield _event({"type": "done", **ok(self.data("".join(text), "".join(thoughts)), self.rid)})

    def stream_error(self, err: GatewayError) -> bytes:
        """The error event ending a committed stream."""
        return _event({"type": "error", **failed(classify(err), err.message, self.rid)})
