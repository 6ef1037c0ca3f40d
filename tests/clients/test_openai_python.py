"""The OpenAI Python SDK (unmodified, in-process) against the gateway's /v1 Chat Completions surface."""

from __future__ import annotations

import base64
import json
import struct

import openai
import pytest

from tests.support.payloads import WEATHER_TOOL
from tests.support.upstream import upstream_body

pytestmark = pytest.mark.clients


def test_create_plain_text(oai):
    completion = oai.chat.completions.create(
        model="gemini-2.5-flash",
        messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": "hello from python sdk"}],
    )
    assert completion.object == "chat.completion"
    assert completion.model == "gemini-2.5-flash"
    choice = completion.choices[0]
    assert choice.message.role == "assistant"
    assert choice.message.content == "echo: hello from python sdk"
    assert choice.finish_reason == "stop"
    assert completion.usage.prompt_tokens > 0
    assert completion.usage.total_tokens >= completion.usage.prompt_tokens + completion.usage.completion_tokens - 1


def test_stream_helper_final_completion(oai):
    events = []
    with oai.chat.completions.stream(
        model="gemini-2.5-flash",
        messages=[{"role": "user", "content": "alpha beta gamma delta epsilon"}],
    ) as stream:
        for event in stream:
            events.append(event.type)
        final = stream.get_final_completion()
    assert final.choices[0].message.content == "echo: alpha beta gamma delta epsilon"
    assert final.choices[0].finish_reason == "stop"
    assert events.count("content.delta") >= 2, events  # really streamed, in several pieces
    assert "content.done" in events


def _tool_round_trip(oai, model: str, city: str, marker: str):
    messages = [{"role": "user", "content": f'CALL get_weather {{"city": "{city}"}}'}]
    first = oai.chat.completions.create(model=model, messages=messages, tools=[WEATHER_TOOL])
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls", choice
    (call,) = choice.message.tool_calls
    assert call.type == "function" and call.id
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": city}

    # Send the assistant message back exactly as the SDK parsed it, as apps do.
    messages.append(choice.message.model_dump(exclude_none=True))
    messages.append({"role": "tool", "tool_call_id": call.id, "content": f"sunny {marker}"})
    final = oai.chat.completions.create(model=model, messages=messages, tools=[WEATHER_TOOL])
    assert final.choices[0].finish_reason == "stop"
    assert final.choices[0].message.content == f"tool result: sunny {marker}"
    return call


def test_tools_round_trip_gemini_25(oai, fake_api):
    _tool_round_trip(oai, "gemini-2.5-flash", "Paris", "marker-py-t25")
    sent = upstream_body(fake_api, "marker-py-t25")
    assert [c["role"] for c in sent["contents"]] == ["user", "model", "user"]
    assert sent["contents"][2]["parts"][0]["functionResponse"]["name"] == "get_weather"


def test_tools_round_trip_gemini_3_signatures(oai, fake_api):
    # The fake rejects a replayed Gemini 3 call without its genuine signature; the OpenAI client
    # has nowhere to keep it, so the second call only succeeds if the gateway cached and replayed it.
    _tool_round_trip(oai, "gemini-3-pro-preview", "Oslo", "marker-py-t3")
    fc_part = upstream_body(fake_api, "marker-py-t3")["contents"][1]["parts"][0]
    assert "functionCall" in fc_part
    assert fc_part.get("thoughtSignature") not in (None, "", "skip_thought_signature_validator")


def test_stream_tools_with_helper(oai):
    with oai.chat.completions.stream(
        model="gemini-2.5-flash",
        messages=[{"role": "user", "content": 'CALL get_weather {"city": "Lima"}'}],
        tools=[WEATHER_TOOL],
    ) as stream:
        types = [event.type for event in stream]
        final = stream.get_final_completion()
    assert "tool_calls.function.arguments.done" in types, types
    choice = final.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.tool_calls[0].function.name == "get_weather"
    assert json.loads(choice.message.tool_calls[0].function.arguments) == {"city": "Lima"}


