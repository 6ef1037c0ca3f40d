"""Gemini responses -> Anthropic Messages: one `message`, or its server-sent events.

Shapes per docs.anthropic.com/en/api/messages and /en/docs/build-with-claude/streaming: `event:` lines
(Claude Code and the SDK's stream helper need them, client-harness.md §4-5), message_start with usage,
content_block_start / _delta / _stop per block (text_delta, thinking_delta, signature_delta,
input_json_delta), message_delta with stop_reason and the final usage, message_stop; `ping` in silences.

One state machine (`_Blocks`) turns parts into blocks for both answers, so the streamed blocks are the whole
answer's (gemini.aggregate joins what the machine would append anyway). Thoughts go only into thinking
blocks, never into text. A thinking block's `signature` is the Gemini thought signature of the function
call right after it (prefixed, content.SIGNATURE_PREFIX), so a client that replays the block brings the
signature back even to a gateway that has lost its store; every call's signature is also stored by tool_use
id, for clients that drop thinking blocks (Claude Code does). Signatures on text parts are optional for
Gemini and not carried.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import orjson

from ...errors import GatewayError
from ...gemini.args import restore_arg_types
from ...gemini.names import ToolNameMap
from ...gemini.parts import parts_of, usage_tokens
from ...gemini.stops import MATCHED
from ..base import RenderContext, Reply, StreamFormat
from ..parts import new_id
from .content import SIGNATURE_PREFIX
from .errors import error_event

MESSAGES_STREAM = StreamFormat("text/event-stream", b'event: ping\ndata: {"type": "ping"}\n\n')

# Gemini finish reasons (ai.google.dev/api/generate-content#FinishReason) Anthropic calls a refusal.
_REFUSALS = frozenset({
    "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT",
    "IMAGE_RECITATION", "LANGUAGE",
})  # fmt: skip


def stop_reason(gemini_reason: str | None, has_calls: bool, blocked: bool, matched: str | None = None) -> str:
    """Anthropic's stop_reason: max_tokens, refusal (safety kinds, a blocked prompt), tool_use when the answer
    calls tools (the client must answer the call even when text after it hit a stop sequence), stop_sequence
    when the gateway matched one (`matched`, gemini.stops.MATCHED), else end_turn. Gemini reports a stop
    sequence it matched itself as a plain STOP ("Natural stop point of the model or provided stop sequence",
    ai.google.dev/api/generate-content#FinishReason): that one cannot be told apart and is end_turn."""
    if blocked or gemini_reason in _REFUSALS:
        return "refusal"
    if gemini_reason == "MAX_TOKENS":
        return "max_tokens"
    if has_calls:
        return "tool_use"
    return "stop_sequence" if matched is not None else "end_turn"


def _sequence(reason: str, matched: str | None) -> str | None:
    """The `stop_sequence` field: the matched sequence when it is why the answer stopped, else null."""
    return matched if reason == "stop_sequence" else None


def anthropic_usage(meta: dict | None) -> dict:
    """Anthropic `usage` from a Gemini usageMetadata: input_tokens without the cached part (read from the cache,
    cache_read_input_tokens), output_tokens = answer + thoughts; Gemini writes no cache entries on request."""
    prompt, output, thoughts, cached = usage_tokens(meta)
    return {"input_tokens": max(0, prompt - cached), "output_tokens": output + thoughts,
            "cache_creation_input_tokens": 0, "cache_read_input_tokens": cached}


def _event(kind: str, data: dict) -> bytes:
    return b"event: " + kind.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


class _Blocks:
    """Content blocks from parts in order. Each change is also a list of (event type, data) for the stream."""

    def __init__(self, reply: MessagesReply) -> None:
        self.reply = reply
        self.blocks: list[dict] = []
        self.open: str | None = None  # type of the block still open ("text", "thinking", "tool_use"), None: none
        self.has_calls = False
        self.signed: list[tuple[str, str]] = []  # (tool_use id, signature) to store before the call is sent

    def _start(self, block: dict, out: list) -> None:
        self.blocks.append(block)
        self.open = block["type"]
        shown = {**block, "input": {}} if block["type"] == "tool_use" else dict(block)  # as it starts, not as it grows
        out.append(("content_block_start", {"type": "content_block_start", "index": len(self.blocks) - 1,
                                            "content_block": shown}))

    def _delta(self, delta: dict, out: list) -> None:
        out.append(("content_block_delta", {"type": "content_block_delta", "index": len(self.blocks) - 1,
                                            "delta": delta}))

    def close(self, out: list, signature: str = "") -> None:
        """End the open block; a thinking block gets its signature (maybe empty) first, as Anthropic sends it."""
        if self.open is None:
            return
        if self.open == "thinking":
            self.blocks[-1]["signature"] = signature
            self._delta({"type": "signature_delta", "signature": signature}, out)
        out.append(("content_block_stop", {"type": "content_block_stop", "index": len(self.blocks) - 1}))
        self.open = None

    def add(self, part: dict, out: list) -> None:
        """One Gemini part: thought text extends or opens a thinking block, answer text a text block, a
        function call is a tool_use block of its own; empty text changes nothing."""
        if "functionCall" in part:
            signature = part.get("thoughtSignature") or ""
            self.close(out, SIGNATURE_PREFIX + signature if signature else "")
            fc = part["functionCall"]
            call_id = fc.get("id") or new_id("toolu_")
            if signature:
                self.signed.append((call_id, signature))
            name = fc.get("name", "")
            args = restore_arg_types(fc.get("args") or {}, self.reply.schemas.get(name))
            name_shown = self.reply.names.to_client(name)
            self._start({"type": "tool_use", "id": call_id, "name": name_shown, "input": args}, out)
            self._delta({"type": "input_json_delta", "partial_json": orjson.dumps(args).decode()}, out)
            self.has_calls = True
            return
        text = part.get("text")
        if not isinstance(text, str) or not text:
            return
        kind = "thinking" if part.get("thought") else "text"
        if self.open != kind:
            self.close(out)
            self._start({"type": "thinking", "thinking": "", "signature": ""} if kind == "thinking"
                        else {"type": "text", "text": ""}, out)
        self.blocks[-1][kind] += text
        self._delta({"type": "thinking_delta", "thinking": text} if kind == "thinking"
                    else {"type": "text_delta", "text": text}, out)

    def finished(self) -> list[dict]:
        """The blocks as the message carries them."""
        return self.blocks


class MessagesReply(Reply):
    """Renders one Messages answer. `model` is the name the client asked for; `names` maps tool names back;
    `schemas` (Gemini function name -> the client's JSON Schema) restores argument types. Only candidate 0 is
    read: Anthropic has one answer per request."""

    stream_format = MESSAGES_STREAM

    def __init__(self, model: str, names: ToolNameMap, schemas: dict[str, dict], stream: bool) -> None:
        self.model = model
        self.names = names
        self.schemas = schemas
        self.streaming = stream

    def _message(self, msg_id: str, content: list, reason: str | None, usage: dict, sequence: str | None = None) -> dict:
        return {"id": msg_id, "type": "message", "role": "assistant", "model": self.model, "content": content,
                "stop_reason": reason, "stop_sequence": sequence, "usage": usage}

    async def whole(self, response: dict, ctx: RenderContext) -> dict:
        """A `message` (docs.anthropic.com/en/api/messages); a blocked prompt has no content and stop_reason
        "refusal". Tool calls' thought signatures are stored first."""
        blocks = _Blocks(self)
        cands = response.get("candidates") or []
        cand = next((c for c in cands if c.get("index", 0) == 0), {})
        for part in parts_of(cand):
            blocks.add(part, [])
        blocks.close([])
        for call_id, signature in blocks.signed:
            await ctx.signatures.put(call_id, signature)
        blocked = not cands and bool((response.get("promptFeedback") or {}).get("blockReason"))
        matched = cand.get(MATCHED)
        reason = stop_reason(cand.get("finishReason"), blocks.has_calls, blocked, matched)
        return self._message(new_id("msg_"), blocks.finished(), reason, anthropic_usage(response.get("usageMetadata")),
                             _sequence(reason, matched))

    async def stream(self, first: dict, rest: AsyncIterator[dict], ctx: RenderContext) -> AsyncIterator[bytes]:
        """The event sequence of a streamed message; a failure after this began propagates (the HTTP layer ends
        the stream with `stream_error`)."""
        blocks = _Blocks(self)
        usage = first.get("usageMetadata")
        start = anthropic_usage(usage)
        start["output_tokens"] = 0  # Anthropic's message_start counts what was generated so far
        yield _event("message_start", {"type": "message_start",
                                       "message": self._message(new_id("msg_"), [], None, start)})
        reason = matched = None
        blocked = seen = False
        chunk: dict | None = first
        while chunk is not None:
            out: list = []
            cands = chunk.get("candidates") or []
            seen = seen or bool(cands)
            for cand in cands:
                if cand.get("index", 0) != 0:
                    continue
                for part in parts_of(cand):
                    blocks.add(part, out)
                reason = cand.get("finishReason") or reason
                matched = cand.get(MATCHED) or matched
            blocked = blocked or bool((chunk.get("promptFeedback") or {}).get("blockReason"))
            usage = chunk.get("usageMetadata") or usage
            for call_id, signature in blocks.signed:  # kept before the client sees the call
                await ctx.signatures.put(call_id, signature)
            blocks.signed.clear()
            for kind, data in out:
                yield _event(kind, data)
            chunk = await anext(rest, None)
        out = []
        blocks.close(out)
        for kind, data in out:
            yield _event(kind, data)
        final = stop_reason(reason, blocks.has_calls, blocked and not seen, matched)
        delta = {"stop_reason": final, "stop_sequence": _sequence(final, matched)}
        yield _event("message_delta", {"type": "message_delta", "delta": delta,
                                       "usage": anthropic_usage(usage)})
        yield _event("message_stop", {"type": "message_stop"})

    def stream_error(self, err: GatewayError) -> bytes:
        """`event: error` with Anthropic's error body (the stream then ends)."""
        return error_event(err)
