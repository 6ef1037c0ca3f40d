"""`response_format` json_schema roots other than an object with properties reach Gemini as a schema
(issue 6, tester faults): they used to be dropped, leaving JSON mode without a schema (`{"echo": ...}`)."""

from __future__ import annotations

import json

import pytest

from tests.support.gateway import chat
from tests.support.upstream import upstream_body

ARRAY = {"type": "array", "items": {"type": "object", "properties": {"z": {"type": "string"}, "a": {"type": "string"}}}}
ENUM = {"type": "string", "enum": ["yes", "no"]}
EMPTY_OBJECT = {"type": "object", "properties": {}}
UNION = {"anyOf": [{"type": "object", "properties": {"x": {"type": "string"}}, "required": ["x"]},
                   {"type": "object", "properties": {"y": {"type": "integer"}}, "required": ["y"]}]}


def content(gw, schema, marker, stream):
    r = chat(gw, {"model": "gemini-2.5-flash-lite", "messages": [{"role": "user", "content": marker}], "stream": stream,
                  "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}}})
    assert r.status == 200, r.text
    if not stream:
        return json.loads(r.json()["choices"][0]["message"]["content"])
    events = [json.loads(line[6:]) for line in r.text.splitlines() if line.startswith("data: {")]
    return json.loads("".join(e["choices"][0]["delta"].get("content") or "" for e in events if e.get("choices")))


@pytest.mark.parametrize("stream", [False, True])
def test_array_root_keeps_its_items_and_their_order(gw, fake_api, stream):
    marker = f"array root {stream}"
    data = content(gw, ARRAY, marker, stream)
    assert isinstance(data, list) and data and list(data[0]) == ["z", "a"]
    sent = upstream_body(fake_api, marker)["generationConfig"]["responseSchema"]
    assert sent["type"] == "array" and sent["items"]["propertyOrdering"] == ["z", "a"]


@pytest.mark.parametrize("stream", [False, True])
def test_string_enum_root(gw, fake_api, stream):
    assert content(gw, ENUM, f"enum root {stream}", stream) == "yes"
    assert upstream_body(fake_api, f"enum root {stream}")["generationConfig"]["responseSchema"] == ENUM


@pytest.mark.parametrize("stream", [False, True])
def test_object_without_properties_is_an_object(gw, fake_api, stream):
    assert content(gw, EMPTY_OBJECT, f"empty object root {stream}", stream) == {}
    sent = upstream_body(fake_api, f"empty object root {stream}")["generationConfig"]
    assert sent["responseSchema"] == {"type": "object"}  # Google refuses an empty properties map


@pytest.mark.parametrize("stream", [False, True])
def test_union_root_stays_a_union(gw, fake_api, stream):
    assert content(gw, UNION, f"union root {stream}", stream) == {"x": f"union root {stream}"}
    sent = upstream_body(fake_api, f"union root {stream}")["generationConfig"]["responseSchema"]
    assert [b["properties"] for b in sent["anyOf"]] == [{"x": {"type": "string"}}, {"y": {"type": "integer"}}]


def test_a_schema_allowing_anything_is_json_mode(gw, fake_api):
    assert content(gw, {"description": "anything"}, "any json root", False) == {"echo": "any json root"}
    assert "responseSchema" not in upstream_body(fake_api, "any json root")["generationConfig"]


def test_a_schema_that_is_not_an_object_is_a_400(gw):
    r = chat(gw, {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "x"}],
                  "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": [1]}}})
    assert r.status == 400 and r.json()["error"]["param"] == "response_format.json_schema.schema"


TYPED = {"type": "object", "properties": {"e": {"type": "integer", "enum": [1, 2, 3]},
                                          "items": {"type": "array", "items": {"enum": [True, None, 2.5]}},
                                          "name": {"type": "string", "enum": ["a", "b"]}}}


@pytest.mark.parametrize("stream", [False, True])
def test_enums_that_are_not_strings_come_back_in_their_types(gw, fake_api, stream):
    """Gemini's enums are strings ("1"); the client declared integers, and the openai SDK's .parse() with
    Literal[1, 2, 3] refused "1" (found by a tester). Streamed and whole answers agree."""
    data = content(gw, TYPED, f"typed enums {stream}", stream)
    assert data["e"] == 1 and data["name"] == "a"
    assert all(v is True or v is None or v == 2.5 for v in data["items"])


def test_openai_sdk_parse_gets_literal_ints(gw):
    from typing import Literal

    import openai
    from pydantic import BaseModel

    class Pick(BaseModel):
        e: Literal[1, 2, 3]
        name: str

    client = openai.OpenAI(base_url=gw.url + "/v1", api_key=gw.key, max_retries=0)
    parsed = client.chat.completions.parse(model="gemini-2.5-flash-lite", messages=[{"role": "user", "content": "pick"}],
                                           response_format=Pick)
    assert parsed.choices[0].message.parsed.e in (1, 2, 3)