def test_stream_include_usage_ends_with_usage_chunk(oai):
    chunks = list(
        oai.chat.completions.create(
            model="gemini-2.5-flash",
            messages=[{"role": "user", "content": "one two three four five six"}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "echo: one two three four five six"
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    last = chunks[-1]
    assert last.choices == []
    assert last.usage is not None
    assert last.usage.completion_tokens > 0 and last.usage.prompt_tokens > 0
    assert last.usage.total_tokens >= last.usage.prompt_tokens + last.usage.completion_tokens
    assert all(c.usage is None for c in chunks[:-1])


def test_models_list(oai):
    ids = {m.id for m in oai.models.list()}
    assert {"gemini-2.5-flash", "gemini-2.5-pro", "gemini-3-pro-preview", "gemini-embedding-001"} <= ids
    model = next(m for m in oai.models.list() if m.id == "gemini-2.5-flash")
    assert model.object == "model" and model.owned_by


def test_embeddings_default_base64(oai):
    # The Python SDK asks for encoding_format=base64 and decodes it back to floats itself.
    result = oai.embeddings.create(model="gemini-embedding-001", input=["first text", "second text here"])
    assert [d.index for d in result.data] == [0, 1]
    vectors = [d.embedding for d in result.data]
    assert all(isinstance(v, list) and v and all(isinstance(x, float) for x in v) for v in vectors)
    assert len(vectors[0]) == len(vectors[1])
    assert vectors[0] != vectors[1]
    assert result.usage.prompt_tokens > 0


def test_embeddings_float_format_matches_base64(oai, gw):
    floats = oai.embeddings.create(model="gemini-embedding-001", input="same text", encoding_format="float")
    raw = oai.embeddings.with_raw_response.create(model="gemini-embedding-001", input="same text", encoding_format="base64")
    b64 = json.loads(raw.text)["data"][0]["embedding"]
    decoded = struct.unpack(f"<{len(base64.b64decode(b64)) // 4}f", base64.b64decode(b64))
    assert len(decoded) == len(floats.data[0].embedding)
    assert decoded == pytest.approx(floats.data[0].embedding, rel=1e-6)


def test_unknown_model_is_not_found(oai):
    with pytest.raises(openai.NotFoundError) as info:
        oai.chat.completions.create(model="gemini-does-not-exist", messages=[{"role": "user", "content": "x"}])
    assert info.value.status_code == 404
    assert "gemini-does-not-exist" in str(info.value)


def test_bad_key_is_authentication_error(gw):
    client = openai.OpenAI(base_url=gw.url + "/v1", api_key="not-a-valid-key", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as info:
        client.chat.completions.create(model="gemini-2.5-flash", messages=[{"role": "user", "content": "x"}])
    assert info.value.status_code == 401
    with pytest.raises(openai.AuthenticationError):
        client.models.list()


def test_invalid_request_is_bad_request(oai):
    with pytest.raises(openai.BadRequestError) as info:
        oai.chat.completions.create(model="gemini-2.5-flash", messages=[])
    assert info.value.status_code == 400


def test_reasoning_effort_gives_reasoning_content(oai, fake_api):
    completion = oai.chat.completions.create(
        model="gemini-2.5-flash",
        reasoning_effort="low",
        messages=[{"role": "user", "content": "think about marker-py-reason"}],
    )
    message = completion.choices[0].message
    assert message.content == "echo: think about marker-py-reason"
    # Not a declared SDK field: kept as an extra attribute, as the OpenAI SDK does for unknown fields.
    assert "Considering the request" in message.reasoning_content
    assert "Considering the request" not in message.content
    assert completion.usage.completion_tokens_details.reasoning_tokens > 0
    thinking = upstream_body(fake_api, "marker-py-reason")["generationConfig"]["thinkingConfig"]
    assert thinking.get("includeThoughts") is True


def test_reasoning_effort_streams_reasoning_content(oai):
    chunks = list(
        oai.chat.completions.create(
            model="gemini-2.5-flash",
            reasoning_effort="medium",
            messages=[{"role": "user", "content": "stream the thinking please"}],
            stream=True,
        )
    )
    reasoning = "".join(getattr(c.choices[0].delta, "reasoning_content", None) or "" for c in chunks if c.choices)
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "Considering the request" in reasoning
    assert content == "echo: stream the thinking please"
