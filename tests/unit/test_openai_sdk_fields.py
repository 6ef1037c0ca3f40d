"""Every request parameter of the installed openai SDK is mapped, accepted as a documented no-effect field, or
refused with a 400 that says why: a field a new SDK adds fails here before it fails users' requests with
"Unrecognized request argument" (issue 6 §7)."""

from __future__ import annotations

import copy
import typing
from pathlib import Path

import orjson
import pytest
from openai.types.chat import completion_create_params
from openai.types import embedding_create_params

from gemgate.catalog import ModelSpec
from gemgate.dialects.base import ParseInput
from gemgate.dialects.openai.chat_request import KNOWN_FIELDS, NO_EFFECT_FIELDS, REFUSED_FIELDS, parse_chat
from gemgate.dialects.openai import embeddings
from gemgate.errors import GatewayError

README = Path(__file__).resolve().parents[2] / "README.md"
BASE_CHAT = {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "hello"}]}
BASE_EMBED = {"model": "gemini-embedding-001", "input": ["hello"]}
FUNCTION = {"name": "f", "parameters": {"type": "object", "properties": {"a": {"type": "string"}}}}

# A value each parameter may take, as OpenAI documents it (platform.openai.com/docs/api-reference/chat/create).
CHAT_SAMPLES: dict[str, object] = {
    "model": "gemini-2.5-pro",
    "messages": [{"role": "user", "content": "other"}],
    "stream": True,
    "stream_options": {"include_usage": True},
    "temperature": 0.5,
    "top_p": 0.5,
    "n": 2,
    "stop": ["END"],
    "max_tokens": 10,
    "max_completion_tokens": 10,
    "presence_penalty": 1.0,
    "frequency_penalty": 1.0,
    "seed": 7,
    "tools": [{"type": "function", "function": FUNCTION}],
    "functions": [FUNCTION],
    "tool_choice": "none",
    "function_call": "none",
    "parallel_tool_calls": False,
    "response_format": {"type": "json_object"},
    "reasoning_effort": "high",
    "logprobs": True,
    "top_logprobs": 2,
    "modalities": ["text", "audio"],
    "web_search_options": {},
    # documented no-effect
    "metadata": {"k": "v"},
    "store": True,
    "service_tier": "auto",
    "safety_identifier": "hashed-user",
    "prompt_cache_key": "key",
    "prompt_cache_retention": "24h",
    "prompt_cache_options": {"mode": "implicit", "ttl": "30m"},
    "user": "someone",
    "verbosity": "low",
    # refused unless empty
    "logit_bias": {"50256": -100},
    "audio": {"voice": "alloy", "format": "wav"},
    "prediction": {"type": "content", "content": "x"},
    "moderation": {"model": "omni-moderation-latest"},
}
# Fields whose effect needs a companion field to show (e.g. stream_options only means something when streaming).
CHAT_COMPANIONS: dict[str, dict] = {
    "stream_options": {"stream": True},
    "top_logprobs": {"logprobs": True},
    "tool_choice": {"tools": [{"type": "function", "function": FUNCTION}]},
    "function_call": {"functions": [FUNCTION]},
    "parallel_tool_calls": {"tools": [{"type": "function", "function": FUNCTION}]},
}
# Fields with values that mean what Gemini does anyway (accepted, no effect) and values it cannot do (400).
REFUSED_VALUES: dict[str, tuple[object, str]] = {"modalities": (["text"], "may only contain 'text'")}
EMBED_SAMPLES: dict[str, object] = {
    "model": "text-embedding-3-small", "input": ["other"], "encoding_format": "base64", "dimensions": 8,
    "user": "someone",
}


def sdk_chat_fields() -> set[str]:
    base = set(typing.get_type_hints(completion_create_params.CompletionCreateParamsBase))
    return base | set(typing.get_type_hints(completion_create_params.CompletionCreateParamsStreaming))


def sdk_embedding_fields() -> set[str]:
    return set(typing.get_type_hints(embedding_create_params.EmbeddingCreateParams))


def chat_fingerprint(body: dict) -> tuple:
    gen = parse_chat(ParseInput(copy.deepcopy(body)))
    reply = gen.reply
    return (gen.model, orjson.dumps(gen.request, option=orjson.OPT_SORT_KEYS), gen.stream, gen.thinking,
            reply.include_usage, reply.streaming, getattr(reply, "legacy_functions", None), len(gen.media))


def embed_fingerprint(body: dict) -> tuple:
    unary = embeddings.parse_embeddings(ParseInput(copy.deepcopy(body)))
    spec = ModelSpec("m", "m", None, None)
    answer = {"embeddings": [{"values": [0.5]} for _ in range(len(body["input"]))]}
    return unary.model, orjson.dumps(unary.build(spec)), orjson.dumps(unary.render(answer, spec))


