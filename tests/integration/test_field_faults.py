"""Tester faults of issue 6's scope: fields that were silently ignored, misread or forwarded for Google to
refuse are now translated, normalised or refused with a 400 naming them (OpenAI and Gemini-native)."""

from __future__ import annotations

import json

import pytest

from tests.support.gateway import chat
from tests.support.http import post
from tests.support.upstream import upstream_body

TOOL = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object", "properties": {"q": {"type": "string"}}}}}
OTHER = {"type": "function", "function": {"name": "other", "parameters": {"type": "object", "properties": {"r": {"type": "string"}}}}}


def body(marker, **fields):
    return {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": marker}], **fields}


def refused(r, param, words=""):
    assert r.status == 400, r.text
    error = r.json()["error"]
    assert error["param"] == param and words in error["message"], error
    return error


def native(gw, model, payload, stream=False):
    action = "streamGenerateContent?alt=sse" if stream else "generateContent"
    return post(f"{gw.url}/v1beta/models/{model}:{action}", payload, headers={"x-goog-api-key": gw.key})


# -- Google's fields on an OpenAI request ---------------------------------------------------------------

def test_camel_case_thinking_budget_is_read(gw):
    """`thinkingBudget: 0` on 2.5 Pro was ignored (200, and the model thought); it is read, and refused."""
    r = chat(gw, body("x", model="gemini-2.5-pro", extra_body={"google": {"thinking_config": {"thinkingBudget": 0}}}))
    refused(r, "google.thinking_config.thinking_budget", "cannot be turned off")


@pytest.mark.parametrize("google", [
    {"thinkingConfig": {"thinking_budget": 1024, "includeThoughts": False}},
    {"thinking_config": {"thinkingBudget": 1024, "include_thoughts": False}},
])
def test_camel_case_aliases_reach_google(gw, fake_api, google):
    marker = f"camel aliases {sorted(google)} {sorted(next(iter(google.values())))}"
    r = chat(gw, body(marker, extra_body={"google": google}))
    assert r.status == 200, r.text
    assert upstream_body(fake_api, marker)["generationConfig"]["thinkingConfig"] == {
        "includeThoughts": False, "thinkingBudget": 1024}


@pytest.mark.parametrize("fields, param", [
    ({"extra_body": {"google": {"bogus": 1}}}, "extra_body.google.bogus"),
    ({"google": {"bogus": 1}}, "google.bogus"),
    ({"extra_body": {"foo": 1}}, "extra_body.foo"),
    ({"extra_body": {"google": {"thinking_config": {"budget": 1}}}}, "extra_body.google.thinking_config.budget"),
    ({"extra_body": {"google": {"thinking_config": {"thinking_budget": 1, "thinkingBudget": 2}}}},
     "extra_body.google.thinking_config.thinkingBudget"),
    ({"google": {"thinking_config": {"thinking_budget": 0}},
      "extra_body": {"google": {"thinking_config": {"thinking_budget": 1024}}}}, "extra_body.google"),
])
def test_unknown_or_conflicting_google_fields_are_400s(gw, fields, param):
    refused(chat(gw, body("x", **fields)), param)


def test_the_same_google_settings_in_both_places_are_fine(gw):
    google = {"thinking_config": {"thinking_budget": 1024}}
    assert chat(gw, body("x", google=google, extra_body={"google": google})).status == 200


# -- Gemini-native proto-JSON numbers and enums ---------------------------------------------------------

@pytest.mark.parametrize("value", ["70000", 70000.0])
@pytest.mark.parametrize("stream", [False, True])
def test_native_max_output_tokens_spellings_are_brought_to_the_limit(gw, fake_api, value, stream):
    marker = f"native max tokens {value!r} {stream}"
    r = native(gw, "gemini-2.5-flash", {"contents": [{"parts": [{"text": marker}]}],
                                        "generationConfig": {"maxOutputTokens": value}}, stream)
    assert r.status == 200, r.text
    assert upstream_body(fake_api, marker)["generationConfig"]["maxOutputTokens"] == 65536
    assert r.headers["X-Gemgate-Adjusted"].startswith("maxOutputTokens=65536 (asked 70000")


@pytest.mark.parametrize("config, sent", [
    ({"thinkingBudget": "1024"}, {"thinkingBudget": 1024}),
    ({"thinkingBudget": 1024.0}, {"thinkingBudget": 1024}),
    ({"thinking_budget": "-1"}, {"thinkingBudget": -1}),
])
def test_native_thinking_budget_spellings(gw, fake_api, config, sent):
    marker = f"native budget {config!r}".replace('"', "")
    r = native(gw, "gemini-2.5-flash", {"contents": [{"parts": [{"text": marker}]}],
                                        "generationConfig": {"thinkingConfig": config}})
    assert r.status == 200, r.text
    assert upstream_body(fake_api, marker)["generationConfig"]["thinkingConfig"] == sent


def test_native_unspecified_thinking_level_is_unset(gw, fake_api):
    marker = "native unspecified level"
    r = native(gw, "gemini-3-pro-preview", {"contents": [{"parts": [{"text": marker}]}],
                                            "generationConfig": {"thinkingConfig": {"thinkingLevel": "THINKING_LEVEL_UNSPECIFIED"}}})
    assert r.status == 200, r.text
    assert upstream_body(fake_api, marker)["generationConfig"]["thinkingConfig"] == {}


def test_native_budget_that_is_no_number_is_still_refused(gw):
    r = native(gw, "gemini-2.5-flash", {"contents": [{"parts": [{"text": "x"}]}],
                                        "generationConfig": {"thinkingConfig": {"thinkingBudget": "lots"}}})
    assert r.status == 400, r.text


# -- seed: OpenAI's int64 into Gemini's int32 -----------------------------------------------------------

@pytest.mark.parametrize("seed, sent", [(1 << 40, 0), (2**63 - 1, -1), (2**31, -(2**31)), (-(2**63), 0)])
@pytest.mark.parametrize("stream", [False, True])
def test_a_64_bit_seed_is_wrapped_and_said(gw, fake_api, seed, sent, stream):
    marker = f"seed {seed} {stream}"
    r = chat(gw, body(marker, seed=seed, stream=stream))
    assert r.status == 200, r.text
    assert upstream_body(fake_api, marker)["generationConfig"]["seed"] == sent
    assert r.headers["X-Gemgate-Adjusted"] == f"seed={sent} (asked {seed}: Gemini's seed is a 32-bit integer; the value wraps around)"


def test_a_32_bit_seed_is_sent_as_is(gw, fake_api):
    r = chat(gw, body("seed in range", seed=-7))
    assert r.status == 200 and "X-Gemgate-Adjusted" not in r.headers
    assert upstream_body(fake_api, "seed in range")["generationConfig"]["seed"] == -7


def test_a_seed_beyond_64_bits_is_a_400(gw):
    refused(chat(gw, body("x", seed=2**63)), "seed")


# -- tool histories: every call answered ------------------------------------------------------------------

CALLS = [{"id": c, "type": "function", "function": {"name": "lookup", "arguments": "{}"}} for c in ("c1", "c2")]


@pytest.mark.parametrize("tail", [
    [{"role": "tool", "tool_call_id": "c1", "content": "one"}],
    [{"role": "tool", "tool_call_id": "c1", "content": "one"}, {"role": "assistant", "content": "partial"},
     {"role": "tool", "tool_call_id": "c2", "content": "two"}],
    [{"role": "tool", "tool_call_id": "c1", "content": "one"}, {"role": "user", "content": "and?"}],
    [],
])
def test_a_tool_call_without_its_result_is_openais_400(gw, tail):
    messages = [{"role": "user", "content": "go"}, {"role": "assistant", "content": None, "tool_calls": CALLS}, *tail]
    error = refused(chat(gw, body("x", messages=messages, tools=[TOOL])), "messages[1].tool_calls")
    missing = "c1, c2" if not tail else "c2"
    assert error["message"].endswith(f"The following tool_call_ids did not have response messages: {missing}")


def test_every_call_answered_in_any_order_passes(gw):
    messages = [{"role": "user", "content": "go"}, {"role": "assistant", "content": None, "tool_calls": CALLS},
                {"role": "tool", "tool_call_id": "c2", "content": "two"},
                {"role": "tool", "tool_call_id": "c1", "content": "one"}]
    assert chat(gw, body("x", messages=messages, tools=[TOOL])).status == 200


# -- tool_choice ----------------------------------------------------------------------------------------

def allowed(mode, *names):
    return {"type": "allowed_tools", "allowed_tools": {"mode": mode, "tools": [
        {"type": "function", "function": {"name": n}} for n in names]}}


def test_allowed_tools_required_forces_one_of_them(gw, fake_api):
    r = chat(gw, body("allowed required", tools=[TOOL, OTHER], tool_choice=allowed("required", "other")))
    assert r.status == 200, r.text
    assert [c["function"]["name"] for c in r.json()["choices"][0]["message"]["tool_calls"]] == ["other"]
    sent = upstream_body(fake_api, "allowed required")
    assert sent["toolConfig"] == {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["other"]}}
    assert len(sent["tools"][0]["functionDeclarations"]) == 2


