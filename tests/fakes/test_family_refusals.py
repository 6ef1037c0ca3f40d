"""The fake refuses what Google refuses per model family (issue 6 §2, §8), with Google's wording as public
reports quote it (sources in gemgate.testing.gemini_validation and model_traits.feature_traits)."""

from __future__ import annotations

import pytest

from tests.fakes.test_gemini_validation import accepted, rejected
from tests.support.payloads import user

FN = {"functionDeclarations": [{"name": "f"}]}
SEARCH = {"googleSearch": {}}
JSON = {"responseMimeType": "application/json"}


def body(generation=None, tools=None, tool_config=None) -> dict:
    out: dict = {"contents": [user("hi")]}
    if generation:
        out["generationConfig"] = generation
    if tools:
        out["tools"] = tools
    if tool_config:
        out["toolConfig"] = tool_config
    return out


@pytest.mark.parametrize("model", ["gemini-2.5-flash", "gemini-2.5-pro", "gemini-3-pro-preview"])
@pytest.mark.parametrize("key", ["presencePenalty", "frequencyPenalty"])
def test_penalties(http, model, key):
    assert rejected(http, body({key: 0.5}), model) == f"Penalty is not enabled for models/{model}"
    accepted(http, body({key: 0.5}), "gemini-2.0-flash")
    accepted(http, body({key: 0}), model)


@pytest.mark.parametrize("model", ["gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-3-flash-preview"])
def test_logprobs(http, model):
    assert rejected(http, body({"responseLogprobs": True}), model) == f"Logprobs is not enabled for models/{model}"
    accepted(http, body({"responseLogprobs": False}), model)
    answer = accepted(http, body({"responseLogprobs": True, "logprobs": 1}), "gemini-2.0-flash")
    assert answer["candidates"][0]["logprobsResult"]["chosenCandidates"]


@pytest.mark.parametrize("model", ["gemini-2.5-flash", "gemini-2.0-flash"])
def test_json_with_functions(http, model):
    message = rejected(http, body(JSON, [FN]), model)
    assert message == "Function calling with a response mime type: 'application/json' is unsupported"
    accepted(http, body(JSON, [FN], {"functionCallingConfig": {"mode": "NONE"}}), model)
    accepted(http, body(JSON, [FN]), "gemini-3-pro-preview")


def test_builtin_with_functions(http):
    assert rejected(http, body(tools=[SEARCH, FN])) == "Tool use with function calling is unsupported by the model."
    assert rejected(http, body(tools=[{"codeExecution": {}, **FN}]), "gemini-2.0-flash") == (
        "Tool use with function calling is unsupported by the model.")
    message = rejected(http, body(tools=[SEARCH, FN]), "gemini-3-flash-preview")
    assert message == "Please enable tool_config.include_server_side_tool_invocations"
    accepted(http, body(tools=[SEARCH, FN], tool_config={"includeServerSideToolInvocations": True}), "gemini-3-flash-preview")


def test_the_flag_before_gemini_3(http):
    message = rejected(http, body(tools=[FN], tool_config={"includeServerSideToolInvocations": True}))
    assert message == "Tool call context circulation is not enabled for models/gemini-2.5-flash"


def test_builtin_with_json(http):
    message = rejected(http, body(JSON, [SEARCH]))
    assert message == "Tool use with a response mime type: 'application/json' is unsupported"
    accepted(http, body(JSON, [SEARCH]), "gemini-3-pro-preview")


@pytest.mark.parametrize("model", ["gemini-3-pro-preview", "gemini-3-flash-preview"])
def test_several_candidates(http, model):
    assert rejected(http, body({"candidateCount": 2}), model) == "Multiple candidates is not enabled for this model"
    accepted(http, body({"candidateCount": 1}), model)
    assert len(accepted(http, body({"candidateCount": 2}))["candidates"]) == 2
