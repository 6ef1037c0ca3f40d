"""LiteLLM as a client of the gateway: its `openai/` provider (Chat Completions under /v1) and its
`gemini/` provider (Gemini-native under /v1beta; the api_base must include /v1beta because LiteLLM
appends /models/... to it directly)."""

from __future__ import annotations

import json
import os

import pytest

from tests.support.payloads import WEATHER_TOOL
from tests.support.upstream import upstream_body

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # before the import: no cost-map download
litellm = pytest.importorskip("litellm")

pytestmark = [
    pytest.mark.clients,
    # litellm's own pydantic models warn about a ReadOnly TypedDict item on first use; not ours.
    pytest.mark.filterwarnings("ignore:Item 'summary' on TypedDict:UserWarning"),
]


@pytest.fixture
def openai_route(gw):
    return {"api_base": gw.url + "/v1", "api_key": gw.key, "num_retries": 0, "timeout": 30}


@pytest.fixture
def gemini_route(gw):
    return {"api_base": gw.url + "/v1beta", "api_key": gw.key, "num_retries": 0, "timeout": 30}


def _stream_text(stream) -> tuple[str, list]:
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    return text, finishes


# -- openai/ provider → POST /v1/chat/completions -----------------------------------------------


def test_openai_route_completion(openai_route):
    r = litellm.completion(
        model="openai/gemini-2.5-flash", messages=[{"role": "user", "content": "hello via litellm"}], **openai_route
    )
    assert r.choices[0].message.content == "echo: hello via litellm"
    assert r.choices[0].finish_reason == "stop"
    assert r.usage.prompt_tokens == 3 and r.usage.completion_tokens > 0


def test_openai_route_stream(openai_route):
    stream = litellm.completion(
        model="openai/gemini-2.5-flash",
        messages=[{"role": "user", "content": "one two three four five"}],
        stream=True,
        stream_options={"include_usage": True},
        **openai_route,
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "echo: one two three four five"
    assert "stop" in [c.choices[0].finish_reason for c in chunks if c.choices]
    usage = [getattr(c, "usage", None) for c in chunks if getattr(c, "usage", None)]
    assert usage and usage[-1].total_tokens > 0


def test_openai_route_reasoning_content(openai_route):
    r = litellm.completion(
        model="openai/gemini-2.5-flash",
        reasoning_effort="low",
        messages=[{"role": "user", "content": "reason about this"}],
        **openai_route,
    )
    assert r.choices[0].message.content == "echo: reason about this"
    assert "Considering the request" in (r.choices[0].message.reasoning_content or "")


@pytest.mark.parametrize(
    "provider, model",
    [("openai", "gemini-2.5-flash"), ("openai", "gemini-3-pro-preview"), ("gemini", "gemini-2.5-flash"), ("gemini", "gemini-3-flash-preview")],
)
def test_tools_round_trip(request, fake_api, provider, model):
    """A call, the tool's result, the final answer — through both LiteLLM providers."""
    route = request.getfixturevalue(f"{provider}_route")
    marker = f"marker-litellm-{provider}-{model}"
    messages = [{"role": "user", "content": 'CALL get_weather {"city": "Rome"}'}]
    r = litellm.completion(model=f"{provider}/{model}", messages=messages, tools=[WEATHER_TOOL], **route)
    assert r.choices[0].finish_reason == "tool_calls"
    (call,) = r.choices[0].message.tool_calls
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Rome"}
    messages.append(r.choices[0].message.model_dump(exclude_none=True))
    messages.append({"role": "tool", "tool_call_id": call.id, "content": f"rainy {marker}"})
    final = litellm.completion(model=f"{provider}/{model}", messages=messages, tools=[WEATHER_TOOL], **route)
    assert final.choices[0].message.content == f"tool result: rainy {marker}"
    if model.startswith("gemini-3"):
        part = upstream_body(fake_api, marker)["contents"][1]["parts"][0]
        assert part.get("thoughtSignature") not in (None, "", "skip_thought_signature_validator")


def test_openai_route_stream_tools(openai_route):
    stream = litellm.completion(
        model="openai/gemini-2.5-flash",
        messages=[{"role": "user", "content": 'CALL get_weather {"city": "Kyiv"}'}],
        tools=[WEATHER_TOOL],
        stream=True,
        **openai_route,
    )
    chunks = list(stream)
    rebuilt = litellm.stream_chunk_builder(chunks)
    (call,) = rebuilt.choices[0].message.tool_calls
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Kyiv"}
    assert rebuilt.choices[0].finish_reason == "tool_calls"


def test_openai_route_unknown_model(openai_route):
    with pytest.raises(litellm.NotFoundError) as info:
        litellm.completion(model="openai/gemini-nope", messages=[{"role": "user", "content": "x"}], **openai_route)
    assert info.value.status_code == 404


def test_openai_route_bad_key(openai_route):
    with pytest.raises(litellm.AuthenticationError):
        litellm.completion(
            model="openai/gemini-2.5-flash",
            messages=[{"role": "user", "content": "x"}],
            **{**openai_route, "api_key": "not-a-valid-key"},
        )


# -- gemini/ provider → POST /v1beta/models/{m}:generateContent / :streamGenerateContent ---------


def test_gemini_route_completion(gemini_route, fake_api):
    r = litellm.completion(
        model="gemini/gemini-2.5-flash",
        messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi marker-litellm-gem"}],
        **gemini_route,
    )
    assert r.choices[0].message.content == "echo: hi marker-litellm-gem"
    assert r.choices[0].finish_reason == "stop"
    assert r.usage.prompt_tokens > 0 and r.usage.completion_tokens > 0
    sent = upstream_body(fake_api, "marker-litellm-gem")
    assert sent["systemInstruction"]["parts"][0]["text"] == "be brief"


def test_gemini_route_stream(gemini_route):
    stream = litellm.completion(
        model="gemini/gemini-2.5-flash",
        messages=[{"role": "user", "content": "one two three four five six"}],
        stream=True,
        **gemini_route,
    )
    text, finishes = _stream_text(stream)
    assert text == "echo: one two three four five six"
    assert finishes == ["stop"]


def test_gemini_route_errors(gemini_route):
    with pytest.raises(litellm.NotFoundError):
        litellm.completion(model="gemini/gemini-nope", messages=[{"role": "user", "content": "x"}], **gemini_route)
    with pytest.raises(litellm.AuthenticationError):
        litellm.completion(
            model="gemini/gemini-2.5-flash",
            messages=[{"role": "user", "content": "x"}],
            **{**gemini_route, "api_key": "not-a-valid-key"},
        )


@pytest.mark.parametrize("directive", ["SLOW 2.5", "STALL-AFTER 1 2.5"])
def test_gemini_route_stream_survives_keepalives(gemini_route, directive):
    # The session gateway sends a keepalive a second; LiteLLM lost the answer on SSE comment lines.
    content = f"one two three four\n{directive}"
    stream = litellm.completion(model="gemini/gemini-2.5-flash", messages=[{"role": "user", "content": content}],
                                stream=True, **gemini_route)
    text, finishes = _stream_text(stream)
    assert text == f"echo: {content}"
    assert finishes == ["stop"]
