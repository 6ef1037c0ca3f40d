"""Function calling through Chat Completions: declarations, calls, results, parallel calls, signatures."""

from __future__ import annotations

import json

from tests.support.gateway import chat
from tests.support.upstream import upstream_body

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"type": ["string", "null"], "enum": ["c", "f", None]}},
            "required": ["city"],
            "additionalProperties": False,
        },
    },
}
MCP_TOOL = {
    "type": "function",
    "function": {"name": "mcp__files/read file", "parameters": {"type": "object", "properties": {"path": {"type": "string"}}}},
}


def call_turn(gw, model, text, tools=(WEATHER,), **extra):
    r = chat(gw, {"model": model, "messages": [{"role": "user", "content": text}], "tools": list(tools), **extra})
    assert r.status == 200, r.text
    return r.json()["choices"][0]


def test_tool_call_and_result_round_trip(gw):
    user = {"role": "user", "content": 'CALL get_weather {"city": "Paris"}'}
    choice = call_turn(gw, "gemini-2.5-flash", user["content"])
    assert choice["finish_reason"] == "tool_calls"
    (call,) = choice["message"]["tool_calls"]
    assert call["type"] == "function" and call["id"]
    assert call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == {"city": "Paris"}
    follow = chat(
        gw,
        {
            "model": "gemini-2.5-flash",
            "tools": [WEATHER],
            "messages": [
                user,
                {"role": "assistant", "content": None, "tool_calls": [call]},
                # no "name": it is recovered from the matching call id
                {"role": "tool", "tool_call_id": call["id"], "content": "sunny, 21C"},
            ],
        },
    )
    assert follow.status == 200, follow.text
    assert "tool result: sunny, 21C" in follow.json()["choices"][0]["message"]["content"]


def test_gemini3_signature_is_cached_and_replayed(gw, fake_api):
    model = "gemini-3-pro-preview"
    user = {"role": "user", "content": 'CALL get_weather {"city": "Oslo"}'}
    call = call_turn(gw, model, user["content"])["message"]["tool_calls"][0]
    follow = chat(
        gw,
        {
            "model": model,
            "tools": [WEATHER],
            "messages": [
                user,
                {"role": "assistant", "tool_calls": [call]},
                {"role": "tool", "tool_call_id": call["id"], "content": "snow marker-8812"},
            ],
        },
    )
    # The fake rejects a replayed Gemini 3 call without its (genuine) signature, so 200 proves the round trip.
    assert follow.status == 200, follow.text
    sent = upstream_body(fake_api, "marker-8812")
    fc_part = sent["contents"][1]["parts"][0]
    assert fc_part["thoughtSignature"] not in ("", "skip_thought_signature_validator")


def test_unknown_call_id_falls_back_to_sentinel(gw, fake_api):
    follow = chat(
        gw,
        {
            "model": "gemini-3-pro-preview",
            "tools": [WEATHER],
            "messages": [
                {"role": "user", "content": "weather?"},
                {"role": "assistant", "tool_calls": [{"id": "call_from_elsewhere", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Rome\"}"}}]},
                {"role": "tool", "tool_call_id": "call_from_elsewhere", "content": "warm marker-8813"},
            ],
        },
    )
    assert follow.status == 200, follow.text
    sent = upstream_body(fake_api, "marker-8813")
    assert sent["contents"][1]["parts"][0]["thoughtSignature"] == "skip_thought_signature_validator"


def test_parallel_calls_stream(gw):
    r = chat(
        gw,
        {
            "model": "gemini-2.5-flash",
            "stream": True,
            "tools": [WEATHER],
            "messages": [{"role": "user", "content": 'CALL get_weather {"city": "A"}\nCALL get_weather {"city": "B"}'}],
        },
    )
    chunks = [c for c in r.sse() if c != "[DONE]" and c["choices"]]
    calls = [tc for c in chunks for tc in c["choices"][0]["delta"].get("tool_calls") or []]
    assert [tc["index"] for tc in calls] == [0, 1]
    assert [json.loads(tc["function"]["arguments"])["city"] for tc in calls] == ["A", "B"]
    assert all(tc["id"] and tc["function"]["name"] == "get_weather" for tc in calls)
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_schema_is_sanitised_and_names_mapped(gw, fake_api):
    choice = call_turn(gw, "gemini-2.5-flash", 'CALL mcp__files_read_file {"path": "/x"}\nmarker-9001', tools=(WEATHER, MCP_TOOL))
    # The invalid client name was mapped for Gemini and is restored in the answer.
    assert choice["message"]["tool_calls"][0]["function"]["name"] == "mcp__files/read file"
    decls = upstream_body(fake_api, "marker-9001")["tools"][0]["functionDeclarations"]
    weather = next(d for d in decls if d["name"] == "get_weather")
    assert "additionalProperties" not in json.dumps(weather) and "$schema" not in json.dumps(weather)


def test_tool_choice_modes(gw, fake_api):
    for choice, mode in (("none", "NONE"), ("required", "ANY"), ({"type": "function", "function": {"name": "get_weather"}}, "ANY")):
        marker = f"marker-tc-{mode}-{isinstance(choice, dict)}"
        call_turn(gw, "gemini-2.5-flash", marker, tool_choice=choice)
        cfg = upstream_body(fake_api, marker)["toolConfig"]["functionCallingConfig"]
        assert cfg["mode"] == mode
        if isinstance(choice, dict):
            assert cfg["allowedFunctionNames"] == ["get_weather"]


def test_tool_result_with_unknown_id_is_400(gw):
    r = chat(
        gw,
        {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "x"}, {"role": "tool", "tool_call_id": "nope", "content": "r"}]},
    )
    assert r.status == 400
    assert "tool_call_id" in r.json()["error"]["message"]
