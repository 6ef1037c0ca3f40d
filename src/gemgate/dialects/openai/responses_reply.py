"""Gemini responses -> a Responses API `response` object, or its stream of events.

Shapes per platform.openai.com/docs/api-reference/responses/object and /responses-streaming; the event
sequence is reference/client-harness.md §1 (created, in_progress, output_item.added, content_part.added,
output_text.delta/done, function_call_arguments.delta/done, reasoning_summary_*, output_item.done,
completed), every event with its `sequence_number`. A failure after the stream began is a `response.failed`
event whose error code tells Codex whether to retry (reference/client-harness.md §2: server_error and
rate_limit_exceeded are retried, invalid_prompt is not).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import orjson

from ...errors import GatewayError
from ...gemini.aggregate import aggregate, merge_field
from ...gemini.names import ToolNameMap
from ...gemini.parts import parts_of
from ..base import RenderContext, Reply, StreamFormat
from ..parts import new_id
from .responses_output import OutputBuilder
from .conversations import add_items
from .responses_store import NAMESPACE, RUNNING, heartbeat, keep_response

# SSE comments fill silences: every SSE parser skips them, so nothing renderable reaches the client.
RESPONSES_STREAM = StreamFormat("text/event-stream", b": keepalive\n\n")

def _first(response: dict) -> dict:
    """The candidate of index 0 (this API has one answer), {} when the response has none."""
    return next((c for c in response.get("candidates") or () if c.get("index", 0) == 0), {})


# Gemini finishReason -> incomplete_details.reason (anything else, and None, completes).
_INCOMPLETE = {
    "MAX_TOKENS": "max_output_tokens", "SAFETY": "content_filter", "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter", "PROHIBITED_CONTENT": "content_filter", "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter", "LANGUAGE": "content_filter",
}  # fmt: skip


def responses_usage(meta: dict | None) -> dict:
    """The Responses `usage` from a Gemini usageMetadata (tokens): output = candidates + thoughts,
    reasoning_tokens = thoughtsTokenCount, cached_tokens = cachedContentTokenCount."""
    meta = meta or {}
    prompt = int(meta.get("promptTokenCount") or 0)
    thoughts = int(meta.get("thoughtsTokenCount") or 0)
    output = int(meta.get("candidatesTokenCount") or 0) + thoughts
    return {
        "input_tokens": prompt,
        "input_tokens_details": {"cached_tokens": int(meta.get("cachedContentTokenCount") or 0)},
        "output_tokens": output,
        "output_tokens_details": {"reasoning_tokens": thoughts},
        "total_tokens": int(meta.get("totalTokenCount") or prompt + output),
    }


def failure_code(err: GatewayError) -> str:
    """The Responses error code for a failure: what makes Codex retry (server_error, rate_limit_exceeded) or
    stop at once (invalid_prompt: the request itself is wrong, another try gives the same)."""
    if err.status == 429:
        return "rate_limit_exceeded"
    if err.status >= 500:
        return "server_error"
    return "invalid_prompt"


@dataclass
class Echo:
    """The request's settings a response object repeats, and what is kept with a stored response."""

    model: str
    fields: dict  # instructions, tools, tool_choice, temperature, ... as the client sent them
    store: bool
    summaries: bool  # reasoning.summary asked for: thoughts as summary_text
    carry: bool  # include has reasoning.encrypted_content
    own: list = field(default_factory=list)  # this request's own Gemini contents (kept with a stored response)
    system: list = field(default_factory=list)  # system parts from input messages (kept; `instructions` are not)
    items: list = field(default_factory=list)  # the input items, each with an id (kept: input_items, item_reference)
    previous: str | None = None  # previous_response_id (a stored response links to it)
    background: bool = False  # run in the background (gemgate.background): answered at once, polled by GET
    conversation: str | None = None  # the conversation the input and output items are added to


