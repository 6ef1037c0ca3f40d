"""`/v1/chat/completions` with a Gemini generateContent body (as gcli2api's users send): detected, sent upstream as
is, answered in the OpenAI format, stream and not; a body of neither shape is a 400 saying what each needs."""

from __future__ import annotations

import json

import pytest

from tests.support.agreement import assert_openai_agree
from tests.support.gateway import chat
from tests.support.upstream import upstream_requests

TOOLS = [{"functionDeclarations": [{"name": "lookup", "description": "find", "parameters": {
    "type": "OBJECT", "properties": {"q": {"type": "STRING"}}, "required": ["q"]}}]}]


def gemini_body(text, model="gemini-2.5-flash", **extra):
    return {
        "model": model,
        "contents": [{"role": "user", "parts": [{"text": text}]}],
        "systemInstruction": {"parts": [{"text": "be brief"}]},
        "generationConfig": {"temperature": 0.2, "maxOutputTokens": 200},
        **extra,
    }


def test_whole_answer_in_openai_format(gw, fake_api):
    r = chat(gw, gemini_body("native body marker-cgb-whole"))
    assert r.status == 200, r.text
    body = r.json()
    assert body["object"] == "chat.completion" and body["model"] == "gemini-2.5-flash"
    assert body["choices"][0]["message"]["content"] == "echo: native body marker-cgb-whole"
    assert body["choices"][0]["finish_reason"] == "stop" and body["usage"]["total_tokens"] > 0
    (sent,) = upstream_requests(fake_api, "marker-cgb-whole")
    assert sent.body["systemInstruction"] == {"parts": [{"text": "be brief"}]}
    assert sent.body["generationConfig"]["temperature"] == 0.2
    assert "model" not in sent.body and "stream" not in sent.body


@pytest.mark.parametrize("text", ["several words to stream here", 'CALL lookup {"q": "x"}'])
def test_stream_agrees_with_whole(gw, text):
    body = gemini_body(text, tools=TOOLS)
    whole = chat(gw, body).json()
    r = chat(gw, {**body, "stream": True, "stream_options": {"include_usage": True}})
    assert r.status == 200 and r.headers["content-type"].startswith("text/event-stream"), r.text
    events = r.sse()
    assert events[-1] == "[DONE]"
    assert_openai_agree(whole, events)


def test_tool_call_replayed_in_gemini_form_gets_its_signature_back(gw, fake_api):
    model = "gemini-3-flash-preview"  # Gemini 3 refuses a replayed call without the signature it was issued with
    first = chat(gw, gemini_body('CALL lookup {"q": "x"}\nmarker-cgb-replay', model, tools=TOOLS)).json()
    (call,) = first["choices"][0]["message"]["tool_calls"]
    issued = upstream_requests(fake_api, "marker-cgb-replay")[0]
    contents = [
        {"role": "user", "parts": [{"text": 'CALL lookup {"q": "x"}\nmarker-cgb-replay'}]},
        {"role": "model", "parts": [{"functionCall": {"id": call["id"], "name": "lookup", "args": {"q": "x"}}}]},
        {"role": "user", "parts": [{"functionResponse": {"id": call["id"], "name": "lookup", "response": {"r": "found"}}}]},
    ]
    r = chat(gw, {"model": model, "contents": contents, "tools": TOOLS})
    assert r.status == 200, r.text
    assert r.json()["choices"][0]["message"]["content"].startswith("tool result: ")
    replay = upstream_requests(fake_api, "marker-cgb-replay")[-1]
    assert replay is not issued
    signature = replay.body["contents"][1]["parts"][0]["thoughtSignature"]
    assert signature not in ("", "skip_thought_signature_validator")


@pytest.mark.parametrize("body", [{"model": "gemini-2.5-flash"}, {"model": "gemini-2.5-flash", "prompt": "hi"},
                                  {"model": "gemini-2.5-flash", "generationConfig": {}}])
def test_neither_shape_is_a_400_naming_both(gw, body):
    r = chat(gw, body)
    assert r.status == 400, r.text
    error = r.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert "'messages'" in error["message"] and "'contents'" in error["message"], error


@pytest.mark.parametrize(("body", "param"), [
    ({"contents": [{"role": "user", "parts": [{"text": "x"}]}]}, "model"),
    ({"model": "gemini-2.5-flash", "contents": "hello"}, "contents"),
    ({"model": "gemini-2.5-flash", "contents": [], "stream": "yes"}, "stream"),
    ({"model": "gemini-2.5-flash", "contents": [{"role": "user", "parts": [{"text": "x"}]}],
      "generationConfig": {"temperature": 9}}, "generationConfig.temperature"),
])
def test_bad_gemini_body_is_a_400_in_openai_shape(gw, body, param):
    r = chat(gw, body)
    assert r.status == 400, r.text
    error = r.json()["error"]
    assert error["param"] == param and error["type"] == "invalid_request_error", error


def test_openai_body_is_unchanged(gw):
    r = chat(gw, {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "plain openai"}]})
    assert r.status == 200 and json.loads(r.body)["choices"][0]["message"]["content"] == "echo: plain openai"
