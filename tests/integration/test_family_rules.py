"""What a model family rejects, end to end through both dialects, streamed and not (issue 6 §2, §8): a combination
or value Google refuses is a 400 in the caller's own format naming the client's parameter (nothing reaches the
upstream); a value without effect is dropped and the X-Gemgate-Adjusted header says so; what the model takes is
sent as is."""

from __future__ import annotations

import pytest

from tests.support.forms import FORMS, check_error
from tests.support.gateway import chat
from tests.support.http import post
from tests.support.upstream import upstream_body, upstream_requests

TOOLS = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {}}}}]
FN = {"functionDeclarations": [{"name": "f"}]}
SEARCH = {"googleSearch": {}}
JSON_OA = {"type": "json_object"}
JSON = {"responseMimeType": "application/json"}


def send(gw, form: str, model: str, marker: str, openai: dict, native: dict):
    if form.startswith("openai"):
        body = {"model": model, "messages": [{"role": "user", "content": marker}], "stream": form.endswith("stream"),
                **openai}
        return chat(gw, body)
    action = "streamGenerateContent?alt=sse" if form == "gemini-sse" else "generateContent"
    body = {"contents": [{"role": "user", "parts": [{"text": marker}]}], **native}
    return post(f"{gw.url}/v1beta/models/{model}:{action}", body, headers={"x-goog-api-key": gw.key})


# (case, model, OpenAI fields, Gemini-native fields, OpenAI param, Gemini-native param, Google's words)
REFUSED = [
    ("presence", "gemini-2.5-flash", {"presence_penalty": 0.5}, {"generationConfig": {"presencePenalty": 0.5}},
     "presence_penalty", "generationConfig.presencePenalty", "Penalty is not enabled for models/gemini-2.5-flash"),
    ("frequency", "gemini-3-pro-preview", {"frequency_penalty": -1}, {"generationConfig": {"frequencyPenalty": -1}},
     "frequency_penalty", "generationConfig.frequencyPenalty", "Penalty is not enabled for models/gemini-3-pro-preview"),
    ("logprobs", "gemini-2.5-flash", {"logprobs": True, "top_logprobs": 2},
     {"generationConfig": {"responseLogprobs": True, "logprobs": 2}}, "logprobs", "generationConfig.responseLogprobs",
     "Logprobs is not enabled for models/gemini-2.5-flash"),
    ("json+fn", "gemini-2.5-flash", {"response_format": JSON_OA, "tools": TOOLS}, {"generationConfig": JSON, "tools": [FN]},
     "response_format", "generationConfig.responseMimeType",
     "Function calling with a response mime type: 'application/json' is unsupported"),
    ("search+fn", "gemini-2.5-flash", {"web_search_options": {}, "tools": TOOLS}, {"tools": [SEARCH, FN]},
     "web_search_options", "tools", "Tool use with function calling is unsupported by the model."),
    ("suffix+fn", "gemini-2.5-flash-search", {"tools": TOOLS}, {"tools": [FN]},
     "model", "model", "Tool use with function calling is unsupported by the model."),
    ("search+fn-3", "gemini-3-flash-preview", {"web_search_options": {}, "tools": TOOLS}, {"tools": [SEARCH, FN]},
     "web_search_options", "tools", "include_server_side_tool_invocations"),
    ("n", "gemini-3-flash-preview", {"n": 2}, {"generationConfig": {"candidateCount": 2}}, "n",
     "generationConfig.candidateCount", "Multiple candidates is not enabled for this model"),
    ("search+json", "gemini-2.5-flash", {"web_search_options": {}, "response_format": JSON_OA},
     {"tools": [SEARCH], "generationConfig": JSON}, "response_format", "generationConfig.responseMimeType",
     "Tool use with a response mime type: 'application/json' is unsupported"),
]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("case, model, openai, native, oa_param, gn_param, words", REFUSED, ids=[c[0] for c in REFUSED])
def test_refused_in_the_callers_format(gw, fake_api, form, case, model, openai, native, oa_param, gn_param, words):
    marker = f"marker-family-{case}-{form}"
    error = check_error(send(gw, form, model, marker, openai, native), form, 400)
    assert words in error["message"]
    if form.startswith("openai"):
        assert error["param"] == oa_param and error["type"] == "invalid_request_error"
    else:
        assert gn_param in error["message"]
    assert not upstream_requests(fake_api, marker)


