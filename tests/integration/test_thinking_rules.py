"""Per-model thinking rules through both dialects (issue 6 §2): a value the model accepts reaches Google as
sent; one it does not is a 400 in the dialect's own error shape, naming the parameter and the allowed range."""

from __future__ import annotations

import pytest

from tests.support.gateway import chat
from tests.support.http import post
from tests.support.upstream import upstream_body, upstream_requests


def native(gw, model, body, stream=False):
    action = "streamGenerateContent?alt=sse" if stream else "generateContent"
    return post(f"{gw.url}/v1beta/models/{model}:{action}", body, headers={"x-goog-api-key": gw.key})


def openai_budget(gw, model, budget, marker, stream=False):
    body = {"model": model, "messages": [{"role": "user", "content": f"think {marker}"}], "stream": stream,
            "extra_body": {"google": {"thinking_config": {"thinking_budget": budget}}}}
    return chat(gw, body)


def native_body(marker, config):
    return {"contents": [{"role": "user", "parts": [{"text": f"think {marker}"}]}],
            "generationConfig": {"thinkingConfig": config}}


# -- accepted values are sent as is -------------------------------------------------------------

@pytest.mark.parametrize("stream", [False, True])
def test_openai_budget_50_on_flash_reaches_google_as_50(gw, fake_api, stream):
    marker = f"marker-budget50-{stream}"
    r = openai_budget(gw, "gemini-2.5-flash", 50, marker, stream)
    assert r.status == 200, r.text
    assert upstream_body(fake_api, marker)["generationConfig"]["thinkingConfig"] == {
        "includeThoughts": True, "thinkingBudget": 50}


@pytest.mark.parametrize("config", [{"thinkingBudget": 50}, {"thinking_budget": 50}])
def test_native_budget_50_on_flash_reaches_google_as_50(gw, fake_api, config):
    marker = f"marker-native50-{next(iter(config))}"
    r = native(gw, "gemini-2.5-flash", native_body(marker, config))
    assert r.status == 200, r.text
    assert upstream_body(fake_api, marker)["generationConfig"]["thinkingConfig"] == {"thinkingBudget": 50}


@pytest.mark.parametrize("model, budget", [
    ("gemini-2.5-pro", 128), ("gemini-2.5-pro", 32768), ("gemini-2.5-flash", 1), ("gemini-2.5-flash", 24576),
    ("gemini-2.5-flash-lite", 512), ("gemini-2.5-flash-lite", 24576), ("gemini-2.5-flash-lite", 0),
])
def test_boundary_budgets_are_sent_as_is_in_both_dialects(gw, fake_api, model, budget):
    marker = f"marker-edge-{model}-{budget}"
    r = openai_budget(gw, model, budget, marker + "-oa")
    assert r.status == 200, r.text
    assert upstream_body(fake_api, marker + "-oa")["generationConfig"]["thinkingConfig"]["thinkingBudget"] == budget
    r = native(gw, model, native_body(marker + "-gn", {"thinkingBudget": budget}))
    assert r.status == 200, r.text
    assert upstream_body(fake_api, marker + "-gn")["generationConfig"]["thinkingConfig"] == {"thinkingBudget": budget}


# -- refused values: a 400 in each dialect's shape, before the upstream ---------------------------

