"""The fake refuses the parameter values Google refuses, whatever the model (gemini.param_ranges, sources there):
temperature, topP, candidateCount, logprobs out of range, more than 5 stop sequences, a function name over 64
characters, and two declarations of one name; the values at the edges are accepted."""

from __future__ import annotations

import pytest

from tests.fakes.test_gemini_validation import accepted, rejected
from tests.support.payloads import user

MODEL = "gemini-2.0-flash"  # takes several candidates and logprobs, so only the range is at stake


def gen(**config) -> dict:
    return {"contents": [user("hi")], "generationConfig": config}


@pytest.mark.parametrize("config, words", [
    ({"candidateCount": 9}, "candidateCount value of 9 but the supported range is from 1 (inclusive) to 9 (exclusive)"),
    ({"candidateCount": 0}, "candidateCount value of 0"),
    ({"temperature": 5}, "temperature value of 5 but the supported range is from 0 (inclusive) to 2 (inclusive)"),
    ({"temperature": -0.5}, "temperature value of -0.5"),
    ({"topP": 3}, "topP value of 3"),
    ({"responseLogprobs": True, "logprobs": 25}, "logprobs value of 25 but the supported range is from 0"),
])
def test_out_of_range_generation_config(http, config, words):
    assert words in rejected(http, gen(**config), MODEL)


@pytest.mark.parametrize("config", [
    {"candidateCount": 8}, {"candidateCount": 1}, {"temperature": 2}, {"temperature": 0}, {"topP": 1},
    {"responseLogprobs": True, "logprobs": 20}, {"stopSequences": ["a", "b", "c", "d", "e"]},
])
def test_edges_are_accepted(http, config):
    accepted(http, gen(**config), MODEL)


def test_eight_candidates_come_back(http):
    assert len(accepted(http, gen(candidateCount=8), MODEL)["candidates"]) == 8


def test_six_stop_sequences(http):
    message = rejected(http, gen(stopSequences=list("abcdef")), MODEL)
    assert message == "* GenerateContentRequest.generation_config.stop_sequences: at most 5 stop sequences are allowed.\n"


def test_seventy_character_function_name(http):
    body = {"contents": [user("hi")], "tools": [{"functionDeclarations": [{"name": "f" * 70}]}]}
    assert "with a maximum length of 64." in rejected(http, body, MODEL)


def test_duplicate_function_names(http):
    body = {"contents": [user("hi")],
            "tools": [{"functionDeclarations": [{"name": "lookup"}]}, {"functionDeclarations": [{"name": "lookup"}]}]}
    assert rejected(http, body, MODEL) == "Duplicate function declaration found: lookup"
