"""Issue 6 §2: what a model family rejects, in the capability table, applied once for every dialect
(gemini.request_rules through catalog.apply_model_spec): a value without effect is dropped with a note, anything
else refused naming the client's own parameter and saying what to do."""

from __future__ import annotations

import pytest

from gemgate.catalog import ModelSpec, apply_model_spec
from gemgate.dialects.openai.chat_request import LEGACY_RULE_NAMES, REQUEST_RULE_NAMES
from gemgate.errors import GatewayError
from gemgate.gemini.capabilities import GEMINI_3, GEMINI_20, GEMINI_25, Refused, capabilities
from gemgate.gemini.request_rules import apply_request_rules

FN = {"functionDeclarations": [{"name": "f"}]}
SEARCH = {"googleSearch": {}}
JSON = {"responseMimeType": "application/json"}


@pytest.mark.parametrize("model, accepts", [
    ("gemini-2.5-flash", GEMINI_25), ("gemini-2.5-flash-lite", GEMINI_25), ("gemini-2.5-pro", GEMINI_25),
    ("models/gemini-2.5-flash-preview-09-2025", GEMINI_25), ("gemini-3-pro-preview", GEMINI_3),
    ("gemini-3-flash-preview", GEMINI_3), ("gemini-3.1-pro-preview", GEMINI_3), ("gemini-4-flash", GEMINI_3),
    ("gemini-2.0-flash", GEMINI_20), ("gemini-2.0-flash-lite", GEMINI_20), ("gemini-2.0-flash-thinking-exp", GEMINI_20),
])
def test_table_rows(model, accepts):
    assert capabilities(model).accepts == accepts


def test_the_families_differ_as_the_sources_say():
    assert GEMINI_25.candidates and GEMINI_20.candidates and not GEMINI_3.candidates
    assert not GEMINI_25.penalties and not GEMINI_3.penalties and GEMINI_20.penalties
    assert not GEMINI_25.logprobs and not GEMINI_3.logprobs and GEMINI_20.logprobs
    assert GEMINI_3.json_with_functions and not GEMINI_25.json_with_functions and not GEMINI_20.json_with_functions
    assert (GEMINI_25.builtin_with_functions, GEMINI_3.builtin_with_functions) == ("no", "flag")
    assert GEMINI_3.json_with_builtin and not GEMINI_25.json_with_builtin


def request(generation=None, tools=None, tool_config=None) -> dict:
    out: dict = {"contents": [{"role": "user", "parts": [{"text": "x"}]}]}
    if generation is not None:
        out["generationConfig"] = dict(generation)
    if tools is not None:
        out["tools"] = [dict(t) for t in tools]
    if tool_config is not None:
        out["toolConfig"] = tool_config
    return out


def refused(model, req, names=None, search=None) -> Refused:
    with pytest.raises(Refused) as info:
        apply_request_rules(model, req, names, search)
    return info.value


# -- penalties ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("model", ["gemini-2.5-flash", "gemini-3-pro-preview"])
@pytest.mark.parametrize("key, openai", [("presencePenalty", "presence_penalty"), ("frequencyPenalty", "frequency_penalty")])
def test_a_penalty_is_refused_naming_the_client_parameter(model, key, openai):
    err = refused(model, request({key: 0.5}), REQUEST_RULE_NAMES)
    assert err.param == openai
    assert f'"Penalty is not enabled for models/{model}"' in str(err) and f"Omit {openai}" in str(err)
    assert refused(model, request({key: -1})).param == f"generationConfig.{key}"


def test_a_zero_penalty_is_dropped_with_a_note():
    req = request({"presencePenalty": 0, "frequencyPenalty": 0.0, "temperature": 0.2})
    notes = apply_request_rules("gemini-2.5-flash", req, REQUEST_RULE_NAMES)
    assert req["generationConfig"] == {"temperature": 0.2}
    assert notes == ("presence_penalty dropped (0 has no effect, and gemini-2.5-flash takes no penalties)",
                     "frequency_penalty dropped (0 has no effect, and gemini-2.5-flash takes no penalties)")


def test_penalties_reach_a_model_that_takes_them():
    req = request({"presencePenalty": 0.5, "frequencyPenalty": 0})
    assert apply_request_rules("gemini-2.0-flash", req) == ()
    assert req["generationConfig"] == {"presencePenalty": 0.5, "frequencyPenalty": 0}


# -- logprobs -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("model", ["gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-2.5-pro", "gemini-3-flash-preview"])
def test_asked_logprobs_are_refused(model):
    err = refused(model, request({"responseLogprobs": True, "logprobs": 2}), REQUEST_RULE_NAMES)
    assert err.param == "logprobs" and f'"Logprobs is not enabled for models/{model}"' in str(err)
    assert "gemini-2.0-flash" in str(err)
    assert refused(model, request({"responseLogprobs": True})).param == "generationConfig.responseLogprobs"


def test_logprobs_not_asked_are_dropped():
    req = request({"responseLogprobs": False, "logprobs": 3})
    assert apply_request_rules("gemini-2.5-flash", req) == (
        "responseLogprobs and logprobs dropped (log probabilities not asked for; gemini-2.5-flash has none)",)
    assert req["generationConfig"] == {}


def test_logprobs_reach_2_0_flash():
    req = request({"responseLogprobs": True, "logprobs": 2})
    assert apply_request_rules("gemini-2.0-flash", req) == () and req["generationConfig"]["logprobs"] == 2


# -- several candidates -------------------------------------------------------------------------------------