REFUSED = [
    ("gemini-2.5-pro", 50, "50 is below gemini-2.5-pro's minimum of 128; allowed: 128..32768 or -1 (dynamic)"),
    ("gemini-2.5-pro", 127, "127 is below gemini-2.5-pro's minimum of 128"),
    ("gemini-2.5-pro", 0, "0 is invalid: thinking cannot be turned off on gemini-2.5-pro"),
    ("gemini-2.5-pro", 32769, "32769 is above gemini-2.5-pro's maximum of 32768"),
    ("gemini-2.5-flash", 24577, "24577 is above gemini-2.5-flash's maximum of 24576; "
                                "allowed: 0 (off), 1..24576 or -1 (dynamic)"),
    ("gemini-2.5-flash-lite", 511, "511 is below gemini-2.5-flash-lite's minimum of 512; "
                                   "allowed: 0 (off), 512..24576 or -1 (dynamic)"),
    ("gemini-2.5-flash-lite", 24577, "24577 is above gemini-2.5-flash-lite's maximum of 24576"),
]


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("model, budget, words", REFUSED)
def test_openai_refuses_a_budget_the_model_does_not_accept(gw, fake_api, model, budget, words, stream):
    marker = f"marker-refuse-oa-{model}-{budget}-{stream}"
    r = openai_budget(gw, model, budget, marker, stream)
    assert r.status == 400, r.text
    err = r.json()["error"]
    assert err["type"] == "invalid_request_error"
    assert err["param"] == "google.thinking_config.thinking_budget"
    assert err["message"] == f"thinking_budget {words}" or err["message"].startswith(f"thinking_budget {words}")
    assert not upstream_requests(fake_api, marker)


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("model, budget, words", REFUSED)
def test_native_refuses_a_budget_the_model_does_not_accept(gw, fake_api, model, budget, words, stream):
    marker = f"marker-refuse-gn-{model}-{budget}-{stream}"
    r = native(gw, model, native_body(marker, {"thinking_budget": budget}), stream)
    assert r.status == 400, r.text
    err = r.json()["error"]
    assert err["status"] == "INVALID_ARGUMENT" and err["code"] == 400
    assert err["message"].startswith(f"thinkingBudget {words}")
    assert not upstream_requests(fake_api, marker)


@pytest.mark.parametrize("model, config, words", [
    ("gemini-2.5-flash", {"thinkingLevel": "LOW"}, "thinkingLevel is not supported by gemini-2.5-flash; "
                                                   "use thinkingBudget: 0 (off), 1..24576 or -1 (dynamic)"),
    ("gemini-3-pro-preview", {"thinkingLevel": "MINIMAL"},
     "thinkingLevel MINIMAL is not supported by gemini-3-pro-preview; allowed: LOW, HIGH"),
    ("gemini-3-flash-preview", {"thinkingLevel": "HIGH", "thinkingBudget": 1024},
     "set only one of thinkingBudget and thinkingLevel, not both"),
    ("gemini-3-pro-preview", {"thinkingBudget": 0}, "thinkingBudget 0 is invalid: thinking cannot be turned off"),
    ("gemini-2.0-flash", {"thinkingBudget": 1024}, "thinkingBudget 1024: gemini-2.0-flash does not support thinking"),
    ("gemini-2.0-flash", {"thinkingLevel": "LOW"}, "thinkingLevel LOW: gemini-2.0-flash does not support thinking"),
    ("gemini-2.0-flash", {"includeThoughts": True}, "includeThoughts: gemini-2.0-flash does not support thinking"),
])
def test_native_thinking_config_is_checked_against_the_model(gw, fake_api, model, config, words):
    marker = f"marker-native-cfg-{model}-{sorted(config)}"
    r = native(gw, model, native_body(marker, config))
    assert r.status == 400, r.text
    assert r.json()["error"]["message"].startswith(words)
    assert not upstream_requests(fake_api, marker)


@pytest.mark.parametrize("model, config", [
    ("gemini-3-pro-preview", {"thinkingLevel": "low"}),
    ("gemini-3-flash-preview", {"thinkingLevel": "MINIMAL", "includeThoughts": True}),
    ("gemini-2.0-flash", {"thinkingBudget": 0}),
    ("gemini-2.5-pro", {"thinkingBudget": -1, "includeThoughts": True}),
])
def test_native_thinking_config_the_model_accepts_is_sent_as_is(gw, fake_api, model, config):
    marker = f"marker-native-ok-{model}-{sorted(config)}"
    r = native(gw, model, native_body(marker, config))
    assert r.status == 200, r.text
    assert upstream_body(fake_api, marker)["generationConfig"]["thinkingConfig"] == config