def test_every_sdk_chat_parameter_is_known_and_has_a_sample():
    fields = sdk_chat_fields()
    assert "prompt_cache_retention" in fields  # the field of issue 6 §7, in openai 2.x and later
    unknown = sorted(fields - KNOWN_FIELDS)
    assert not unknown, f"openai SDK chat parameters gemgate does not handle: {unknown}; map, accept or refuse them"
    missing = sorted(fields - set(CHAT_SAMPLES))
    assert not missing, f"give these parameters a sample value here: {missing}"
    assert set(REFUSED_FIELDS) <= KNOWN_FIELDS and NO_EFFECT_FIELDS <= KNOWN_FIELDS
    assert not set(REFUSED_FIELDS) & NO_EFFECT_FIELDS


@pytest.mark.parametrize("field", sorted(sdk_chat_fields()))
def test_sdk_chat_parameter_is_mapped_no_effect_or_refused(field):
    companions = CHAT_COMPANIONS.get(field, {})
    before = {**BASE_CHAT, **companions}
    after = {**before, field: CHAT_SAMPLES[field]}
    if field in REFUSED_VALUES:  # some values accepted without effect, the others refused with a reason
        accepted, why = REFUSED_VALUES[field]
        assert chat_fingerprint({**before, field: accepted}) == chat_fingerprint(before)
        with pytest.raises(GatewayError) as err:
            parse_chat(ParseInput(after))
        assert err.value.status == 400 and err.value.param == field and why in str(err.value)
    elif field in REFUSED_FIELDS:
        with pytest.raises(GatewayError) as err:
            parse_chat(ParseInput(after))
        assert err.value.status == 400 and err.value.param == field
        assert REFUSED_FIELDS[field] in str(err.value) and "Unrecognized" not in str(err.value)
        assert chat_fingerprint({**before, field: None}) == chat_fingerprint(before)  # an empty value is fine
    elif field in NO_EFFECT_FIELDS:
        assert chat_fingerprint(after) == chat_fingerprint(before)
    else:
        assert chat_fingerprint(after) != chat_fingerprint(before), f"{field} is accepted but changes nothing"


def test_prompt_cache_retention_is_accepted():
    gen = parse_chat(ParseInput({**BASE_CHAT, "prompt_cache_retention": "24h", "prompt_cache_key": "k"}))
    assert gen.request["contents"] == [{"role": "user", "parts": [{"text": "hello"}]}]


def test_an_unknown_parameter_is_still_refused():
    with pytest.raises(GatewayError) as err:
        parse_chat(ParseInput({**BASE_CHAT, "not_an_openai_field": 1}))
    assert err.value.status == 400 and "Unrecognized request argument supplied: not_an_openai_field" in str(err.value)


@pytest.mark.parametrize("field", sorted(sdk_embedding_fields()))
def test_sdk_embedding_parameter_is_mapped_or_no_effect(field):
    assert field in EMBED_SAMPLES, f"openai SDK embeddings parameter without a sample here: {field}"
    after = {**BASE_EMBED, field: EMBED_SAMPLES[field]}
    if field in embeddings.NO_EFFECT_FIELDS:
        assert embed_fingerprint(after) == embed_fingerprint(BASE_EMBED)
    else:
        assert embed_fingerprint(after) != embed_fingerprint(BASE_EMBED), f"{field} is accepted but changes nothing"


def test_readme_lists_the_no_effect_fields():
    text = README.read_text()
    section = text.split("### Fields accepted without effect", 1)[1].split("\n## ", 1)[0]
    for name in NO_EFFECT_FIELDS | embeddings.NO_EFFECT_FIELDS:
        assert f"`{name}`" in section, name
    for name in [*REFUSED_FIELDS, *REFUSED_VALUES]:
        assert f"`{name}`" in section, name


def test_nested_objects_know_every_sdk_key():
    """stream_options and response_format's json_schema are checked key by key (a typo is a 400), so their key
    lists must follow the SDK's types."""
    from openai.types.chat import ChatCompletionStreamOptionsParam
    from openai.types.shared_params import response_format_json_schema as rf
    from openai.types.chat.completion_create_params import WebSearchOptions
    from gemgate.dialects.openai.chat_request import JSON_SCHEMA, RESPONSE_FORMAT, STREAM_OPTIONS, WEB_SEARCH_OPTIONS

    assert set(typing.get_type_hints(WebSearchOptions)) == WEB_SEARCH_OPTIONS
    assert set(typing.get_type_hints(ChatCompletionStreamOptionsParam)) == STREAM_OPTIONS
    assert set(typing.get_type_hints(rf.ResponseFormatJSONSchema)) == RESPONSE_FORMAT
    assert set(typing.get_type_hints(rf.JSONSchema)) == JSON_SCHEMA
