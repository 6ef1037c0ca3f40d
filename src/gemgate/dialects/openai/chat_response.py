"""Gemini responses -> OpenAI Chat Completions: one `chat.completion`, or `chat.completion.chunk` events.

Shapes per platform.openai.com/docs/api-reference/chat/object and /chat-streaming; thoughts go to
`reasoning_content` (or thoughts between tags in content when `thoughts_in_content` is set; `think_tag` names them).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import orjson

from ...errors import GatewayError
from ...gemini.aggregate import merge_field
from ...gemini.args import restore_arg_types, restore_json_text
from ...gemini.names import ToolNameMap
from ...gemini.parts import parts_of
from ...gemini.think_tags import tags
from ..base import RenderContext, Reply, StreamFormat
from .annotations import url_citations
from ..parts import new_id
from .common import chat_usage, finish_reason, openai_error_body

CHAT_STREAM = StreamFormat("text/event-stream", b": keepalive\n\n")


async def _keep(signed: list[tuple[str, str]], ctx: RenderContext) -> None:
    """Store the signatures of the tool calls about to be sent, and forget them here."""
    for call_id, signature in signed:
        await ctx.signatures.put(call_id, signature)
    signed.clear()


def _blocked(response: dict) -> bool:
    """Whether Gemini refused the prompt itself (`promptFeedback.blockReason`)."""
    return bool((response.get("promptFeedback") or {}).get("blockReason"))


def _token_logprob(candidate: dict) -> dict:
    """One Gemini LogprobsResult.Candidate as an OpenAI token logprob: token, logprob, UTF-8 bytes."""
    token = candidate.get("token") or ""
    # proto3 JSON omits a zero: a missing logProbability is 0.0 (probability 1).
    return {"token": token, "logprob": float(candidate.get("logProbability") or 0.0), "bytes": list(token.encode())}


def chat_logprobs(result: dict | None) -> dict | None:
    """Gemini's `logprobsResult` (ai.google.dev/api/generate-content#LogprobsResult: chosenCandidates[i] is the
    token taken at step i, topCandidates[i].candidates the most likely ones there) as a choice's OpenAI
    `logprobs` (platform.openai.com/docs/api-reference/chat/object#chat/object-choices: `content[]` of
    {token, logprob, bytes, top_logprobs[]}, `refusal`); None when there is no token."""
    chosen = (result or {}).get("chosenCandidates") or ()
    if not chosen:
        return None
    tops = (result or {}).get("topCandidates") or ()
    content = []
    for step, candidate in enumerate(chosen):
        alternatives = (tops[step].get("candidates") or ()) if step < len(tops) else ()
        entry = _token_logprob(candidate)
        entry["top_logprobs"] = [_token_logprob(a) for a in alternatives]
        content.append(entry)
    return {"content": content, "refusal": None}


def _annotations(cand: dict, answer: str, offset: int) -> list[dict]:
    """url_citation annotations of a (folded) candidate; see annotations.url_citations."""
    grounding = cand.get("groundingMetadata")
    cited = cand.get("citationMetadata")
    citations = (cited.get("citationSources") or []) if isinstance(cited, dict) else []
    if not grounding and not citations:
        return []
    return url_citations(grounding, citations, answer, offset)


def _fold_cited(into: dict | None, cand: dict) -> dict:
    """The grounding and citations seen so far, folded as generateContent answers them (gemini.aggregate)."""
    out = into if into is not None else {}
    for key in ("groundingMetadata", "citationMetadata"):
        if key in cand:
            merge_field(out, key, cand[key])
    return out


class _Choice:
    __slots__ = ("started", "thinking", "tool_index", "reason", "has_calls", "answer", "before", "cited")

    def __init__(self) -> None:
        self.started = False
        self.thinking = False
        self.tool_index = 0
        self.reason: str | None = None
        self.has_calls = False
        self.answer: list[str] = []  # answer text so far: grounding offsets refer to it
        self.before = 0  # characters of content (a <think> block) before the answer text
        self.cited: dict | None = None  # groundingMetadata / citationMetadata as the fold keeps them


class ChatReply(Reply):
    """Renders one Chat Completions answer. `model` is the name the client asked for; `names` maps tool
    names back; `schemas` (Gemini function name -> the client's JSON Schema) restores argument types.
    `legacy_functions`: the request used the deprecated `functions` API, so a call is answered in its shape
    (`message.function_call` / `delta.function_call` with the first call only, finish_reason "function_call";
    platform.openai.com/docs/api-reference/chat/object, deprecated fields), as LangChain's
    JsonOutputFunctionsParser reads it."""

    stream_format = CHAT_STREAM

    def __init__(
        self,
        model: str,
        names: ToolNameMap,
        schemas: dict[str, dict],
        include_usage: bool,
        stream: bool,
        *,
        legacy_functions: bool = False,
        n: int = 1,
        response_schema: dict | None = None,
    ) -> None:
        # A json_schema whose enums are not all strings: the answer is rendered whole with its types restored
        # (streamed as one content delta at the end), since Gemini answers such enums as strings.
        self.response_schema = response_schema
        self.n = n  # choices asked for: a blocked prompt answers each of them with content_filter
        self.model = model
        self.names = names
        self.schemas = schemas
        self.include_usage = include_usage
        self.streaming = stream
        self.legacy_functions = legacy_functions

    def _finish(self, gemini_reason: str | None, has_calls: bool) -> str:
        """The finish_reason: "function_call" instead of "tool_calls" for a legacy `functions` request."""
        reason = finish_reason(gemini_reason, has_calls)
        return "function_call" if reason == "tool_calls" and self.legacy_functions else reason

    def _tool_call(self, part: dict, signed: list[tuple[str, str]]) -> dict:
        """The client's tool call for a functionCall part; its signature goes to `signed` to be kept."""
        fc = part["functionCall"]
        call_id = fc.get("id") or new_id("call_")
        if part.get("thoughtSignature"):
            signed.append((call_id, part["thoughtSignature"]))
        name = fc.get("name", "")
        args = restore_arg_types(fc.get("args") or {}, self.schemas.get(name))
        return {
            "id": call_id,
            "type": "function",
            "function": {"name": self.names.to_client(name), "arguments": orjson.dumps(args).decode()},
        }

    async def whole(self, response: dict, ctx: RenderContext) -> dict:
        """A `chat.completion` (platform.openai.com/docs/api-reference/chat/object); a blocked prompt (no candidates)
        gives `n` empty choices with finish_reason "content_filter". Stores tool calls' thought signatures first.
        """
        choices = []
        signed: list[tuple[str, str]] = []
        candidates = response.get("candidates") or []
        if not candidates:  # no candidate at all: the prompt itself was blocked, or nothing came
            reason = "PROHIBITED_CONTENT" if _blocked(response) else None
            candidates = [{"index": i, "content": {"parts": []}, "finishReason": reason} for i in range(self.n)]
        for cand in candidates:
            text, thoughts, calls = [], [], []
            for part in parts_of(cand):
                if "functionCall" in part:
                    calls.append(self._tool_call(part, signed))
                elif "text" in part:
                    (thoughts if part.get("thought") else text).append(part["text"])
            joined = "".join(text)
            if self.response_schema is not None and joined:
                joined = restore_json_text(joined, self.response_schema)
            message: dict = {"role": "assistant", "content": joined if joined or not calls else None}
            offset = 0
            if thoughts:
                if ctx.thoughts_in_content:
                    opening, closing = tags(ctx.think_tag)
                    prefix = f"{opening}{''.join(thoughts)}{closing}"
                    message["content"] = prefix + (message["content"] or "")
                    offset = len(prefix)
                else:
                    message["reasoning_content"] = "".join(thoughts)
            annotations = _annotations(cand, joined, offset)
            if annotations:
                message["annotations"] = annotations
            if calls and self.legacy_functions:  # the legacy shape holds one call
                message["function_call"] = calls[0]["function"]
            elif calls:
                message["tool_calls"] = calls
            message.setdefault("refusal", None)
            choices.append(
                {
                    "index": cand.get("index", 0),
                    "message": message,
                    "logprobs": chat_logprobs(cand.get("logprobsResult")),
                    "finish_reason": self._finish(cand.get("finishReason"), bool(calls)),
                }
            )
        await _keep(signed, ctx)
        return {
            "id": new_id("chatcmpl-"),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model,
            "choices": choices,
            "usage": chat_usage(response.get("usageMetadata")),
            "system_fingerprint": None,
        }

    async def stream(self, first: dict, rest: AsyncIterator[dict], ctx: RenderContext) -> AsyncIterator[bytes]:
        """`chat.completion.chunk` SSE events (`data: ...\\n\\n`), a final chunk per choice with its finish_reason,
        the usage chunk when `stream_options.include_usage` was set, then `data: [DONE]`.
        """
        cid = new_id("chatcmpl-")
        created = int(time.time())
        model = self.model
        think_tags = ctx.thoughts_in_content
        opening, closing = tags(ctx.think_tag)
        choices: dict[int, _Choice] = {}

        def frame(index: int, delta: dict, reason: str | None = None, logprobs: dict | None = None) -> bytes:
            """One chunk event for choice `index`."""
            chunk = {
                "id": cid,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [{"index": index, "delta": delta, "logprobs": logprobs, "finish_reason": reason}],
            }
            return b"data: " + orjson.dumps(chunk) + b"\n\n"

        signed: list[tuple[str, str]] = []

        def convert(chunk: dict) -> list[bytes]:
            """The events for one Gemini chunk: role first, then text / reasoning / tool-call deltas; tool calls'
            signatures go to `signed`. The chunk's logprobs ride on the first event of its candidate (an event of
            their own when its parts gave none)."""
            out: list[tuple[int, dict, dict | None]] = []
            for cand in chunk.get("candidates") or ():
                idx = cand.get("index", 0)
                st = choices.get(idx)
                if st is None:
                    st = choices[idx] = _Choice()
                start = len(out)
                for part in parts_of(cand):
                    delta: dict = {}
                    if not st.started:
                        delta["role"] = "assistant"
                        st.started = True
                    if "functionCall" in part and self.legacy_functions and st.has_calls:
                        continue  # the legacy shape holds one call
                    if "functionCall" in part:
                        call = self._tool_call(part, signed)
                        call["index"] = st.tool_index
                        st.tool_index += 1
                        st.has_calls = True
                        if st.thinking:
                            delta["content"] = closing
                            st.thinking = False
                        if self.legacy_functions:
                            delta["function_call"] = call["function"]
                        else:
                            delta["tool_calls"] = [call]
                    elif "text" in part:
                        text = part["text"]
                        if part.get("thought"):
                            if think_tags:
                                delta["content"] = text if st.thinking else opening + text
                                st.thinking = True
                                if not st.answer:
                                    st.before += len(delta["content"])
                            else:
                                delta["reasoning_content"] = text
                        else:
                            if not text and "role" not in delta:
                                continue  # signature-only parts carry nothing for the client
                            if st.thinking:
                                if not st.answer:
                                    st.before += len(closing)
                                text = closing + text
                                st.thinking = False
                            if part["text"]:
                                st.answer.append(part["text"])
                            if self.response_schema is not None:  # held, sent whole at the end
                                text = text[: len(text) - len(part["text"])]
                                if not text and "role" not in delta:
                                    continue
                            delta["content"] = text
                    else:
                        if "role" not in delta:
                            continue
                        delta["content"] = ""
                    out.append((idx, delta, None))
                logprobs = chat_logprobs(cand.get("logprobsResult"))
                if logprobs is not None and len(out) > start:
                    out[start] = (idx, out[start][1], logprobs)
                elif logprobs is not None:
                    delta = {}
                    if not st.started:
                        delta["role"] = "assistant"
                        st.started = True
                    out.append((idx, delta, logprobs))
                if cand.get("finishReason"):
                    st.reason = cand["finishReason"]
                if "groundingMetadata" in cand or "citationMetadata" in cand:
                    st.cited = _fold_cited(st.cited, cand)
            return [frame(i, d, None, lp) for i, d, lp in out]

        frames = convert(first)
        if signed:  # kept before the client sees the call, so a replay on any instance finds it
            await _keep(signed, ctx)
        for data in frames:
            yield data
        usage = first.get("usageMetadata")
        blocked = _blocked(first)
        async for chunk in rest:
            frames = convert(chunk)
            if signed:
                await _keep(signed, ctx)
            for data in frames:
                yield data
            usage = chunk.get("usageMetadata") or usage
            blocked = blocked or _blocked(chunk)
        if not choices:  # no candidate at all: the prompt itself was blocked, or nothing came
            for i in range(self.n):
                choices[i] = _Choice()
                choices[i].reason = "PROHIBITED_CONTENT" if blocked else None
        for idx in sorted(choices):
            st = choices[idx]
            delta: dict = {} if st.started else {"role": "assistant", "content": ""}
            if st.thinking:
                delta["content"] = closing
            if self.response_schema is not None and st.answer:
                delta["content"] = delta.get("content", "") + restore_json_text("".join(st.answer), self.response_schema)
            if st.cited is not None:
                annotations = _annotations(st.cited, "".join(st.answer), st.before)
                if annotations:
                    delta["annotations"] = annotations
            yield frame(idx, delta, self._finish(st.reason, st.has_calls))
        if self.include_usage:
            tail = {
                "id": cid,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [],
                "usage": chat_usage(usage),
            }
            yield b"data: " + orjson.dumps(tail) + b"\n\n"
        yield b"data: [DONE]\n\n"

    def stream_error(self, err: GatewayError) -> bytes:
        """An SSE event holding the OpenAI error body (the stream then ends without [DONE])."""
        return b"data: " + orjson.dumps(openai_error_body(err)) + b"\n\n"
