"""Responses API requests -> Gemini requests (dialects/openai/responses_*): inputs, tools, settings, refusals, and
thought signatures carried through reasoning items."""

from __future__ import annotations

import pytest

from gemgate.dialects.base import ParseInput, RenderContext
from gemgate.dialects.openai.responses_carry import seal, sealed_origin, unseal
from gemgate.dialects.openai.responses_request import parse_responses
from gemgate.errors import GatewayError
from gemgate.gemini.signatures import SignatureStore, issuing_kinds

FN = {"type": "function", "name": "get_weather", "strict": False,
      "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}


def parse(body: dict, headers: dict | None = None):
    return parse_responses(ParseInput({"model": "gemini-2.5-flash", **body}, {}, {}, headers or {}))


def refused(body: dict) -> GatewayError:
    with pytest.raises(GatewayError) as info:
        parse(body)
    assert info.value.status == 400
    return info.value


def test_string_input_is_one_user_turn():
    work = parse({"input": "hello", "instructions": "be brief"})
    assert work.request["contents"] == [{"role": "user", "parts": [{"text": "hello"}]}]
    assert work.request["systemInstruction"] == {"parts": [{"text": "be brief"}]}
    assert work.stream is False


def test_codex_shaped_input():
    """Developer messages are the system prompt (Codex sends no `instructions`); the call and its output are a
    model turn and a user turn; parts of every kind are read."""
    work = parse({"input": [
        {"type": "message", "id": "msg_1", "role": "developer", "content": [{"type": "input_text", "text": "sys"}]},
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "run it"},
                                                         {"type": "input_image", "image_url": "data:image/png;base64,iVBORw0KGgo="}]},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "sure"}]},
        {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "get_weather", "arguments": '{"city":"Oslo"}'},
        {"type": "function_call_output", "id": "fco_1", "call_id": "call_1", "output": "sunny"},
        {"type": "web_search_call", "id": "ws_1", "status": "completed"},
    ], "tools": [FN]})
    contents = work.request["contents"]
    assert [c["role"] for c in contents] == ["user", "model", "user"]
    assert contents[0]["parts"][1]["inlineData"]["mimeType"] == "image/png"
    assert contents[1]["parts"] == [{"text": "sure"}, {"functionCall": {"name": "get_weather", "args": {"city": "Oslo"}}}]
    assert contents[2]["parts"] == [{"functionResponse": {"name": "get_weather", "response": {"result": "sunny"}}}]
    assert work.request["systemInstruction"] == {"parts": [{"text": "sys"}]}
    assert [r.call_id for r in work.signatures] == ["call_1"]
    decl = work.request["tools"][0]["functionDeclarations"][0]
    assert decl["name"] == "get_weather" and decl["parameters"]["required"] == ["city"]


def test_http_media_is_left_for_the_pipeline():
    work = parse({"input": [{"role": "user", "content": [{"type": "input_file", "file_url": "https://e.x/a.pdf"}]}]})
    assert [(m.url, m.param) for m in work.media] == [("https://e.x/a.pdf", "input[0].content[0].file_url")]


async def test_reasoning_item_brings_back_signatures():
    entries = [{"e": 0, "s": "SIG-LEAD"}, {"t": 0, "s": "SIG-TEXT"}, {"c": "call_9", "s": "SIG-CALL"}]
    work = parse({"input": [
        {"role": "user", "content": "q"},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "a"}]},
        {"type": "function_call", "call_id": "call_9", "name": "get_weather", "arguments": "{}"},
        # after what it signs (as streamed before reasoning items came first): joined too
        {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": seal(entries)},
        {"type": "function_call_output", "call_id": "call_9", "output": '{"t": 1}'},
    ], "tools": [FN]})
    model = work.request["contents"][1]["parts"]
    assert model == [{"text": "", "thoughtSignature": "SIG-LEAD"}, {"text": "a", "thoughtSignature": "SIG-TEXT"},
                     {"functionCall": {"name": "get_weather", "args": {}}, "thoughtSignature": "SIG-CALL"}]
    await SignatureStore(None).fill(work.signatures, sentinel=True)  # a known signature is not replaced
    assert model[2]["thoughtSignature"] == "SIG-CALL"


