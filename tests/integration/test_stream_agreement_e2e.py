"""Through a running gateway, for each dialect: the non-streaming answer equals the streamed one folded by the
dialect's client-side rules (tests/support/agreement.py); the unit property test covers the space, this the wiring."""

from __future__ import annotations

import pytest

from tests.support.agreement import assert_openai_agree, gemini_view
from tests.support.gateway import chat
from tests.support.http import post

TOOLS = [{"type": "function", "function": {"name": n, "parameters": {"type": "object", "properties": {"x": {"type": "integer"}}}}}
         for n in ("f", "g")]
OPENAI = {
    # Thoughts and logprobs apart: no Gemini API model returns both (gemini.capabilities [logprobs]).
    "text-thoughts-n2": {"model": "gemini-2.5-flash", "reasoning_effort": "low", "n": 2,
                         "messages": [{"role": "user", "content": "one two three four five six seven agree-1"}]},
    "text-logprobs-n2": {"model": "gemini-2.0-flash", "logprobs": True, "top_logprobs": 2, "n": 2,
                         "messages": [{"role": "user", "content": "one two three four five six seven agree-1b"}]},
    "parallel-calls-gemini3": {"model": "gemini-3-pro-preview", "tools": TOOLS,
                               "messages": [{"role": "user", "content": 'CALL f {"x": 1}\nCALL g {"x": 2}\nagree-2'}]},
    "max-tokens": {"model": "gemini-2.5-flash", "max_completion_tokens": 3,
                   "messages": [{"role": "user", "content": "one two three four five six agree-3"}]},
    "blocked": {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "agree-4\nBLOCK"}]},
    "web-search-annotations": {"model": "gemini-2.5-flash", "web_search_options": {},
                               "messages": [{"role": "user", "content": "who won the ünïcode cup agree-5\nCITE https://e.x/1"}]},
}


@pytest.mark.parametrize("case", sorted(OPENAI))
def test_openai_stream_and_whole_agree(gw, case):
    body = {**OPENAI[case], "stream_options": {"include_usage": True}}
    whole = chat(gw, {k: v for k, v in body.items() if k != "stream_options"})
    stream = chat(gw, {**body, "stream": True})
    assert whole.status == stream.status == 200, (whole.text, stream.text)
    assert_openai_agree(whole.json(), stream.sse())


def test_web_search_answers_carry_url_citations(gw):
    """Grounding supports and citation sources become `message.annotations` (url_citation) over the answer."""
    whole = chat(gw, OPENAI["web-search-annotations"]).json()
    message = whole["choices"][0]["message"]
    kinds = [(a["type"], a["url_citation"]["url"]) for a in message["annotations"]]
    assert kinds == [("url_citation", "https://vertexaisearch.cloud.google.com/grounding-api-redirect/fake"),
                     ("url_citation", "https://e.x/1")]
    for a in message["annotations"]:
        assert message["content"][a["url_citation"]["start_index"]:a["url_citation"]["end_index"]] == message["content"]


NATIVE = {
    "thoughts": ("gemini-2.5-flash", {"contents": [{"role": "user", "parts": [{"text": "one two three four five agree-n1"}]}],
                                      "generationConfig": {"thinkingConfig": {"includeThoughts": True}}}),
    "logprobs": ("gemini-2.0-flash", {"contents": [{"role": "user", "parts": [{"text": "one two three four five agree-n1b"}]}],
                                      "generationConfig": {"responseLogprobs": True, "logprobs": 1}}),
    "call-gemini3": ("gemini-3-pro-preview", {"contents": [{"role": "user", "parts": [{"text": 'CALL f {"x": 1}\nagree-n2'}]}],
                                              "tools": [{"functionDeclarations": [{"name": "f", "parameters": {"type": "OBJECT", "properties": {"x": {"type": "INTEGER"}}}}]}]}),
    "grounded": ("gemini-2.5-flash", {"contents": [{"role": "user", "parts": [{"text": "who won agree-n3\nCITE https://e.x/1"}]}],
                                      "tools": [{"googleSearch": {}}]}),
}


@pytest.mark.parametrize("case", sorted(NATIVE))
def test_gemini_native_stream_and_whole_agree(gw, case):
    model, body = NATIVE[case]
    whole = post(f"{gw.url}/v1beta/models/{model}:generateContent", body, headers={"x-goog-api-key": gw.key})
    stream = post(f"{gw.url}/v1beta/models/{model}:streamGenerateContent?alt=sse", body, headers={"x-goog-api-key": gw.key})
    assert whole.status == stream.status == 200, (whole.text, stream.text)
    chunks = stream.sse()
    assert gemini_view([whole.json()]) == gemini_view(chunks)
    last = chunks[-1]["candidates"][0]
    for key in ("groundingMetadata", "citationMetadata"):
        assert whole.json()["candidates"][0].get(key) == last.get(key)


def test_web_search_settings_google_lacks_are_said(gw):
    body = {**OPENAI["web-search-annotations"], "web_search_options": {"search_context_size": "high",
                                                                     "user_location": {"type": "approximate"}}}
    r = chat(gw, body)
    assert r.status == 200
    said = r.headers["X-Gemgate-Adjusted"]
    assert "web_search_options.search_context_size ignored" in said and "web_search_options.user_location ignored" in said


def test_unknown_web_search_keys_are_a_400_not_a_header(gw):
    """A key quoted into X-Gemgate-Adjusted made the header invalid (a 500, found by the fuzz test)."""
    r = chat(gw, {**OPENAI["web-search-annotations"], "web_search_options": {"\u0100": 1}})
    assert r.status == 400 and r.json()["error"]["param"] == "web_search_options.\u0100", r.text
