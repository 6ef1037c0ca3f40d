"""Histories legal for the client's API but not as such for Gemini reach the (strict) fake in a shape it
accepts, through the OpenAI and the Gemini-native dialects (issue 6 §3); legacy `functions` requests are
answered in the legacy shape."""

from __future__ import annotations

import json

import pytest

from tests.support.gateway import chat
from tests.support.http import post
from tests.support.upstream import upstream_body

MODEL = "gemini-2.5-flash"
LOOKUP = {"name": "lookup", "description": "Look a word up", "parameters": {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}}


def answer(gw, messages, **extra):
    r = chat(gw, {"model": MODEL, "messages": messages, **extra})
    assert r.status == 200, r.text
    return r.json()["choices"][0]["message"]


def native(gw, body, action="generateContent"):
    r = post(f"{gw.url}/v1beta/models/{MODEL}:{action}", body, headers={"x-goog-api-key": gw.key})
    assert r.status == 200, r.text
    return r.json()


def sent_parts(fake_api, marker):
    return [p for turn in upstream_body(fake_api, marker)["contents"] for p in turn["parts"]]


# -- OpenAI Chat Completions -----------------------------------------------------------------------------


def test_empty_user_content_is_dropped(gw, fake_api):
    message = answer(gw, [{"role": "user", "content": ""}, {"role": "user", "content": "marker-eu1 hello"}])
    assert message["content"] == "echo: marker-eu1 hello"
    assert {"text": ""} not in sent_parts(fake_api, "marker-eu1")


def test_empty_text_part_in_an_assistant_message_is_dropped(gw, fake_api):
    message = answer(gw, [
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": [{"type": "text", "text": ""}]},
        {"role": "user", "content": "marker-ea1 second"},
    ])
    assert message["content"].startswith("echo:") and "marker-ea1 second" in message["content"]
    body = upstream_body(fake_api, "marker-ea1")
    assert [t["role"] for t in body["contents"]] == ["user"]  # the empty turn went, the users merged
    assert {"text": ""} not in sent_parts(fake_api, "marker-ea1")