def test_openai_explicit_budget_on_a_model_that_cannot_think_is_refused(gw, fake_api):
    r = openai_budget(gw, "gemini-2.0-flash", 1024, "marker-nothink-oa")
    assert r.status == 400, r.text
    assert r.json()["error"]["param"] == "google.thinking_config.thinking_budget"
    assert "does not support thinking" in r.json()["error"]["message"]


def test_openai_default_sends_no_thinking_config_to_a_model_that_cannot_think(gw, fake_api):
    r = chat(gw, {"model": "gemini-2.0-flash", "messages": [{"role": "user", "content": "plain marker-nothink-0"}]})
    assert r.status == 200, r.text
    assert "thinkingConfig" not in upstream_body(fake_api, "marker-nothink-0").get("generationConfig", {})


def test_effort_names_still_map_to_an_allowed_value(gw, fake_api):
    r = chat(gw, {"model": "gemini-2.5-pro", "messages": [{"role": "user", "content": "e marker-effort-none"}],
                  "reasoning_effort": "none"})
    assert r.status == 200, r.text
    assert upstream_body(fake_api, "marker-effort-none")["generationConfig"]["thinkingConfig"] == {
        "includeThoughts": False, "thinkingBudget": 128}


# -- output token limits: brought to the model's limit, and the response says so -------------------------

@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("model, limit", [("gemini-2.5-flash", 65536), ("gemini-2.0-flash", 8192)])
def test_max_tokens_above_the_models_limit_is_brought_down_and_said(gw, fake_api, stream, model, limit):
    marker = f"marker-maxout-{model}-{stream}"
    r = chat(gw, {"model": model, "max_tokens": 10**6, "stream": stream, "messages": [{"role": "user", "content": marker}]})
    assert r.status == 200, r.text
    assert upstream_body(fake_api, marker)["generationConfig"]["maxOutputTokens"] == limit
    assert r.headers["X-Gemgate-Adjusted"] == f"maxOutputTokens={limit} (asked 1000000: the output token limit of {model})"
    n = native(gw, model, {"contents": [{"role": "user", "parts": [{"text": marker + "-n"}]}],
                           "generationConfig": {"maxOutputTokens": limit + 1}}, stream)
    assert n.status == 200, n.text
    assert upstream_body(fake_api, marker + "-n")["generationConfig"]["maxOutputTokens"] == limit
    assert n.headers["X-Gemgate-Adjusted"].startswith(f"maxOutputTokens={limit} (asked {limit + 1}")
    within = chat(gw, {"model": model, "max_tokens": limit, "messages": [{"role": "user", "content": marker + "-w"}]})
    assert within.status == 200 and "X-Gemgate-Adjusted" not in within.headers


# -- OpenAI's Google extras: a budget or a level is a value, sent as is or refused (never mapped) ------------

def openai_google(gw, model, config, marker):
    return chat(gw, {"model": model, "messages": [{"role": "user", "content": f"think {marker}"}],
                     "extra_body": {"google": {"thinking_config": config}}})


@pytest.mark.parametrize("model, config, sent", [
    ("gemini-3-pro-preview", {"thinking_budget": 2048}, {"includeThoughts": True, "thinkingBudget": 2048}),
    ("gemini-3-flash-preview", {"thinking_budget": 24576}, {"includeThoughts": True, "thinkingBudget": 24576}),
    ("gemini-3-flash-preview", {"thinking_level": "minimal"}, {"includeThoughts": True, "thinkingLevel": "MINIMAL"}),
    ("gemini-3-pro-preview", {"thinking_level": "high", "include_thoughts": False},
     {"includeThoughts": False, "thinkingLevel": "HIGH"}),
])
def test_openai_budget_or_level_on_gemini3_reaches_google_as_sent(gw, fake_api, model, config, sent):
    marker = f"marker-g3-{model}-{sorted(config.items())}"
    r = openai_google(gw, model, config, marker)
    assert r.status == 200, r.text
    assert upstream_body(fake_api, marker)["generationConfig"]["thinkingConfig"] == sent


