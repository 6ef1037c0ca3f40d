"""Function calling through gemini-web accounts, end to end: the unmodified OpenAI and Anthropic SDKs against the
gateway, whose web account talks to the fake gemini.google.com, whose model answers in the tool prompt's text
protocol (testing/web_tools.py). Round trips via Chat Completions, Responses and Messages, streamed and whole;
tool_choice none/required/named; a malformed call retried once, then text with a logged warning; no partial
call ever leaks into streamed text."""

from __future__ import annotations

import json
import logging

import anthropic
import openai
import pytest

from tests.support.agreement import assert_anthropic_agree, assert_openai_agree, assert_responses_agree
from tests.support.gateway import chat
from tests.support.http import post
from tests.support.payloads import WEATHER_TOOL
from tests.support.sse import parse_sse_events
from tests.support.web import module_gateway

MODEL = "gemini-web/flash"
TIME_TOOL = {"type": "function", "function": {"name": "get_time", "description": "Current time in a zone",
                                              "parameters": {"type": "object", "properties": {"zone": {"type": "string"}}}}}
CALL = 'CALL get_weather {"city": "Paris"}'


gw, fake = module_gateway("tools")


@pytest.fixture
def oai(gw):
    client = openai.OpenAI(base_url=gw.url + "/v1", api_key=gw.key, max_retries=0, timeout=30)
    yield client
    client.close()


def _streamed(oai, **kw):
    """(content, tool calls as {name, arguments}, finish_reason) of a streamed chat completion."""
    content, calls, finish = "", {}, None
    for event in oai.chat.completions.create(stream=True, **kw):
        for choice in event.choices:
            content += choice.delta.content or ""
            for call in choice.delta.tool_calls or ():
                slot = calls.setdefault(call.index, {"name": "", "arguments": ""})
                slot["name"] += (call.function.name or "") if call.function else ""
                slot["arguments"] += (call.function.arguments or "") if call.function else ""
            finish = choice.finish_reason or finish
    return content, [calls[i] for i in sorted(calls)], finish


def test_chat_round_trip_streamed_and_whole_agree(oai, fake):
    messages = [{"role": "user", "content": CALL}]
    whole = oai.chat.completions.create(model=MODEL, messages=messages, tools=[WEATHER_TOOL])
    choice = whole.choices[0]
    assert choice.finish_reason == "tool_calls", choice
    (call,) = choice.message.tool_calls
    assert call.function.name == "get_weather" and json.loads(call.function.arguments) == {"city": "Paris"}
    assert not choice.message.content
    content, calls, finish = _streamed(oai, model=MODEL, messages=messages, tools=[WEATHER_TOOL])
    assert (content, finish) == ("", "tool_calls")
    assert [(c["name"], json.loads(c["arguments"])) for c in calls] == [("get_weather", {"city": "Paris"})]
    prompt = fake.requests_to("StreamGenerate")[-1].extra["inner"][0][0]
    assert '"name":"get_weather"' in prompt and "```tool-call" in prompt

    messages += [choice.message.model_dump(exclude_none=True),
                 {"role": "tool", "tool_call_id": call.id, "content": "sunny 21C"}]
    second = oai.chat.completions.create(model=MODEL, messages=messages, tools=[WEATHER_TOOL])
    assert second.choices[0].message.content == "tool result: sunny 21C"
    assert second.choices[0].finish_reason == "stop"
    sent = fake.requests_to("StreamGenerate")[-1]
    assert sent.extra["continued"]  # the web conversation that holds the call goes on, with the result alone
    assert sent.extra["inner"][0][0].startswith("Functions you can call")  # offered again: they may change
    assert sent.extra["inner"][0][0].endswith('```tool-result\n{"name":"get_weather","response":{"result":"sunny 21C"}}\n```')

    # a history the web app does not hold (another client's call) travels in the prompt, in the same protocol
    messages[1]["tool_calls"][0]["function"]["arguments"] = '{"city": "Lyon"}'
    third = oai.chat.completions.create(model=MODEL, messages=messages, tools=[WEATHER_TOOL])
    assert third.choices[0].message.content == "tool result: sunny 21C"
    sent = fake.requests_to("StreamGenerate")[-1]
    assert not sent.extra["continued"]
    assert 'Assistant:\n```tool-call\n{"name":"get_weather","arguments":{"city":"Lyon"}}\n```' in sent.extra["inner"][0][0]