def test_allowed_tools_auto_declares_only_those(gw, fake_api):
    r = chat(gw, body("allowed auto", tools=[TOOL, OTHER], tool_choice=allowed("auto", "lookup")))
    assert r.status == 200, r.text
    sent = upstream_body(fake_api, "allowed auto")
    assert sent["toolConfig"] == {"functionCallingConfig": {"mode": "AUTO"}}
    assert [d["name"] for d in sent["tools"][0]["functionDeclarations"]] == ["lookup"]


@pytest.mark.parametrize("choice, param", [
    (allowed("auto", "missing"), "tool_choice.allowed_tools.tools[0].function.name"),
    (allowed("sometimes", "lookup"), "tool_choice.allowed_tools.mode"),
    ({"type": "allowed_tools", "allowed_tools": {"mode": "auto", "tools": []}}, "tool_choice.allowed_tools.tools"),
    ({"type": "custom", "custom": {"name": "lookup"}}, "tool_choice.type"),
])
def test_bad_tool_choices_name_the_field(gw, choice, param):
    refused(chat(gw, body("x", tools=[TOOL], tool_choice=choice)), param)


@pytest.mark.parametrize("fields, param", [
    ({"tool_choice": "required"}, "tool_choice"),
    ({"tool_choice": {"type": "function", "function": {"name": "lookup"}}}, "tool_choice"),
    ({"tool_choice": allowed("auto", "lookup")}, "tool_choice"),
    ({"function_call": {"name": "lookup"}}, "function_call"),
])
def test_forcing_a_tool_without_tools_is_a_400(gw, fields, param):
    refused(chat(gw, body("x", **fields)), param, "only allowed when")