@pytest.mark.parametrize("model, config, param, words", [
    ("gemini-3-pro-preview", {"thinking_level": "minimal"}, "google.thinking_config.thinking_level",
     "thinking_level MINIMAL is not supported by gemini-3-pro-preview; allowed: LOW, HIGH"),
    ("gemini-2.5-flash", {"thinking_level": "low"}, "google.thinking_config.thinking_level",
     "thinking_level is not supported by gemini-2.5-flash; use thinkingBudget"),
    ("gemini-2.0-flash", {"thinking_level": "low"}, "google.thinking_config.thinking_level",
     "The model 'gemini-2.0-flash' does not support thinking"),
    ("gemini-3-pro-preview", {"thinking_level": "max"}, "google.thinking_config.thinking_level",
     "'google.thinking_config.thinking_level' must be one of 'MINIMAL', 'LOW', 'MEDIUM', 'HIGH'"),
    ("gemini-3-pro-preview", {"thinking_level": "low", "thinking_budget": 1024}, "google.thinking_config",
     "set only one of thinking_budget and thinking_level"),
    ("gemini-3-pro-preview", {"thinking_budget": 0}, "google.thinking_config.thinking_budget",
     "thinking_budget 0 is invalid: thinking cannot be turned off on gemini-3-pro-preview"),
])
def test_openai_level_or_budget_the_model_refuses_is_a_400(gw, fake_api, model, config, param, words):
    marker = f"marker-g3-refuse-{model}-{sorted(config.items())}"
    r = openai_google(gw, model, config, marker)
    assert r.status == 400, r.text
    err = r.json()["error"]
    assert err["param"] == param and err["message"].startswith(words), err
    assert not upstream_requests(fake_api, marker)


# -- effort names that cannot be honoured as named are said in X-Gemgate-Adjusted ------------------------

@pytest.mark.parametrize("model, body_extra, note", [
    ("gemini-2.5-pro", {"reasoning_effort": "none"},
     "thinkingBudget=128 (asked no thinking: thinking cannot be turned off on gemini-2.5-pro"),
    ("gemini-2.5-pro-nothinking", {}, "thinkingBudget=128 (asked no thinking"),
    ("gemini-3-pro-preview", {"reasoning_effort": "none"},
     "thinkingLevel=LOW (asked no thinking: thinking cannot be turned off on gemini-3-pro-preview"),
    ("gemini-3-pro-preview", {"reasoning_effort": "minimal"}, "thinkingLevel=LOW (asked minimal: gemini-3-pro-preview has no MINIMAL level)"),
    ("gemini-3-pro-preview", {"reasoning_effort": "medium"}, "thinkingLevel=HIGH (asked medium: gemini-3-pro-preview has no MEDIUM level)"),
])
def test_effort_names_the_model_cannot_honour_are_said(gw, model, body_extra, note):
    r = chat(gw, {"model": model, "messages": [{"role": "user", "content": "hi"}], **body_extra})
    assert r.status == 200, r.text
    assert r.headers.get("X-Gemgate-Adjusted", "").startswith(note), r.headers


@pytest.mark.parametrize("model, body_extra", [
    ("gemini-2.5-flash", {"reasoning_effort": "none"}), ("gemini-3-flash-preview", {"reasoning_effort": "minimal"}),
    ("gemini-3-pro-preview", {"reasoning_effort": "high"}), ("gemini-2.5-pro", {"reasoning_effort": "low"}),
])
def test_effort_names_honoured_as_named_say_nothing(gw, model, body_extra):
    r = chat(gw, {"model": model, "messages": [{"role": "user", "content": "hi"}], **body_extra})
    assert r.status == 200 and "X-Gemgate-Adjusted" not in r.headers, r.headers


@pytest.mark.parametrize("body_extra, param", [({}, "model"), ({"reasoning_effort": "high"}, "reasoning_effort")])
def test_thinking_asked_of_a_model_that_cannot_names_where_it_was_asked(gw, body_extra, param):
    model = "gemini-2.0-flash-high" if not body_extra else "gemini-2.0-flash"
    r = chat(gw, {"model": model, "messages": [{"role": "user", "content": "hi"}], **body_extra})
    assert r.status == 400 and r.json()["error"]["param"] == param, r.text