def test_parallel_calls(oai):
    messages = [{"role": "user", "content": CALL + '\nCALL get_time {"zone": "CET"}'}]
    whole = oai.chat.completions.create(model=MODEL, messages=messages, tools=[WEATHER_TOOL, TIME_TOOL])
    got = [(c.function.name, json.loads(c.function.arguments)) for c in whole.choices[0].message.tool_calls]
    assert got == [("get_weather", {"city": "Paris"}), ("get_time", {"zone": "CET"})]
    _, calls, _ = _streamed(oai, model=MODEL, messages=messages, tools=[WEATHER_TOOL, TIME_TOOL])
    assert [(c["name"], json.loads(c["arguments"])) for c in calls] == got


def test_tool_choice_none_required_and_named(oai, fake):
    none = oai.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": CALL}],
                                       tools=[WEATHER_TOOL], tool_choice="none")
    assert none.choices[0].finish_reason == "stop" and not none.choices[0].message.tool_calls
    assert "Functions you can call" not in fake.requests_to("StreamGenerate")[-1].extra["inner"][0][0]
    required = oai.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "what now"}],
                                           tools=[WEATHER_TOOL, TIME_TOOL], tool_choice="required")
    assert required.choices[0].message.tool_calls[0].function.name == "get_weather"
    assert "you must call one or more" in fake.requests_to("StreamGenerate")[-1].extra["inner"][0][0]
    named = oai.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "what now"}],
                                        tools=[WEATHER_TOOL, TIME_TOOL],
                                        tool_choice={"type": "function", "function": {"name": "get_time"}})
    assert [c.function.name for c in named.choices[0].message.tool_calls] == ["get_time"]
    prompt = fake.requests_to("StreamGenerate")[-1].extra["inner"][0][0]
    assert '"name":"get_weather"' not in prompt  # only the named function is offered


def test_malformed_once_is_retried(oai, fake):
    before = len(fake.requests_to("StreamGenerate"))
    for stream in (False, True):
        messages = [{"role": "user", "content": f"MALFORMED-ONCE\n{CALL}\n{stream}"}]
        if stream:
            content, calls, finish = _streamed(oai, model=MODEL, messages=messages, tools=[WEATHER_TOOL])
        else:
            choice = oai.chat.completions.create(model=MODEL, messages=messages, tools=[WEATHER_TOOL]).choices[0]
            content, finish = choice.message.content, choice.finish_reason
            calls = [{"name": c.function.name, "arguments": c.function.arguments} for c in choice.message.tool_calls]
        assert finish == "tool_calls" and not content, content
        assert [(c["name"], json.loads(c["arguments"])) for c in calls] == [("get_weather", {"city": "Paris"})]
    assert len(fake.requests_to("StreamGenerate")) - before == 4  # two tries each, on the same account


def test_malformed_twice_is_text_with_a_warning(oai, gw, caplog):
    messages = [{"role": "user", "content": f"MALFORMED\n{CALL}"}]
    with caplog.at_level(logging.WARNING, logger="gemgate.web"):
        whole = oai.chat.completions.create(model=MODEL, messages=messages, tools=[WEATHER_TOOL])
        content, calls, finish = _streamed(oai, model=MODEL, messages=messages, tools=[WEATHER_TOOL])
    assert whole.choices[0].finish_reason == "stop" and not whole.choices[0].message.tool_calls
    assert whole.choices[0].message.content.startswith("```tool-call")
    assert (content, calls, finish) == (whole.choices[0].message.content, [], "stop")
    assert sum("unusable twice" in r.getMessage() for r in caplog.records) == 2


def test_streamed_text_never_shows_part_of_a_call(oai):
    events = oai.chat.completions.create(model=MODEL, stream=True, tools=[WEATHER_TOOL],
                                         messages=[{"role": "user", "content": CALL}])
    deltas = [c.delta.content for e in events for c in e.choices if c.delta.content]
    assert not any("`" in d or "tool" in d for d in deltas), deltas


