"""Both dialects refuse, before the upstream is asked, the parameter values Google refuses (gemini.param_ranges):
the Gemini-native route with Google's error shape (INVALID_ARGUMENT) naming the Gemini field path, the OpenAI
route with OpenAI's naming its own field."""

from __future__ import annotations

import pytest

from tests.support.forms import check_error
from tests.support.gateway import chat
from tests.support.http import post
from tests.support.upstream import upstream_requests

MODEL = "gemini-2.0-flash"


def native(gw, body, model=MODEL):
    return post(f"{gw.url}/v1beta/models/{model}:generateContent", body, headers={"x-goog-api-key": gw.key})


def turn(marker: str) -> list[dict]:
    return [{"role": "user", "parts": [{"text": f"limits {marker}"}]}]


@pytest.mark.parametrize("config, param", [
    ({"candidateCount": 9}, "generationConfig.candidateCount"),
    ({"candidate_count": 9}, "generationConfig.candidateCount"),  # snake_case, as the Python SDK sends it
    ({"stopSequences": list("abcdef")}, "generationConfig.stopSequences"),
    ({"temperature": 5}, "generationConfig.temperature"),
    ({"topP": 3}, "generationConfig.topP"),
    ({"topP": "1.5"}, "generationConfig.topP"),  # proto3 JSON spells a float as a string too
    ({"responseLogprobs": True, "logprobs": 25}, "generationConfig.logprobs"),
])
def test_native_out_of_range_is_a_400_before_the_upstream(gw, fake_api, config, param):
    marker = f"nl-{param}-{sorted(config)[0]}"
    r = native(gw, {"contents": turn(marker), "generationConfig": config})
    error = check_error(r, "gemini", 400)
    assert error["status"] == "INVALID_ARGUMENT" and f"'{param}'" in error["message"], error
    assert not upstream_requests(fake_api, marker)


@pytest.mark.parametrize("tools, param, words", [
    ([{"functionDeclarations": [{"name": "f" * 70}]}], "tools[0].functionDeclarations[0].name", "at most 64"),
    ([{"functionDeclarations": [{"name": "9lives"}]}], "tools[0].functionDeclarations[0].name", "start with a letter"),
    ([{"functionDeclarations": [{"name": "lookup"}]}, {"functionDeclarations": [{"name": "lookup"}]}],
     "tools[1].functionDeclarations[0].name", "declared twice"),
])
def test_native_function_names_google_refuses(gw, fake_api, tools, param, words):
    marker = f"nl-names-{words}"
    error = check_error(native(gw, {"contents": turn(marker), "tools": tools}), "gemini", 400)
    assert f"'{param}'" in error["message"] and words in error["message"], error
    assert not upstream_requests(fake_api, marker)


def test_native_values_google_takes_pass(gw):
    config = {"candidateCount": 8, "temperature": 2, "topP": 1, "stopSequences": list("abcde")}
    tools = [{"functionDeclarations": [{"name": "ns:tool." + "x" * 56}]}]  # 64 characters
    r = native(gw, {"contents": turn("nl-ok"), "generationConfig": config, "tools": tools})
    assert r.status == 200, r.text
    assert len(r.json()["candidates"]) == 8


@pytest.mark.parametrize("body, param", [
    ({"n": 9}, "n"), ({"stop": list("abcdef")}, "stop"), ({"temperature": 5}, "temperature"), ({"top_p": 3}, "top_p"),
    ({"logprobs": True, "top_logprobs": 25}, "top_logprobs"),
])
def test_openai_route_refuses_the_same_values(gw, body, param):
    r = chat(gw, {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], **body})
    assert check_error(r, "openai", 400)["param"] == param


def test_openai_duplicate_tool_names(gw, fake_api):
    tool = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}
    r = chat(gw, {"model": MODEL, "messages": [{"role": "user", "content": "dup tools nl-dup"}], "tools": [tool, tool]})
    error = check_error(r, "openai", 400)
    assert error["param"] == "tools[1].function.name" and "declared twice" in error["message"]
    assert not upstream_requests(fake_api, "nl-dup")


def test_native_numbers_spelled_as_strings_are_judged_by_value(gw):
    config = {"temperature": "1.5", "topP": "0.5", "candidateCount": "2"}  # proto3 JSON: Google takes these
    r = native(gw, {"contents": turn("nl-strings"), "generationConfig": config})
    assert r.status == 200, r.text