def test_foreign_encrypted_content_is_ignored():
    assert unseal("gAAAAABoOpenAIblob") == [] and unseal(seal([{"s": "x", "t": 0}])) == [{"s": "x", "t": 0}]
    assert unseal("gemgate.1.!!!") == []
    work = parse({"input": [{"type": "reasoning", "summary": [], "encrypted_content": "gAAAAAB"}, {"role": "user", "content": "x"}]})
    assert work.request["contents"] == [{"role": "user", "parts": [{"text": "x"}]}]


@pytest.mark.parametrize("entry", [{"c": ["x"], "s": "x"}, {"c": {"a": 1}, "s": "x"}, {"c": None, "s": "x"},
                                   {"e": True, "s": "x"}, {"t": 1.5, "s": "x"}, {"s": "x"}, {"c": "call_1", "s": 5}])
def test_forged_encrypted_content_entries_are_dropped(entry):
    """encrypted_content comes back from the client: an entry whose place has the wrong type is dropped, never
    a 500 (found attacking issue 10: a list or object call id raised TypeError: unhashable type)."""
    assert unseal(seal([entry])) == []
    work = parse({"tools": [FN], "input": [
        {"role": "user", "content": "x"},
        {"type": "reasoning", "summary": [], "encrypted_content": seal([entry])},
        {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "call_1", "output": "ok"}]})
    assert all("thoughtSignature" not in p for p in work.request["contents"][1]["parts"])


@pytest.mark.parametrize(("body", "param"), [
    ({"tools": [{"type": ["web_search"], "name": "f"}]}, "tools[0].type"),
    ({"tools": [{"type": {"a": 1}}]}, "tools[0].type"),
    ({"tools": [FN], "tool_choice": {"type": ["function"]}}, "tool_choice.type"),
])
def test_tool_and_choice_types_must_be_strings(body, param):
    """A type that is not a string is a 400 naming it, never a 500 (found attacking issue 10: a list or object
    type raised TypeError: unhashable type)."""
    assert refused({"input": "x", **body}).param == param


def test_hosted_tools_are_accepted_and_said():
    work = parse({"input": "x", "tools": [FN, {"type": "web_search", "external_web_access": False},
                                         {"type": "custom", "name": "apply_patch"}, {"type": "local_shell"},
                                         {"type": "namespace", "name": "ns", "description": "d", "tools": [{"type": "custom", "name": "c"}]}]})
    assert work.request["tools"] == [{"functionDeclarations": [work.request["tools"][0]["functionDeclarations"][0]]}]
    said = "; ".join(work.adjusted)
    for kind in ("web_search", "custom", "local_shell", "tools[4].tools[0]"):
        assert kind in said


async def test_namespaced_functions_are_declared_and_called_back_in_their_namespace():
    ns = {"type": "namespace", "name": "multi_agent_v1", "description": "agents",
          "tools": [{"type": "function", "name": "spawn_agent", "parameters": {"type": "object", "properties": {"task": {"type": "string"}}}}]}
    work = parse({"input": [{"role": "user", "content": "x"},
                            {"type": "function_call", "call_id": "c1", "namespace": "multi_agent_v1", "name": "spawn_agent", "arguments": "{}"},
                            {"type": "function_call_output", "call_id": "c1", "output": "ok"}], "tools": [ns]})
    assert [d["name"] for d in work.request["tools"][0]["functionDeclarations"]] == ["multi_agent_v1.spawn_agent"]
    assert work.request["contents"][1]["parts"][0]["functionCall"]["name"] == "multi_agent_v1.spawn_agent"
    assert work.request["contents"][2]["parts"][0]["functionResponse"]["name"] == "multi_agent_v1.spawn_agent"
    answer = {"candidates": [{"content": {"parts": [{"functionCall": {"name": "multi_agent_v1.spawn_agent", "args": {"task": "t"}}}]},
                              "finishReason": "STOP"}]}
    (call,) = (await work.reply.whole(answer, RenderContext(SignatureStore(None), False)))["output"]
    assert (call["namespace"], call["name"], call["arguments"]) == ("multi_agent_v1", "spawn_agent", '{"task":"t"}')


