"""Golden files for the Responses API translator, both directions (GEMGATE_UPDATE_GOLDEN=1 rewrites them)."""

from __future__ import annotations

import json
import re

import pytest

from gemgate.config import Settings
from gemgate.dialects.base import ParseInput, RenderContext
from gemgate.dialects.openai.responses_carry import PREFIX, seal, sealed_origin, unseal
from gemgate.dialects.openai.responses_request import parse_responses
from gemgate.gemini.aggregate import aggregate
from gemgate.gemini.signatures import SignatureStore
from gemgate.http.media import MediaFetcher
from gemgate.pipeline import prepare
from tests.support.sse import parse_sse
from tests.unit.test_golden_chat import GOLDEN, _chunk_files, catalog, check

FN = {"type": "function", "name": "get_weather", "description": "Weather", "strict": True,
      "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"], "additionalProperties": False}}

REQUESTS = {
    "plain": {"model": "gemini-2.5-flash", "input": "hi"},
    "codex_turn_gemini3": {
        "model": "gemini-3-pro-preview", "stream": True, "tool_choice": "auto", "parallel_tool_calls": True,
        "reasoning": {"summary": "auto", "effort": "high"}, "store": False, "include": ["reasoning.encrypted_content"],
        "prompt_cache_key": "thread", "tools": [FN, {"type": "web_search", "external_web_access": False},
                                                 {"type": "namespace", "name": "multi_agent_v1", "tools": []}],
        "input": [
            {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "system prompt"}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "weather?"}]},
            {"type": "function_call", "id": "fc_1", "call_id": "call_a", "name": "get_weather", "arguments": "{\"city\":\"Paris\"}", "status": "completed"},
            {"type": "function_call", "id": "fc_2", "call_id": "call_b", "name": "get_weather", "arguments": "{\"city\":\"Rome\"}", "status": "completed"},
            {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "thinking"}],
             "encrypted_content": seal([{"c": "call_a", "s": "SIG-A"}])},
            {"type": "function_call_output", "call_id": "call_b", "output": "{\"temp\": 20}"},
            {"type": "function_call_output", "call_id": "call_a", "output": "sunny"},
        ],
    },
    "unknown_signature_gets_sentinel": {
        "model": "gemini-3-pro-preview", "tools": [FN],
        "input": [{"role": "user", "content": "weather?"},
                  {"type": "function_call", "call_id": "call_x", "name": "get_weather", "arguments": "{}"},
                  {"type": "function_call_output", "call_id": "call_x", "output": "ok"}],
    },
    "json_schema_and_settings": {
        "model": "gemini-2.5-pro", "instructions": "be exact", "temperature": 0.2, "top_p": 0.5, "max_output_tokens": 50,
        "reasoning": {"effort": "low"},
        "text": {"format": {"type": "json_schema", "name": "s", "schema": {"type": "object", "properties": {"a": {"type": "integer"}}}}},
        "input": [{"role": "user", "content": [{"type": "input_text", "text": "x"},
                                               {"type": "input_image", "image_url": "data:image/png;base64,iVBORw0KGgo="}]}],
    },
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(REQUESTS))
async def test_request_direction(name):
    work = parse_responses(ParseInput(REQUESTS[name], {}, {}, {}))
    await prepare(work, catalog(), MediaFetcher(Settings()), SignatureStore(None))
    check(GOLDEN / "responses_request" / f"{name}.json", {"request": work.request, "adjusted": list(work.adjusted)})


def _unsealed(obj):
    """`obj` with each carried encrypted_content shown as its entries (which reasoning item carries what)."""
    if isinstance(obj, list):
        return [_unsealed(o) for o in obj]
    if not isinstance(obj, dict):
        return obj
    out = {k: _unsealed(v) for k, v in obj.items()}
    if isinstance(obj.get("encrypted_content"), str) and obj["encrypted_content"].startswith(PREFIX):
        entries = [{**e, "s": e["s"][:12]} for e in unseal(obj["encrypted_content"])]  # a signature's start names it
        out["encrypted_content"] = {"gemgate.1": entries,
                                    "origin": sealed_origin(obj["encrypted_content"])}
    return out


def _normalise(obj):
    text = json.dumps(_unsealed(obj))
    text = re.sub(r'"(resp_|msg_|fc_|rs_|call_)[A-Za-z0-9]{6,}"', r'"\1X"', text)
    text = re.sub(r'"(created_at|completed_at)": \d+', r'"\1": 0', text)
    return json.loads(text)


async def _render_both(chunks):
    body = {"model": "gemini-2.5-flash", "input": "x", "tools": [FN], "stream": True, "store": False,
            "reasoning": {"summary": "auto"}, "include": ["reasoning.encrypted_content"]}

    async def rest():
        for c in chunks[1:]:
            yield c

    ctx = RenderContext(SignatureStore(None), thoughts_in_content=False)
    whole = await parse_responses(ParseInput(body, {}, {}, {})).reply.whole(aggregate(chunks), ctx)
    reply = parse_responses(ParseInput(body, {}, {}, {})).reply
    frames = b"".join([f async for f in reply.stream(chunks[0], rest(), ctx)])
    return {"response": _normalise(whole), "stream": _normalise(parse_sse(frames))}


async def test_response_direction_from_captures(fixtures_dir):
    for name, chunks in _chunk_files(fixtures_dir).items():
        check(GOLDEN / "responses_response" / f"{name}.json", await _render_both(chunks))


async def test_response_direction_thoughts_and_filters():
    chunks = [
        {"candidates": [{"content": {"parts": [{"text": "hmm", "thought": True}], "role": "model"}, "index": 0}]},
        {"candidates": [{"content": {"parts": [{"text": "answer", "thoughtSignature": "S"}], "role": "model"}, "index": 0}]},
        {"candidates": [{"content": {"parts": [{"text": " cut"}], "role": "model"}, "finishReason": "SAFETY", "index": 0}],
         "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 2, "thoughtsTokenCount": 1, "cachedContentTokenCount": 1, "totalTokenCount": 6}},
    ]
    check(GOLDEN / "responses_response" / "thoughts_and_safety.json", await _render_both(chunks))
