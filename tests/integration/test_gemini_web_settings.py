"""What a gemini-web account does with thinking requests and generation settings, end to end through the fake
gemini.google.com: every depth a client asks maps onto standard or extended thinking (inner[80]) and the
approximation is said in X-Gemgate-Adjusted; settings the web app cannot honour are said there or refused with
a 400 that says so; JSON mode is asked for in the prompt."""

from __future__ import annotations

import json

import pytest

from tests.support.gateway import chat
from tests.support.http import post
from tests.support.web import module_gateway

HEADER = "x-gemgate-adjusted"
HI = [{"role": "user", "content": "why is the sky blue"}]


gw, fake = module_gateway("settings")


def sent(fake) -> list:
    """The inner request of the latest StreamGenerate."""
    return fake.requests_to("StreamGenerate")[-1].extra["inner"]


@pytest.mark.parametrize("body,thinking,note", [
    ({"model": "gemini-web/flash", "reasoning_effort": "high"}, 2, "thinking=extended (asked effort high"),
    ({"model": "gemini-web/flash", "reasoning_effort": "low"}, 1, "thinking=standard (asked effort low"),
    ({"model": "gemini-web/flash@think=0"}, 2, "thinking=extended (asked effort max"),
    ({"model": "gemini-web/flash@think=2"}, 1, "thinking=standard (asked effort medium"),
    ({"model": "gemini-3.5-flash-thinking", "reasoning_effort": "medium"}, 1, "thinking=standard"),
    ({"model": "gemini-3.5-flash-thinking"}, 2, None),
    ({"model": "gemini-web/flash-thinking"}, 2, None),
    ({"model": "gemini-3.5-flash"}, 1, None),
])
def test_openai_thinking_maps_to_standard_or_extended(gw, fake, body, thinking, note):
    reply = chat(gw, {**body, "messages": HI})
    assert reply.status == 200, reply.text
    assert sent(fake)[80] == thinking
    said = reply.headers.get(HEADER, "")
    assert (note in said) if note else "thinking=" not in said, said


def test_anthropic_budgets_and_native_thinking_config(gw, fake):
    for budget, thinking in ((16000, 2), (2048, 1)):
        body = {"model": "gemini-web/pro", "max_tokens": 20000, "thinking": {"type": "enabled", "budget_tokens": budget},
                "messages": HI}
        reply = post(f"{gw.url}/v1/messages", body, headers={"x-api-key": gw.key, "anthropic-version": "2023-06-01"})
        assert reply.status == 200, reply.text
        assert sent(fake)[80] == thinking
        said = reply.headers[HEADER]
        assert f"={budget}" in said and "standard and extended thinking only" in said, said
        assert "maxOutputTokens ignored" in said  # Anthropic's required max_tokens cannot be honoured either
    native = {"contents": [{"role": "user", "parts": [{"text": "hello"}]}],
              "generationConfig": {"thinkingConfig": {"thinkingBudget": 20000, "includeThoughts": True}}}
    reply = post(f"{gw.url}/v1beta/models/gemini-web/flash:generateContent", native, headers={"x-goog-api-key": gw.key})
    assert reply.status == 200, reply.text
    assert sent(fake)[80] == 2 and "thinkingConfig.thinkingBudget=20000" in reply.headers[HEADER]
    assert any(p.get("thought") for p in reply.json()["candidates"][0]["content"]["parts"])


def test_thinking_cannot_be_switched_off_so_thoughts_are_hidden(gw, fake):
    for stream in (False, True):
        reply = chat(gw, {"model": "gemini-3.5-flash-thinking", "reasoning_effort": "none", "messages": HI, "stream": stream})
        assert reply.status == 200, reply.text
        assert sent(fake)[80] == 1
        assert "Considering the request" not in reply.text  # the fake's thought text
        assert "thoughts hidden" in reply.headers[HEADER]


def test_settings_the_web_app_ignores_are_said(gw, fake):
    reply = chat(gw, {"model": "gemini-web/flash", "temperature": 0.2, "top_p": 0.5, "seed": 7, "max_tokens": 50,
                      "messages": HI})
    assert reply.status == 200, reply.text
    said = reply.headers[HEADER]
    for field in ("temperature ignored", "topP ignored", "seed ignored", "maxOutputTokens ignored"):
        assert field in said, said
    search = chat(gw, {"model": "gemini-web/flash-search", "messages": HI, "web_search_options": {}})
    assert search.status == 200, search.text
    said = search.headers[HEADER]
    assert "tools googleSearch ignored" in said and "-search ignored" in said, said
    plain = chat(gw, {"model": "gemini-web/flash", "messages": HI})
    assert HEADER not in plain.headers


@pytest.mark.parametrize("extra,words", [
    ({"logprobs": True}, "log probabilities"),
    ({"n": 2}, "one candidate"),
])
def test_settings_the_web_app_cannot_honour_are_refused(gw, extra, words):
    reply = chat(gw, {"model": "gemini-web/flash", "messages": HI, **extra})
    assert reply.status == 400 and words in reply.json()["error"]["message"], reply.text


def test_json_mode_is_asked_for_in_the_prompt(gw, fake):
    schema = {"type": "object", "properties": {"color": {"type": "string"}}, "required": ["color"]}
    reply = chat(gw, {"model": "gemini-web/flash", "messages": HI, "response_format": {
        "type": "json_schema", "json_schema": {"name": "c", "schema": schema}}})
    assert reply.status == 200, reply.text
    assert isinstance(json.loads(reply.json()["choices"][0]["message"]["content"])["color"], str)
    assert "application/json asked for in the prompt" in reply.headers[HEADER]
    prompt = sent(fake)[0][0]
    assert prompt.startswith("why is the sky blue") and "Answer with one JSON value only" in prompt
    assert '"required":["color"]' in prompt


def test_json_mode_answer_that_is_not_json_is_asked_for_again(gw, fake):
    body = {"model": "gemini-web/flash", "response_format": {"type": "json_object"}}
    for stream in (False, True):
        before = len(fake.requests_to("StreamGenerate"))
        reply = chat(gw, {**body, "stream": stream, "messages": [{"role": "user", "content": f"MALFORMED-ONCE\n{stream}"}]})
        assert reply.status == 200, reply.text
        text = reply.json()["choices"][0]["message"]["content"] if not stream else "".join(
            e["choices"][0]["delta"].get("content") or "" for e in reply.sse() if isinstance(e, dict) and e.get("choices"))
        assert json.loads(text) == {"echo": f"MALFORMED-ONCE\n{stream}"}
        assert len(fake.requests_to("StreamGenerate")) - before == 2  # the broken first answer was asked again
