"""Golden files for the Chat Completions translator, both directions.

Run with GEMGATE_UPDATE_GOLDEN=1 to rewrite the files after an intended change; review the diff.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from gemgate.catalog import Catalog
from gemgate.config import Settings
from gemgate.dialects.base import ParseInput, RenderContext
from gemgate.dialects.openai.chat_request import parse_chat
from gemgate.gemini.aggregate import aggregate
from gemgate.gemini.signatures import SignatureStore
from gemgate.http.media import MediaFetcher
from gemgate.pipeline import prepare
from tests.support.fixtures import capture_files

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("GEMGATE_UPDATE_GOLDEN") == "1"
MODELS = ["gemini-2.5-flash", "gemini-2.5-pro", "gemini-3-pro-preview", "gemini-2.0-flash"]
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"], "additionalProperties": False},
        },
    }
]

REQUESTS = {
    "plain": {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "hi"}]},
    "system_multiturn_params": {
        "model": "gemini-2.5-pro",
        "messages": [
            {"role": "system", "content": "sys"},
            {"role": "user", "content": "a"},
            {"role": "assistant", "content": "b"},
            {"role": "user", "content": [{"type": "text", "text": "c"}, {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]},
        ],
        "temperature": 0.5, "top_p": 0.8, "max_completion_tokens": 99, "stop": "X", "n": 2, "seed": 1,
        "reasoning_effort": "low",
    },
    "tools_round_trip_gemini3": {
        "model": "gemini-3-pro-preview",
        "tools": TOOLS,
        "tool_choice": "required",
        "messages": [
            {"role": "user", "content": "weather?"},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_known", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
                {"id": "call_other", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Rome\"}"}},
            ]},
            {"role": "tool", "tool_call_id": "call_known", "content": "sunny"},
            {"role": "tool", "tool_call_id": "call_other", "content": "{\"temp\": 20}"},
        ],
    },
    "unknown_signature_gets_sentinel": {
        "model": "gemini-3-pro-preview",
        "tools": TOOLS,
        "messages": [
            {"role": "user", "content": "weather?"},
            {"role": "assistant", "tool_calls": [{"id": "call_x", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "call_x", "content": "ok"},
        ],
    },
    "json_schema_and_search": {
        "model": "gemini-3-pro-preview-search",  # 2.5 refuses JSON output with Google Search
        "messages": [{"role": "user", "content": "x"}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "s", "schema": {"type": "object", "properties": {"a": {"type": "integer", "minimum": 1}}, "additionalProperties": False}}},
    },
    "legacy_functions": {
        "model": "gemini-2.0-flash",
        "functions": [{"name": "f", "parameters": {"type": "object", "properties": {"x": {"const": "y"}}}}],
        "function_call": {"name": "f"},
        "messages": [{"role": "user", "content": "x"}, {"role": "assistant", "function_call": {"name": "f", "arguments": "{}"}}, {"role": "function", "name": "f", "content": "done"}],
    },
}  # fmt: skip


def check(path: Path, actual) -> None:
    text = json.dumps(actual, indent=2, sort_keys=True) + "\n"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    elif not path.exists():
        pytest.fail(f"golden file {path} is missing; write it with GEMGATE_UPDATE_GOLDEN=1 and review it")
    assert json.loads(path.read_text()) == json.loads(text), f"differs from {path}"


def catalog() -> Catalog:
    cat = Catalog()
    cat.replace({"gemini-api": {m: {"name": f"models/{m}"} for m in MODELS}})
    return cat


@pytest.mark.parametrize("name", sorted(REQUESTS))
async def test_request_direction(name):
    signatures = SignatureStore(None)
    await signatures.put("call_known", "SIG-KNOWN")
    work = parse_chat(_input(REQUESTS[name]))
    await prepare(work, catalog(), MediaFetcher(Settings()), signatures)
    check(GOLDEN / "chat_request" / f"{name}.json", work.request)


def _input(body: dict) -> ParseInput:
    return ParseInput(body, {}, {}, {})


def _normalise(obj):
    text = json.dumps(obj)
    text = re.sub(r'"(chatcmpl-|call_)[A-Za-z0-9]+"', r'"\1X"', text)
    text = re.sub(r'"created": \d+', '"created": 0', text)
    return json.loads(text)


def _chunk_files(fixtures_dir):
    api = fixtures_dir / "gemini-api"
    out = {}
    for path in capture_files(api, "vercel*.chunks.txt"):
        out[path.name.split("___fixtures___")[1].removesuffix(".chunks.txt")] = [json.loads(x) for x in path.read_text().splitlines() if x.strip()]
    for path in capture_files(api, "junjihashimoto*function_calling*"):
        out["louter-function-calling"] = [json.loads(x[6:]) for x in path.read_text().splitlines() if x.startswith("data: ")]
    return out


async def _render_both(chunks, model):
    body = {"model": model, "messages": [{"role": "user", "content": "x"}], "tools": TOOLS, "stream": True, "stream_options": {"include_usage": True}}
    reply = parse_chat(_input(body)).reply

    async def rest():
        for c in chunks[1:]:
            yield c

    ctx = RenderContext(SignatureStore(None), thoughts_in_content=False)
    whole = await reply.whole(aggregate(chunks), ctx)
    frames = [f async for f in reply.stream(chunks[0], rest(), ctx)]
    stream = [f.decode() for f in frames]
    return {"response": _normalise(whole), "stream": [_normalise(json.loads(s[6:])) if s != "data: [DONE]\n\n" else "[DONE]" for s in stream]}


async def test_response_direction_from_captures(fixtures_dir):
    files = _chunk_files(fixtures_dir)
    assert len(files) >= 4, f"expected the vercel and louter captures in {fixtures_dir}, found {sorted(files)}"
    for name, chunks in files.items():
        model = chunks[0].get("modelVersion") or "gemini-2.5-flash"
        check(GOLDEN / "chat_response" / f"{name}.json", await _render_both(chunks, model if model in MODELS else "gemini-2.5-flash"))


async def test_response_direction_thoughts_and_filters():
    chunks = [
        {"candidates": [{"content": {"parts": [{"text": "hmm", "thought": True}], "role": "model"}, "index": 0}]},
        {"candidates": [{"content": {"parts": [{"text": "answer", "thoughtSignature": "S"}], "role": "model"}, "index": 0}]},
        {"candidates": [{"content": {"parts": [{"text": " cut"}], "role": "model"}, "finishReason": "SAFETY", "index": 0}], "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 2, "thoughtsTokenCount": 1, "cachedContentTokenCount": 1, "totalTokenCount": 6}},
    ]
    check(GOLDEN / "chat_response" / "thoughts_and_safety.json", await _render_both(chunks, "gemini-2.5-flash"))