def test_responses_round_trip(oai):
    tool = {"type": "function", "name": "get_weather", "description": "weather",
            "parameters": WEATHER_TOOL["function"]["parameters"]}
    first = oai.responses.create(model=MODEL, input=CALL, tools=[tool])
    (item,) = [o for o in first.output if o.type == "function_call"]
    assert item.name == "get_weather" and json.loads(item.arguments) == {"city": "Paris"}
    with oai.responses.stream(model=MODEL, input=CALL, tools=[tool]) as stream:
        final = stream.get_final_response()
    (streamed,) = [o for o in final.output if o.type == "function_call"]
    assert (streamed.name, json.loads(streamed.arguments)) == (item.name, json.loads(item.arguments))
    second = oai.responses.create(model=MODEL, tools=[tool], input=[
        {"role": "user", "content": CALL}, item.model_dump(exclude_none=True),
        {"type": "function_call_output", "call_id": item.call_id, "output": "rainy"}])
    assert second.output_text == "tool result: rainy"


def test_anthropic_round_trip_streamed_and_whole(gw):
    client = anthropic.Anthropic(base_url=gw.url, api_key=gw.key, max_retries=0, timeout=30)
    tool = {"name": "get_weather", "description": "weather", "input_schema": WEATHER_TOOL["function"]["parameters"]}
    messages = [{"role": "user", "content": CALL}]
    whole = client.messages.create(model=MODEL, max_tokens=200, tools=[tool], messages=messages)
    assert whole.stop_reason == "tool_use"
    (use,) = [b for b in whole.content if b.type == "tool_use"]
    assert use.name == "get_weather" and use.input == {"city": "Paris"}
    with client.messages.stream(model=MODEL, max_tokens=200, tools=[tool], messages=messages) as stream:
        final = stream.get_final_message()
    assert final.stop_reason == "tool_use" and [b.input for b in final.content if b.type == "tool_use"] == [use.input]
    messages += [{"role": "assistant", "content": [use.model_dump(exclude_none=True)]},
                 {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "cloudy"}]}]
    second = client.messages.create(model=MODEL, max_tokens=200, tools=[tool], messages=messages)
    assert second.stop_reason == "end_turn" and second.content[0].text == "tool result: cloudy"
    client.close()


@pytest.mark.parametrize("content", [CALL, CALL + '\nCALL get_time {"zone": "CET"}', "MALFORMED-ONCE\n" + CALL + " agree",
                                     "MALFORMED\n" + CALL])
def test_stream_and_whole_agree_by_each_clients_rules(gw, content):
    """Chat Completions, Responses and Messages: the whole answer equals the fold of the streamed one."""
    tools = [WEATHER_TOOL, TIME_TOOL]
    body = {"model": MODEL, "messages": [{"role": "user", "content": content}], "tools": tools}
    streamed = chat(gw, {**body, "stream": True, "stream_options": {"include_usage": True}})
    assert_openai_agree(chat(gw, body).json(), streamed.sse())
    flat = [{"type": "function", **t["function"]} for t in tools]
    responses = {"model": MODEL, "input": content, "tools": flat}
    whole = post(f"{gw.url}/v1/responses", responses, key=gw.key)
    assert_responses_agree(whole.json(), post(f"{gw.url}/v1/responses", {**responses, "stream": True}, key=gw.key).sse())
    anthropic_tools = [{"name": t["function"]["name"], "input_schema": t["function"]["parameters"]} for t in tools]
    messages = {"model": MODEL, "max_tokens": 100, "tools": anthropic_tools, "messages": body["messages"]}
    head = {"x-api-key": gw.key, "anthropic-version": "2023-06-01"}
    whole = post(f"{gw.url}/v1/messages", messages, headers=head)
    streamed = post(f"{gw.url}/v1/messages", {**messages, "stream": True}, headers=head)
    assert_anthropic_agree(whole.json(), parse_sse_events(streamed.body))