# (case, model, OpenAI fields, Gemini-native fields, what the header says for each, the field kept from Google)
DROPPED = [
    ("zero-penalty", "gemini-2.5-flash", {"presence_penalty": 0, "frequency_penalty": 0.0},
     {"generationConfig": {"presencePenalty": 0, "frequencyPenalty": 0}},
     ("presence_penalty dropped (0 has no effect", "generationConfig.presencePenalty dropped (0 has no effect"),
     "presencePenalty"),
    ("logprobs-false", "gemini-3-flash-preview", {"logprobs": False},
     {"generationConfig": {"responseLogprobs": False, "logprobs": 2}},
     (None, "responseLogprobs and logprobs dropped (log probabilities not asked for"), "responseLogprobs"),
    ("flag-on-2.5", "gemini-2.5-flash", {}, {"tools": [FN], "toolConfig": {"includeServerSideToolInvocations": True}},
     (None, "toolConfig.includeServerSideToolInvocations dropped"), "includeServerSideToolInvocations"),
]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("case, model, openai, native, said, field", DROPPED, ids=[c[0] for c in DROPPED])
def test_without_effect_is_dropped_and_said(gw, fake_api, form, case, model, openai, native, said, field):
    marker = f"marker-family-drop-{case}-{form}"
    r = send(gw, form, model, marker, openai, native)
    assert r.status == 200, r.text
    words = said[0] if form.startswith("openai") else said[1]
    if words is None:  # the OpenAI form cannot send it (logprobs false is not forwarded at all)
        assert field not in str(upstream_body(fake_api, marker))
        return
    assert words in r.headers["X-Gemgate-Adjusted"]
    assert field not in str(upstream_body(fake_api, marker))


# (case, model, OpenAI fields, Gemini-native fields, what reaches Google)
ACCEPTED = [
    ("penalties-2.0", "gemini-2.0-flash", {"presence_penalty": 0.5, "frequency_penalty": 0.25},
     {"generationConfig": {"presencePenalty": 0.5, "frequencyPenalty": 0.25}}, "presencePenalty"),
    ("logprobs-2.0", "gemini-2.0-flash", {"logprobs": True, "top_logprobs": 1},
     {"generationConfig": {"responseLogprobs": True, "logprobs": 1}}, "responseLogprobs"),
    ("json+fn-3", "gemini-3-pro-preview", {"response_format": JSON_OA, "tools": TOOLS},
     {"generationConfig": JSON, "tools": [FN]}, "application/json"),
    ("json+fn-mode-none", "gemini-2.5-flash", {"response_format": JSON_OA, "tools": TOOLS, "tool_choice": "none"},
     {"generationConfig": JSON, "tools": [FN], "toolConfig": {"functionCallingConfig": {"mode": "NONE"}}}, "NONE"),
    ("search+json-3", "gemini-3-pro-preview", {"web_search_options": {}, "response_format": JSON_OA},
     {"tools": [SEARCH], "generationConfig": JSON}, "googleSearch"),
]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("case, model, openai, native, sent", ACCEPTED, ids=[c[0] for c in ACCEPTED])
def test_what_the_model_takes_is_sent_as_is(gw, fake_api, form, case, model, openai, native, sent):
    marker = f"marker-family-ok-{case}-{form}"
    r = send(gw, form, model, marker, openai, native)
    assert r.status == 200, r.text
    assert "X-Gemgate-Adjusted" not in r.headers
    assert sent in str(upstream_body(fake_api, marker))


@pytest.mark.parametrize("stream", [False, True])
def test_native_search_with_functions_on_gemini_3_with_the_flag(gw, fake_api, stream):
    marker = f"marker-family-flag-{stream}"
    body = {"tools": [SEARCH, FN], "toolConfig": {"includeServerSideToolInvocations": True}}
    r = send(gw, "gemini-sse" if stream else "gemini", "gemini-3-flash-preview", marker, {}, body)
    assert r.status == 200, r.text
    assert upstream_body(fake_api, marker)["toolConfig"] == {"includeServerSideToolInvocations": True}
