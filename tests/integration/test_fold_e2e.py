"""Through a running gateway: a non-streaming Gemini-native answer (the fold of the upstream stream) equals
what the fake's own generateContent answers for the same request (the reference, built without the
gateway's code)."""

from __future__ import annotations

import pytest

from tests.support.gateway import API_KEYS
from tests.support.http import post

TOOLS = [{"functionDeclarations": [{"name": "lookup", "parameters": {"type": "OBJECT", "properties": {"q": {"type": "STRING"}}}}]}]
CASES = {
    "gemini3-call": ("gemini-3-pro-preview", {"contents": [{"role": "user", "parts": [{"text": 'CALL lookup {"q": "x"}\nfold-e2e-1'}]}], "tools": TOOLS}),
    "25-thoughts": ("gemini-2.5-flash", {"contents": [{"role": "user", "parts": [{"text": "one two three four five six seven eight fold-e2e-2"}]}],
                                          "generationConfig": {"thinkingConfig": {"includeThoughts": True}}}),
    "3-thoughts": ("gemini-3-pro-preview", {"contents": [{"role": "user", "parts": [{"text": "one two three four five six seven eight fold-e2e-3"}]}],
                                            "generationConfig": {"thinkingConfig": {"includeThoughts": True}}}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_gemini_native_whole_equals_google_generate_content(gw, fake_api, case):
    model, body = CASES[case]
    got = post(f"{gw.url}/v1beta/models/{model}:generateContent", body, headers={"x-goog-api-key": gw.key})
    want = post(f"{fake_api.url}/v1beta/models/{model}:generateContent", body, headers={"x-goog-api-key": API_KEYS[0]})
    assert got.status == want.status == 200, (got.text, want.text)
    got_c, want_c = got.json()["candidates"], want.json()["candidates"]
    assert [c["content"]["parts"] for c in got_c] == [c["content"]["parts"] for c in want_c]
    assert [c["finishReason"] for c in got_c] == [c["finishReason"] for c in want_c]