def test_web_search_alone_is_google_search():
    work = parse({"input": "x", "tools": [{"type": "web_search"}]})
    assert work.request["tools"] == [{"googleSearch": {}}]
    work = parse({"input": "x", "tools": [FN, {"type": "web_search_preview"}]})
    assert "googleSearch" not in str(work.request["tools"]) and "web_search left out" in work.adjusted[0]


@pytest.mark.parametrize(("choice", "config"), [
    ("required", {"functionCallingConfig": {"mode": "ANY"}}),
    ("none", {"functionCallingConfig": {"mode": "NONE"}}),
    ({"type": "function", "name": "get_weather"}, {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}}),
    ({"type": "allowed_tools", "mode": "required", "tools": [{"type": "function", "name": "get_weather"}]},
     {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}}),
    ({"type": "web_search_preview"}, {"functionCallingConfig": {"mode": "AUTO"}}),
])
def test_tool_choice(choice, config):
    assert parse({"input": "x", "tools": [FN], "tool_choice": choice}).request.get("toolConfig") == config


def test_settings():
    work = parse({"input": "x", "temperature": 0.5, "top_p": 0.9, "max_output_tokens": 100,
                  "text": {"format": {"type": "json_schema", "name": "a", "strict": True,
                                      "schema": {"type": "object", "properties": {"n": {"type": "integer"}}}}},
                  "reasoning": {"effort": "high", "summary": "detailed"}, "include": ["reasoning.encrypted_content"],
                  "store": False, "prompt_cache_key": "thread-1", "parallel_tool_calls": False, "metadata": {"a": "b"},
                  "client_metadata": {"x": "y"}, "truncation": "auto", "service_tier": "auto"})
    gen = work.request["generationConfig"]
    assert gen["temperature"] == 0.5 and gen["topP"] == 0.9 and gen["maxOutputTokens"] == 100
    assert gen["responseMimeType"] == "application/json" and gen["responseSchema"]["properties"]["n"]["type"].lower() == "integer"
    assert work.thinking.effort == "high" and work.thinking.include_thoughts is True
    assert work.reply.echo.summaries and work.reply.echo.carry and not work.reply.echo.store
    assert work.affinity == "thread-1"


def test_thoughts_only_when_a_summary_is_asked():
    assert parse({"input": "x"}).thinking.include_thoughts is False
    assert parse({"input": "x", "reasoning": {"effort": "low"}}).thinking.include_thoughts is False
    assert parse({"input": "x", "reasoning": {"effort": "xhigh"}}).thinking.effort == "max"


def test_session_header_names_the_conversation():
    assert parse({"input": "x"}, {"session-id": "s-1"}).affinity == "s-1"


@pytest.mark.parametrize(("body", "param"), [
    ({"input": "x", "bogus": 1}, "bogus"),
    ({"input": 5}, "input"),
    ({}, "input"),
    ({"input": "x", "temperature": "hot"}, "temperature"),
    ({"input": "x", "temperature": 3}, "temperature"),
    ({"input": "x", "background": True, "store": False}, "background"),  # OpenAI: background needs store
    ({"input": "x", "background": True, "stream": True}, "stream"),  # no resumable background streams here
    ({"input": "x", "background": "yes"}, "background"),
    ({"input": "x", "conversation": "conv_1", "previous_response_id": "resp_1"}, "conversation"),
    ({"input": [{"type": "item_reference"}]}, "input[0].id"),
    ({"input": "x", "include": ["everything"]}, "include[0]"),
    ({"input": "x", "reasoning": {"effort": "extreme"}}, "reasoning.effort"),
    ({"input": "x", "tools": [{"type": "function"}]}, "tools[0].name"),
    ({"input": "x", "tool_choice": {"type": "function", "name": "nope"}, "tools": [FN]}, "tool_choice"),
    ({"input": "x", "tool_choice": "required"}, "tool_choice"),
    ({"input": [{"role": "robot", "content": "x"}]}, "input[0].role"),
    ({"input": [{"type": 7}]}, "input[0].type"),
    ({"input": [{"type": "function_call_output", "call_id": "call_x", "output": "o"}]}, "input[0].call_id"),
    ({"input": [{"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}"}, {"role": "user", "content": "x"}]}, "input[0]"),
    ({"input": [{"type": "function_call", "call_id": "c", "name": "f", "arguments": "[1]"}]}, "input[0].arguments"),
    ({"input": "x", "text": {"format": {"type": "yaml"}}}, "text.format.type"),
])
def test_refusals_name_the_field(body, param):
    assert refused(body).param == param