def test_auto_or_none_without_tools_still_pass(gw):
    assert chat(gw, body("x", tool_choice="auto")).status == 200
    assert chat(gw, body("x", tool_choice="none")).status == 200


@pytest.mark.parametrize("fields, param", [
    ({"tools": [TOOL], "functions": [TOOL["function"]]}, "functions"),
    ({"tools": [TOOL], "tool_choice": "auto", "function_call": "auto"}, "function_call"),
])
def test_new_and_deprecated_spellings_together_are_a_400(gw, fields, param):
    refused(chat(gw, body("x", **fields)), param, "cannot both be set")


# -- smaller ones -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("logprobs", [None, False])
def test_top_logprobs_needs_logprobs(gw, logprobs):
    r = chat(gw, body("x", top_logprobs=2, **({} if logprobs is None else {"logprobs": logprobs})))
    refused(r, "top_logprobs", "only allowed when 'logprobs' is enabled")


def test_reasoning_effort_error_lists_every_accepted_value(gw):
    error = refused(chat(gw, body("x", reasoning_effort="extreme")), "reasoning_effort")
    for name in ("'none'", "'minimal'", "'low'", "'medium'", "'high'", "'xhigh'", "'max'"):
        assert name in error["message"]
    assert chat(gw, body("x", reasoning_effort="xhigh")).status == 200


# -- nested objects: every key known, int32 fields bounded ----------------------------------------------

@pytest.mark.parametrize("fields, param", [
    ({"stream_options": {"include_usage": True, "inclde_usage": True}, "stream": True}, "stream_options.inclde_usage"),
    ({"response_format": {"type": "json_object", "schema": {}}}, "response_format.schema"),
    ({"response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "string"},
                                                                 "strictly": True}}}, "response_format.json_schema.strictly"),
    ({"top_k": 2**31}, "top_k"),
])
def test_unknown_nested_keys_and_out_of_range_ints_are_400s(gw, fields, param):
    refused(chat(gw, body("x", **fields)), param)


def test_documented_nested_keys_pass(gw):
    fields = {"stream": True, "stream_options": {"include_usage": True, "include_obfuscation": False},
              "response_format": {"type": "json_schema", "json_schema": {
                  "name": "x", "description": "d", "strict": True, "schema": {"type": "string"}}}}
    assert chat(gw, body("x", **fields)).status == 200


@pytest.mark.parametrize("config", [{"thinking_budget": 1024}, {"thinking_level": "low"}])
def test_reasoning_effort_with_a_google_thinking_value_is_a_400(gw, config):
    r = chat(gw, body("x", reasoning_effort="low", extra_body={"google": {"thinking_config": config}}))
    refused(r, "reasoning_effort", "not both")


def test_reasoning_effort_with_include_thoughts_only_is_fine(gw):
    r = chat(gw, body("x", reasoning_effort="low", extra_body={"google": {"thinking_config": {"include_thoughts": False}}}))
    assert r.status == 200, r.text
