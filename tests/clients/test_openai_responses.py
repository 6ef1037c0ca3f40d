"""The OpenAI Python SDK (unmodified, in-process) and LangChain's ChatOpenAI with use_responses_api=True against
the gateway's /v1/responses."""

from __future__ import annotations

import json
import time

import openai
import pytest

from tests.support.gateway import API_KEYS, GatewayThread
from tests.support.upstream import upstream_body

pytestmark = pytest.mark.clients

WEATHER = {"type": "function", "name": "get_weather", "description": "Weather in a city",
           "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}


def test_create_plain_text(oai):
    response = oai.responses.create(model="gemini-2.5-flash", instructions="be brief", input="hello from the sdk")
    assert response.status == "completed" and response.object == "response"
    assert response.output_text == "echo: hello from the sdk"
    assert response.usage.input_tokens > 0 and response.usage.output_tokens > 0


def test_stream_helper_with_a_function_tool(oai):
    with oai.responses.stream(model="gemini-3-pro-preview", tools=[WEATHER], reasoning={"summary": "auto"},
                              include=["reasoning.encrypted_content"],
                              input='CALL get_weather {"city": "Lima"}') as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_response()
    assert "response.function_call_arguments.done" in kinds and kinds[-1] == "response.completed", kinds
    call = next(item for item in final.output if item.type == "function_call")
    assert call.name == "get_weather" and json.loads(call.arguments) == {"city": "Lima"}
    reasoning = next(item for item in final.output if item.type == "reasoning")
    assert reasoning.encrypted_content and reasoning.summary[0].text

    # The output goes back as the next input, with the tool's result, as the SDK's docs show.
    again = oai.responses.create(model="gemini-3-pro-preview", tools=[WEATHER], input=[
        {"role": "user", "content": 'CALL get_weather {"city": "Lima"}'}, *final.output,
        {"type": "function_call_output", "call_id": call.call_id, "output": "sunny sdk-stream"}])
    assert again.output_text == "tool result: sunny sdk-stream"


def test_stream_text_deltas(oai):
    with oai.responses.stream(model="gemini-2.5-flash", input="alpha beta gamma delta epsilon") as stream:
        deltas = [event.delta for event in stream if event.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert len(deltas) >= 2 and "".join(deltas) == final.output_text == "echo: alpha beta gamma delta epsilon"


def test_retrieve_and_delete(oai):
    created = oai.responses.create(model="gemini-2.5-flash", input="keep this one")
    fetched = oai.responses.retrieve(created.id)
    assert fetched.id == created.id and fetched.output_text == created.output_text
    oai.responses.delete(created.id)
    with pytest.raises(openai.NotFoundError):
        oai.responses.retrieve(created.id)


def test_errors_raise_the_sdk_exceptions(oai, gw):
    with pytest.raises(openai.NotFoundError):
        oai.responses.create(model="gemini-does-not-exist", input="x")
    with pytest.raises(openai.BadRequestError) as info:
        oai.responses.create(model="gemini-2.5-flash", input="x", temperature=9)
    assert info.value.param == "temperature"
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=gw.url + "/v1", api_key="nope", max_retries=0).responses.create(model="gemini-2.5-flash", input="x")


def test_previous_response_id_across_a_restart(fake_api, tmp_path):
    """A stored response (with the call's thought signature) outlives the gateway: the next one continues it."""
    data = tmp_path / "gw"
    with GatewayThread(data, fake_api.url, API_KEYS) as gw:
        client = openai.OpenAI(base_url=gw.url + "/v1", api_key=gw.key, max_retries=0)
        first = client.responses.create(model="gemini-3-pro-preview", tools=[WEATHER],
                                        input='CALL get_weather {"city": "Kyiv"}\nmarker-restart')
    call = next(item for item in first.output if item.type == "function_call")
    with GatewayThread(data, fake_api.url, API_KEYS) as gw:
        client = openai.OpenAI(base_url=gw.url + "/v1", api_key=gw.key, max_retries=0)
        second = client.responses.create(model="gemini-3-pro-preview", tools=[WEATHER], previous_response_id=first.id,
                                         input=[{"type": "function_call_output", "call_id": call.call_id,
                                                 "output": "mild marker-restart-2"}])
    assert second.output_text == "tool result: mild marker-restart-2"
    sent = upstream_body(fake_api, "marker-restart-2")
    call_part = next(p for p in sent["contents"][1]["parts"] if "functionCall" in p)
    assert call_part["thoughtSignature"] not in ("", "skip_thought_signature_validator")


def test_langchain_responses_api(gw):
    langchain_openai = pytest.importorskip("langchain_openai")
    llm = langchain_openai.ChatOpenAI(model="gemini-2.5-flash", base_url=gw.url + "/v1", api_key=gw.key,
                                      use_responses_api=True, max_retries=0)
    assert llm.invoke("hello from langchain").text == "echo: hello from langchain"
    chunks = list(llm.stream("one two three four five"))
    assert "".join(c.text for c in chunks) == "echo: one two three four five"

    def get_weather(city: str) -> str:
        """Weather in a city."""
        return "sunny"

    message = llm.bind_tools([get_weather]).invoke('CALL get_weather {"city": "Oslo"}')
    assert message.tool_calls[0]["name"] == "get_weather" and message.tool_calls[0]["args"] == {"city": "Oslo"}


def _poll(oai, rid: str, *, until=("completed", "failed", "incomplete", "cancelled")):
    deadline = time.monotonic() + 15
    response = oai.responses.retrieve(rid)
    while response.status not in until and time.monotonic() < deadline:
        time.sleep(0.1)
        response = oai.responses.retrieve(rid)
    return response


def test_background_polled_and_cancelled(oai):
    """The SDK's background mode: create answers queued at once, retrieve polls it to completed, cancel stops one."""
    queued = oai.responses.create(model="gemini-2.5-flash", background=True, input="hello in the background")
    assert queued.status == "queued" and queued.background is True
    done = _poll(oai, queued.id)
    assert done.status == "completed" and done.output_text == "echo: hello in the background"
    slow = oai.responses.create(model="gemini-2.5-flash", background=True, input="slow one\nSLOW 2")
    cancelled = oai.responses.cancel(slow.id)
    assert cancelled.status == "cancelled" and oai.responses.retrieve(slow.id).status == "cancelled"
    with pytest.raises(openai.BadRequestError):
        oai.responses.create(model="gemini-2.5-flash", background=True, store=False, input="x")


def test_input_items_list_and_item_reference(oai, fake_api):
    """`responses.input_items.list` pages a stored response's input; its ids (and output item ids) go back as
    item_reference items."""
    first = oai.responses.create(model="gemini-3-pro-preview", tools=[WEATHER], input=[
        {"role": "developer", "content": "sdk rule"}, {"role": "user", "content": 'CALL get_weather {"city": "Riga"}'}])
    items = list(oai.responses.input_items.list(first.id, order="asc", limit=1))  # the pager follows `after`
    assert [i.role for i in items] == ["developer", "user"] and all(i.id for i in items)
    call = next(item for item in first.output if item.type == "function_call")
    again = oai.responses.create(model="gemini-3-pro-preview", tools=[WEATHER], store=False, input=[
        {"type": "item_reference", "id": items[1].id}, {"type": "item_reference", "id": call.id},
        {"type": "function_call_output", "call_id": call.call_id, "output": "windy sdk-ref"}])
    assert again.output_text == "tool result: windy sdk-ref"
    sent = upstream_body(fake_api, "windy sdk-ref")["contents"]
    assert "Riga" in sent[0]["parts"][0]["text"] and "functionCall" in sent[1]["parts"][-1]
    with pytest.raises(openai.BadRequestError) as info:
        oai.responses.create(model="gemini-2.5-flash", input=[{"type": "item_reference", "id": "msg_unknown"}])
    assert "msg_unknown" in info.value.message


def test_conversations(oai):
    """The SDK's conversations.create / items.list and `conversation=` on responses.create."""
    conversation = oai.conversations.create(items=[{"role": "user", "content": "remember sdk-conv"}])
    answer = oai.responses.create(model="gemini-2.5-flash", conversation=conversation.id, input="what did I say?")
    assert answer.output_text.startswith("echo: remember sdk-conv")
    items = list(oai.conversations.items.list(conversation.id, order="asc"))
    assert [i.type for i in items] == ["message"] * 3 and items[-1].role == "assistant"
    assert oai.conversations.delete(conversation.id).deleted is True