def test_unanswered_call_in_openai_words():
    err = refused({"input": [{"type": "function_call", "call_id": "call_a", "name": "f", "arguments": "{}"},
                             {"role": "user", "content": "next"}]})
    assert err.message == "No tool output found for function call call_a."


async def test_previous_response_is_prepended():
    ctx = RenderContext(SignatureStore(None), False)
    first = parse({"input": [{"role": "developer", "content": "dev"}, {"role": "user", "content": "one"}]})
    await first.reply.whole({"candidates": [{"content": {"role": "model", "parts": [{"text": "two", "thoughtSignature": "S"}]},
                                             "finishReason": "STOP"}]}, ctx)
    second = parse({"input": "three", "instructions": "new", "previous_response_id": first.reply.id})
    await second.resolve(ctx)
    assert second.request["contents"] == [{"role": "user", "parts": [{"text": "one"}]},
                                          {"role": "model", "parts": [{"text": "two", "thoughtSignature": "S"}]},
                                          {"role": "user", "parts": [{"text": "three"}]}]
    # The earlier input's developer message is kept; its instructions would not be (OpenAI's rule).
    assert second.request["systemInstruction"] == {"parts": [{"text": "new"}, {"text": "dev"}]}
    missing = parse({"input": "x", "previous_response_id": "resp_gone"})
    with pytest.raises(GatewayError) as info:
        await missing.resolve(ctx)
    assert (info.value.status, info.value.code, info.value.param) == (400, "previous_response_not_found", "previous_response_id")


def test_newer_item_types_are_left_out_and_said():
    work = parse({"input": [{"type": "telepathy"}, {"role": "user", "content": "x"}]})
    assert work.request["contents"] == [{"role": "user", "parts": [{"text": "x"}]}]
    assert work.adjusted == ("input[0] of type telepathy left out (not an item Gemini can take)",)


async def test_carried_signatures_say_which_kind_issued_them():
    """A replay prefers the upstream kind that issued the carried signatures, as for ones kept by call id."""
    sealed = seal([{"c": "call_9", "s": "SIG-CALL"}], "code-assist")
    assert sealed_origin(sealed) == "code-assist" and unseal(sealed) == [{"c": "call_9", "s": "SIG-CALL"}]
    work = parse({"input": [
        {"role": "user", "content": "q"},
        {"type": "function_call", "call_id": "call_9", "name": "get_weather", "arguments": "{}"},
        {"type": "reasoning", "summary": [], "encrypted_content": sealed},
        {"type": "function_call_output", "call_id": "call_9", "output": "x"},
    ], "tools": [FN]})
    await SignatureStore(None).fill(work.signatures, sentinel=True)  # unknown to the store: the carried one stays
    assert issuing_kinds(work.signatures) == {"code-assist"}
    assert work.request["contents"][1]["parts"][0]["thoughtSignature"] == "SIG-CALL"
    ctx = RenderContext(SignatureStore(None).scoped(lambda: "gemini-api"), False)
    answer = {"candidates": [{"content": {"parts": [{"functionCall": {"name": "get_weather", "args": {}}, "thoughtSignature": "S2"}]},
                              "finishReason": "STOP"}]}
    out = await parse({"input": "x", "tools": [FN], "include": ["reasoning.encrypted_content"]}).reply.whole(answer, ctx)
    assert sealed_origin(next(i for i in out["output"] if i["type"] == "reasoning")["encrypted_content"]) == "gemini-api"