class ResponsesReply(Reply):
    """Renders one Responses answer: the response object, or its event stream."""

    stream_format = RESPONSES_STREAM

    def __init__(
        self, echo: Echo, names: ToolNameMap, schemas: dict[str, dict], namespaced: dict[str, tuple[str, str]]
    ) -> None:
        self.echo = echo
        self.names = names
        self.schemas = schemas
        self.namespaced = namespaced
        self.id = new_id("resp_")
        self.created_at = int(time.time())
        self._seq = 0
        self._started = False

    def _builder(self, ctx: RenderContext) -> OutputBuilder:
        return OutputBuilder(self.names, self.schemas, self.echo.summaries, self.echo.carry, self.namespaced,
                             ctx.signatures.origin)

    def _response(self, status: str, output: list, usage: dict | None = None, **more) -> dict:
        """The response object (platform.openai.com/docs/api-reference/responses/object)."""
        return {
            "id": self.id, "object": "response", "created_at": self.created_at, "status": status,
            "background": self.echo.background, "error": None, "incomplete_details": None, "model": self.echo.model,
            "output": output, "usage": usage, **self.echo.fields, **more,
        }  # fmt: skip

    def _final(self, builder: OutputBuilder, reason: str | None, blocked: bool, usage_meta: dict | None) -> dict:
        why = "content_filter" if blocked else _INCOMPLETE.get(reason or "")
        more = {"incomplete_details": {"reason": why}} if why else {}
        if not why:
            more["completed_at"] = int(time.time())
        return self._response("incomplete" if why else "completed", builder.items, responses_usage(usage_meta), **more)

    async def _keep(self, builder: OutputBuilder, response: dict, turn: dict | None, ctx: RenderContext) -> None:
        """Signatures of the calls (for clients that do not send reasoning items back), and the response when
        `store` asked for it, before the client has the answer."""
        for call_id, signature in builder.signed:
            await ctx.signatures.put(call_id, signature)
        builder.signed.clear()
        async with ctx.kept(NAMESPACE).locked(self.id):  # no cancel between the check and the write
            if not await self._keepable(ctx):
                return
            if self.echo.conversation:  # with or without store, as OpenAI adds them
                await add_items(ctx, self.echo.conversation, self.echo.items + response["output"])
            if self.echo.store:
                await keep_response(ctx, response, self.echo, turn)

    async def _keepable(self, ctx: RenderContext) -> bool:
        """Whether the end of this response may be kept: always, but for a background run cancelled or deleted
        meanwhile (its kept state then stays as the client left it)."""
        if not self.echo.background:
            return True
        record = await ctx.kept(NAMESPACE).get(self.id)
        return record is not None and record["response"].get("status") in RUNNING

    async def whole(self, response: dict, ctx: RenderContext) -> dict:
        """The response object for a complete Gemini GenerateContentResponse."""
        builder = self._builder(ctx)
        cand = _first(response)
        for part in parts_of(cand):
            builder.feed(part)
        builder.finish(cand)
        blocked = bool((response.get("promptFeedback") or {}).get("blockReason"))
        final = self._final(builder, cand.get("finishReason"), blocked, response.get("usageMetadata"))
        await self._keep(builder, final, cand.get("content"), ctx)
        return final

    def _event(self, kind: str, fields: dict) -> bytes:
        data = {"type": kind, "sequence_number": self._seq, **fields}
        self._seq += 1
        return b"event: " + kind.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"

    def _opening(self) -> list[bytes]:
        self._started = True
        shell = self._response("in_progress", [])
        return [self._event("response.created", {"response": shell}),
                self._event("response.in_progress", {"response": shell})]

    async def stream(self, first: dict, rest: AsyncIterator[dict], ctx: RenderContext) -> AsyncIterator[bytes]:
        """The event stream; the response is kept (and call signatures stored) before `response.completed`."""
        for frame in self._opening():
            yield frame
        builder = self._builder(ctx)
        chunks: list[dict] = []
        cited: dict = {}

        async def all_chunks() -> AsyncIterator[dict]:
            """The first chunk, then the rest."""
            yield first
            async for chunk in rest:
                yield chunk

        async for chunk in all_chunks():
            chunks.append(chunk)
            cand = _first(chunk)
            for part in parts_of(cand):
                for kind, fields in builder.feed(part):
                    yield self._event(kind, fields)
            for key in ("groundingMetadata", "citationMetadata"):
                if key in cand:
                    merge_field(cited, key, cand[key])
        folded = aggregate(chunks)
        done = builder.finish(cited)
        cand = _first(folded)
        blocked = bool((folded.get("promptFeedback") or {}).get("blockReason"))
        final = self._final(builder, cand.get("finishReason"), blocked, folded.get("usageMetadata"))
        await self._keep(builder, final, cand.get("content"), ctx)
        for kind, fields in done:
            yield self._event(kind, fields)
        yield self._event("response.incomplete" if final["status"] == "incomplete" else "response.completed",
                          {"response": final})

    def _failure(self, err: GatewayError) -> dict:
        """The `failed` response object for `err` (its `error` as OpenAI's: code and message)."""
        return self._response("failed", [], error={"code": failure_code(err), "message": err.message})

    def stream_error(self, err: GatewayError) -> bytes:
        """`response.failed` with the error (after `response.created` when nothing was sent yet, as the SDK
        stream helpers require it first)."""
        frames = [] if self._started else self._opening()
        frames.append(self._event("response.failed", {"response": self._failure(err)}))
        return b"".join(frames)

    async def failed(self, err: GatewayError, ctx: RenderContext) -> None:
        """Keep the `failed` response (when `store`) before the client sees its `response.failed`: OpenAI keeps
        failed responses, readable by GET and continued from like others (their input, no output)."""
        async with ctx.kept(NAMESPACE).locked(self.id):
            if self.echo.store and await self._keepable(ctx):
                await keep_response(ctx, self._failure(err), self.echo, None)

    async def accepted(self, ctx: RenderContext) -> dict:
        """The `queued` response answered at once for `background: true`, kept with its heartbeat."""
        response = self._response("queued", [])
        await keep_response(ctx, response, self.echo, None, beat=True)
        return response

    async def alive(self, ctx: RenderContext) -> bool:
        """Renew the heartbeat (the first one also marks the run `in_progress`); False once the response was
        cancelled or deleted."""
        async with ctx.kept(NAMESPACE).locked(self.id):  # not over a cancel made meanwhile
            record = await heartbeat(ctx, self.id)
            if record is None or record["response"].get("status") not in RUNNING:
                return False
            if record["response"]["status"] == "queued":
                await keep_response(ctx, self._response("in_progress", []), self.echo, None, beat=True)
        return True