def test_empty_assistant_text_beside_a_tool_call(gw, fake_api):
    tools = [{"type": "function", "function": LOOKUP}]
    message = answer(gw, [
        {"role": "user", "content": "look it up marker-ec1"},
        {"role": "assistant", "content": [{"type": "text", "text": ""}],
         "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "lookup", "arguments": '{"q": "x"}'}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "found"},
    ], tools=tools)
    assert message["content"] == "tool result: found"


@pytest.mark.parametrize("role", ["system", "developer"])
def test_only_system_messages_are_sent_as_the_user_turn(gw, fake_api, role):
    message = answer(gw, [{"role": role, "content": f"marker-so1 write a {role} haiku"}])
    assert message["content"] == f"echo: marker-so1 write a {role} haiku"
    body = upstream_body(fake_api, "marker-so1")
    assert "systemInstruction" not in body and body["contents"][0]["role"] == "user"


def test_several_system_messages_only(gw):
    message = answer(gw, [{"role": "system", "content": "marker-so2 one"}, {"role": "system", "content": "two"}])
    assert message["content"] == "echo: marker-so2 one\ntwo"


def test_a_lone_assistant_message_is_answered(gw, fake_api):
    message = answer(gw, [{"role": "system", "content": "continue the story"},
                          {"role": "assistant", "content": "marker-la1 Once upon a time"}])
    assert "marker-la1 Once upon a time" in message["content"]


def test_a_function_message_without_a_call_is_kept_as_text(gw, fake_api):
    # the legacy API let `function` messages carry context without a function_call before them
    message = answer(gw, [
        {"role": "user", "content": "what does the lookup say? marker-fm1"},
        {"role": "function", "name": "lookup", "content": '{"answer": 42}'},
    ])
    assert "Function lookup returned" in message["content"]
    assert not any("functionResponse" in p for p in sent_parts(fake_api, "marker-fm1"))


def test_a_history_starting_with_a_tool_call(gw, fake_api):
    # a client's history window that cut off the user message that asked for the call
    tools = [{"type": "function", "function": LOOKUP}]
    message = answer(gw, [
        {"role": "assistant", "content": None,
         "tool_calls": [{"id": "c9", "type": "function", "function": {"name": "lookup", "arguments": '{"q": "y"}'}}]},
        {"role": "tool", "tool_call_id": "c9", "content": "marker-tc1 found"},
    ], tools=tools)
    assert message["content"] == "tool result: marker-tc1 found"
    assert upstream_body(fake_api, "marker-tc1")["contents"][0]["role"] == "user"


def test_tool_results_in_another_order_than_the_calls(gw, fake_api):
    tools = [{"type": "function", "function": LOOKUP}]
    calls = [{"id": f"c{i}", "type": "function", "function": {"name": "lookup", "arguments": json.dumps({"q": q})}}
             for i, q in enumerate("ab")]
    message = answer(gw, [
        {"role": "user", "content": "two lookups marker-or1"},
        {"role": "assistant", "content": None, "tool_calls": calls},
        {"role": "tool", "tool_call_id": "c1", "content": "B"},
        {"role": "tool", "tool_call_id": "c0", "content": "A"},
    ], tools=tools)
    assert message["content"] == "tool result: A; B"


def test_a_conversation_of_empty_messages_is_a_clear_400(gw):
    r = chat(gw, {"model": MODEL, "messages": [{"role": "user", "content": ""}]})
    assert r.status == 400
    assert "empty" in r.json()["error"]["message"]


# -- Gemini-native -------------------------------------------------------------------------------------


def test_native_replayed_empty_closing_part(gw, fake_api):
    # a client that replays the stream's parts verbatim sends the closing {"text": ""} back
    body = native(gw, {"contents": [
        {"role": "user", "parts": [{"text": "hi"}]},
        {"role": "model", "parts": [{"text": "hello"}, {"text": ""}]},
        {"role": "user", "parts": [{"text": "marker-ne1 again"}]},
    ]})
    assert body["candidates"][0]["content"]["parts"][0]["text"].startswith("echo:")
    assert {"text": ""} not in sent_parts(fake_api, "marker-ne1")


def test_native_one_turn_per_function_response(gw, fake_api):
    call = {"functionCall": {"name": "lookup", "args": {"q": "a"}}}
    body = native(gw, {
        "tools": [{"functionDeclarations": [LOOKUP]}],
        "contents": [
            {"role": "user", "parts": [{"text": "two lookups"}]},
            {"role": "model", "parts": [call, call]},
            {"role": "user", "parts": [{"functionResponse": {"name": "lookup", "response": {"output": "marker-nr1"}}}]},
            {"role": "user", "parts": [{"functionResponse": {"name": "lookup", "response": {"output": "two"}}}]},
        ],
    })
    assert body["candidates"][0]["content"]["parts"][0]["text"] == "tool result: marker-nr1; two"


def test_native_call_without_its_response_gets_googles_own_400(gw):
    """A Gemini-native history whose model turn has two calls and one response is not legal in Google's own API
    either: the client gets Google's answer as Google gives it (the OpenAI dialect refuses the same history itself,
    naming the unanswered tool_call_id: test_field_faults)."""
    call = {"functionCall": {"name": "lookup", "args": {"q": "a"}}}
    r = post(f"{gw.url}/v1beta/models/{MODEL}:generateContent", {
        "tools": [{"functionDeclarations": [LOOKUP]}],
        "contents": [
            {"role": "user", "parts": [{"text": "two lookups"}]},
            {"role": "model", "parts": [call, call]},
            {"role": "user", "parts": [{"functionResponse": {"name": "lookup", "response": {"output": "one"}}}]},
        ],
    }, headers={"x-goog-api-key": gw.key})
    assert r.status == 400, r.text
    error = r.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT" and "number of function response parts" in error["message"]


def test_native_system_instruction_only(gw):
    body = native(gw, {"systemInstruction": {"parts": [{"text": "marker-ns1 say hi"}]}, "contents": []})
    assert body["candidates"][0]["content"]["parts"][0]["text"] == "echo: marker-ns1 say hi"


def test_native_empty_user_text_in_a_stream(gw, fake_api):
    r = post(f"{gw.url}/v1beta/models/{MODEL}:streamGenerateContent?alt=sse",
             {"contents": [{"role": "user", "parts": [{"text": ""}, {"text": "marker-ne2 streamed"}]}]},
             headers={"x-goog-api-key": gw.key})
    assert r.status == 200, r.text
    text = "".join(p.get("text", "") for e in r.sse() for p in e["candidates"][0]["content"]["parts"])
    assert text == "echo: marker-ne2 streamed"


# -- legacy functions / function_call ----------------------------------------------------------------------


def legacy_request(**extra):
    return {"model": MODEL, "functions": [LOOKUP],
            "messages": [{"role": "user", "content": 'CALL lookup {"q": "tea"}'}], **extra}


def json_output_functions_parser(message: dict) -> dict:
    """What LangChain's JsonOutputFunctionsParser does with a message: json.loads of
    additional_kwargs["function_call"]["arguments"], a KeyError/ValueError otherwise."""
    return json.loads(message["function_call"]["arguments"])


def test_legacy_functions_answer_in_the_legacy_shape(gw):
    r = chat(gw, legacy_request())
    assert r.status == 200, r.text
    choice = r.json()["choices"][0]
    assert choice["finish_reason"] == "function_call"
    message = choice["message"]
    assert "tool_calls" not in message and message["content"] is None
    assert message["function_call"]["name"] == "lookup"
    assert json_output_functions_parser(message) == {"q": "tea"}


def test_legacy_function_call_round_trip(gw):
    first = chat(gw, legacy_request()).json()["choices"][0]["message"]
    follow = chat(gw, {"model": MODEL, "functions": [LOOKUP], "messages": [
        {"role": "user", "content": 'CALL lookup {"q": "tea"}'},
        {"role": "assistant", "content": None, "function_call": first["function_call"]},
        {"role": "function", "name": "lookup", "content": "a hot drink"},
    ]})
    assert follow.status == 200, follow.text
    choice = follow.json()["choices"][0]
    assert choice["message"]["content"] == "tool result: a hot drink" and choice["finish_reason"] == "stop"


def test_legacy_functions_streamed(gw):
    r = chat(gw, legacy_request(stream=True))
    assert r.status == 200, r.text
    chunks = [e for e in r.sse() if isinstance(e, dict)]
    deltas = [c["choices"][0]["delta"] for c in chunks if c.get("choices")]
    assert not any("tool_calls" in d for d in deltas)
    calls = [d["function_call"] for d in deltas if "function_call" in d]
    assert len(calls) == 1 and calls[0]["name"] == "lookup"
    # a client folds the deltas: name once, arguments concatenated
    assert json.loads("".join(c.get("arguments", "") for c in calls)) == {"q": "tea"}
    assert chunks[-1]["choices"][0]["finish_reason"] == "function_call"


def test_tools_requests_keep_tool_calls(gw):
    r = chat(gw, {"model": MODEL, "tools": [{"type": "function", "function": LOOKUP}],
                  "messages": [{"role": "user", "content": 'CALL lookup {"q": "tea"}'}]})
    choice = r.json()["choices"][0]
    assert choice["finish_reason"] == "tool_calls" and "function_call" not in choice["message"]


def test_langchain_json_output_functions_parser(gw):
    openai_functions = pytest.importorskip("langchain_core.output_parsers.openai_functions")
    from langchain_core.messages import AIMessage
    from langchain_core.outputs import ChatGeneration

    message = chat(gw, legacy_request()).json()["choices"][0]["message"]
    generation = ChatGeneration(message=AIMessage(content="", additional_kwargs={"function_call": message["function_call"]}))
    assert openai_functions.JsonOutputFunctionsParser().parse_result([generation]) == {"q": "tea"}
