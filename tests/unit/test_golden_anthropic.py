"""Golden files for the Anthropic Messages translator, both directions (see test_golden_chat for the mechanism:
GEMGATE_UPDATE_GOLDEN=1 rewrites them after an intended change; review the diff)."""

from __future__ import annotations

import base64
import json
import re

import pytest

from gemgate.config import Settings
from gemgate.dialects.anthropic.request import parse_messages
from gemgate.dialects.base import ParseInput, RenderContext
from gemgate.gemini.aggregate import aggregate
from gemgate.gemini.signatures import SignatureStore
from gemgate.http.media import MediaFetcher
from gemgate.pipeline import prepare
from tests.support.sse import parse_sse_events
from tests.support.ssrf import PNG
from tests.unit.test_golden_chat import GOLDEN, _chunk_files, catalog, check

BASH = {"name": "Bash", "description": "Run a command", "input_schema": {
    "$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "additionalProperties": False,
    "properties": {"command": {"type": "string"}, "timeout": {"type": "number", "exclusiveMinimum": 0}}, "required": ["command"]}}

REQUESTS = {
    "claude_code_turn": {
        "model": "gemini-2.5-flash", "max_tokens": 32000, "stream": True, "thinking": {"type": "adaptive"},
        "output_config": {"effort": "high"}, "metadata": {"user_id": "{\"device_id\":\"d\"}"},
        "context_management": {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]},
        "system": [{"type": "text", "text": "x-anthropic-billing-header: cc_version=2.1.197"},
                   {"type": "text", "text": "You are Claude Code.", "cache_control": {"type": "ephemeral"}}],
        "tools": [BASH],
        "messages": [{"role": "user", "content": [{"type": "text", "text": "<system-reminder>ctx</system-reminder>"},
                                                  {"type": "text", "text": "list files", "cache_control": {"type": "ephemeral"}}]},
                     {"role": "system", "content": "mid-conversation note"}],
    },
    "tool_round_trip_gemini3": {
        "model": "gemini-3-pro-preview", "max_tokens": 4096, "tools": [BASH], "tool_choice": {"type": "any"},
        "thinking": {"type": "enabled", "budget_tokens": 2048},
        "messages": [
            {"role": "user", "content": "run two"},
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": "plan", "signature": "gemini:SIG-FROM-BLOCK"},
                {"type": "tool_use", "id": "toolu_known", "name": "Bash", "input": {"command": "ls"}},
                {"type": "tool_use", "id": "toolu_other", "name": "Bash", "input": {"command": "pwd"}}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_other", "content": "/home"},
                {"type": "tool_result", "tool_use_id": "toolu_known", "content": [{"type": "text", "text": "a b"}]}]},
        ],
    },
    "unknown_signature_gets_sentinel": {
        "model": "gemini-3-pro-preview", "max_tokens": 100, "tools": [BASH],
        "messages": [{"role": "user", "content": "go"},
                     {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_x", "name": "Bash", "input": {"command": "x"}}]},
                     {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_x", "content": "ok", "is_error": True}]}],
    },
    "media_and_params": {
        "model": "gemini-2.0-flash", "max_tokens": 100000, "temperature": 0.2, "top_p": 0.5, "top_k": 3,
        "stop_sequences": ["###"], "thinking": {"type": "disabled"},
        "messages": [{"role": "user", "content": [
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": base64.b64encode(PNG).decode()}},
            {"type": "document", "source": {"type": "base64", "media_type": "application/pdf",
                                            "data": base64.b64encode(b"%PDF-1.4 x").decode()}},
            {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "notes"}},
            {"type": "text", "text": "describe"}]}],
    },
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(REQUESTS))
async def test_request_direction(name):
    signatures = SignatureStore(None)
    await signatures.put("toolu_known", "SIG-KNOWN")
    work = parse_messages(ParseInput(REQUESTS[name], {}, {}, {}))
    await prepare(work, catalog(), MediaFetcher(Settings()), signatures)
    check(GOLDEN / "anthropic_request" / f"{name}.json", {"request": work.request, "adjusted": list(work.adjusted)})


def _normalise(obj):
    return json.loads(re.sub(r'"(msg_|toolu_)[A-Za-z0-9]+"', r'"\1X"', json.dumps(obj)))


async def _render_both(chunks):
    body = {"model": "gemini-2.5-flash", "max_tokens": 100, "messages": [{"role": "user", "content": "x"}],
            "tools": [{"name": n, "input_schema": {"type": "object"}} for n in ("get_weather", "getWeather", "f", "g")]}
    reply = parse_messages(ParseInput(body, {}, {}, {})).reply

    async def rest():
        for c in chunks[1:]:
            yield c

    ctx = RenderContext(SignatureStore(None), thoughts_in_content=False)
    whole = await reply.whole(aggregate(chunks), ctx)
    frames = b"".join([f async for f in reply.stream(chunks[0], rest(), ctx)])
    return {"response": _normalise(whole), "stream": [[k, _normalise(d)] for k, d in parse_sse_events(frames)]}


async def test_response_direction_from_captures(fixtures_dir):
    files = _chunk_files(fixtures_dir)
    assert len(files) >= 4, sorted(files)
    for name, chunks in files.items():
        check(GOLDEN / "anthropic_response" / f"{name}.json", await _render_both(chunks))


async def test_response_direction_thoughts_and_filters():
    chunks = [
        {"candidates": [{"content": {"parts": [{"text": "hmm", "thought": True}], "role": "model"}, "index": 0}]},
        {"candidates": [{"content": {"parts": [{"functionCall": {"name": "f", "args": {"x": 1}}, "thoughtSignature": "S"}], "role": "model"}, "index": 0}]},
        {"candidates": [{"content": {"parts": [{"text": "then"}], "role": "model"}, "finishReason": "SAFETY", "index": 0}],
         "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 2, "thoughtsTokenCount": 1, "cachedContentTokenCount": 1, "totalTokenCount": 6}},
    ]
    check(GOLDEN / "anthropic_response" / "thoughts_call_and_safety.json", await _render_both(chunks))