@pytest.mark.parametrize("model", ["gemini-3-pro-preview", "gemini-3-flash-preview", "gemini-3.1-flash-lite"])
def test_several_candidates_are_refused_on_gemini_3(model):
    err = refused(model, request({"candidateCount": 2}), REQUEST_RULE_NAMES)
    assert err.param == "n" and '"Multiple candidates is not enabled for this model"' in str(err)
    assert "Set n to 1 and repeat the request" in str(err)
    assert refused(model, request({"candidateCount": 3})).param == "generationConfig.candidateCount"
    assert apply_request_rules(model, request({"candidateCount": 1})) == ()


def test_several_candidates_reach_2x():
    assert apply_request_rules("gemini-2.5-flash", request({"candidateCount": 8})) == ()


# -- JSON output with function tools ------------------------------------------------------------------------

@pytest.mark.parametrize("model", ["gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.0-flash"])
def test_json_with_functions_is_refused_before_gemini_3(model):
    err = refused(model, request(JSON, [FN]), REQUEST_RULE_NAMES)
    assert err.param == "response_format"
    assert "Function calling with a response mime type: 'application/json' is unsupported" in str(err)
    assert 'tool_choice "none"' in str(err) and "(tools)" in str(err)
    err = refused(model, request(JSON, [FN]), LEGACY_RULE_NAMES)
    assert 'function_call "none"' in str(err) and "(functions)" in str(err)
    native = refused(model, request(JSON, [FN]))
    assert native.param == "generationConfig.responseMimeType" and "toolConfig.functionCallingConfig.mode NONE" in str(native)


def test_json_with_functions_passes_with_mode_none_and_on_gemini_3():
    none = {"functionCallingConfig": {"mode": "NONE"}}
    assert apply_request_rules("gemini-2.5-flash", request(JSON, [FN], none)) == ()
    assert apply_request_rules("gemini-3-pro-preview", request(JSON, [FN])) == ()
    assert apply_request_rules("gemini-2.5-flash", request({"responseMimeType": "text/x.enum"}, [FN])) == ()


# -- built-in tools with function tools, and with JSON output -----------------------------------------------

@pytest.mark.parametrize("builtin", ["googleSearch", "codeExecution", "urlContext"])
def test_builtin_with_functions_is_refused_on_2x(builtin):
    err = refused("gemini-2.5-flash", request(tools=[{builtin: {}}, FN]), REQUEST_RULE_NAMES)
    assert err.param == "web_search_options" and builtin in str(err)
    assert '"Tool use with function calling is unsupported by the model."' in str(err)
    assert refused("gemini-2.0-flash", request(tools=[{builtin: {}, **FN}])).param == "tools"


def test_builtin_with_functions_on_gemini_3_needs_the_flag():
    native = refused("gemini-3-flash-preview", request(tools=[SEARCH, FN]))
    assert native.param == "tools" and "set toolConfig.includeServerSideToolInvocations: true" in str(native)
    assert "include_server_side_tool_invocations" in str(native)
    openai = refused("gemini-3-flash-preview", request(tools=[SEARCH, FN]), REQUEST_RULE_NAMES)
    assert openai.param == "web_search_options" and "this API cannot carry" in str(openai)
    flagged = request(tools=[SEARCH, FN], tool_config={"includeServerSideToolInvocations": True})
    assert apply_request_rules("gemini-3-flash-preview", flagged) == ()
    assert flagged["toolConfig"] == {"includeServerSideToolInvocations": True}


def test_the_flag_without_a_combination_is_dropped_where_google_refuses_it():
    req = request(tools=[FN], tool_config={"includeServerSideToolInvocations": True, "functionCallingConfig": {"mode": "AUTO"}})
    notes = apply_request_rules("gemini-2.5-flash", req)
    assert req["toolConfig"] == {"functionCallingConfig": {"mode": "AUTO"}}
    assert notes == ("toolConfig.includeServerSideToolInvocations dropped (no built-in tool with function tools; "
                     "gemini-2.5-flash does not take it)",)
    kept = request(tools=[FN], tool_config={"includeServerSideToolInvocations": True})
    assert apply_request_rules("gemini-3-pro-preview", kept) == () and kept["toolConfig"]


def test_builtin_with_json_is_refused_on_2x_only():
    err = refused("gemini-2.5-flash", request(JSON, [SEARCH]), REQUEST_RULE_NAMES)
    assert err.param == "response_format"
    assert "\"Tool use with a response mime type: 'application/json' is unsupported\"" in str(err)
    assert apply_request_rules("gemini-3-pro-preview", request(JSON, [SEARCH])) == ()


def test_unknown_models_are_left_to_google():
    req = request({"presencePenalty": 1, "responseLogprobs": True, "candidateCount": 4, **JSON}, [SEARCH, FN])
    assert apply_request_rules("gemma-3-27b-it", req) == ()
    flagged = request(tools=[FN], tool_config={"includeServerSideToolInvocations": True})
    assert apply_request_rules("gemma-3-27b-it", flagged) == () and flagged["toolConfig"]


# -- through apply_model_spec, as every dialect calls it -------------------------------------------------------

def spec(model, search=False) -> ModelSpec:
    return ModelSpec(model + ("-search" if search else ""), model, None, None, search, 65536)


def test_the_search_suffix_is_named_as_the_model():
    with pytest.raises(GatewayError) as info:
        apply_model_spec(request(tools=[FN]), spec("gemini-2.5-flash", search=True), None, REQUEST_RULE_NAMES)
    assert info.value.status == 400 and info.value.param == "model"
    assert "asked by the model name's -search suffix" in info.value.message


def test_notes_of_rules_and_output_limit_add_up():
    req = request({"presencePenalty": 0, "maxOutputTokens": 100000})
    notes = apply_model_spec(req, spec("gemini-2.5-flash"))
    assert notes == ("generationConfig.presencePenalty dropped (0 has no effect, and gemini-2.5-flash takes no penalties)",
                     "maxOutputTokens=65536 (asked 100000: the output token limit of gemini-2.5-flash)")
