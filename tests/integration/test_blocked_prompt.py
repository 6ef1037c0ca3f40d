"""A prompt Google blocks (promptFeedback.blockReason, no candidates): content_filter in OpenAI's shape, stream and
not; the Gemini-native answer is Google's (promptFeedback, no candidates field). And MALFORMED_FUNCTION_CALL after
streamed thoughts still fails over."""

from __future__ import annotations

import time

from tests.support.gateway import API_KEYS, chat
from tests.support.http import post


def test_openai_whole_and_stream_say_content_filter(gw):
    body = {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "blocked-1\nBLOCK"}]}
    whole = chat(gw, body)
    assert whole.status == 200, whole.text
    assert whole.json()["choices"][0]["finish_reason"] == "content_filter"
    events = [e for e in chat(gw, {**body, "stream": True}).sse() if isinstance(e, dict)]
    reasons = [c["finish_reason"] for e in events for c in e.get("choices") or () if c.get("finish_reason")]
    assert reasons == ["content_filter"]
    assert "".join(c["delta"].get("content") or "" for e in events for c in e.get("choices") or ()) == ""


def test_gemini_native_whole_is_googles(gw, fake_api):
    body = {"contents": [{"role": "user", "parts": [{"text": "blocked-2\nBLOCK PROHIBITED_CONTENT"}]}]}
    got = post(f"{gw.url}/v1beta/models/gemini-2.5-flash:generateContent", body, headers={"x-goog-api-key": gw.key})
    want = post(f"{fake_api.url}/v1beta/models/gemini-2.5-flash:generateContent", body, headers={"x-goog-api-key": API_KEYS[0]})
    assert got.status == want.status == 200, got.text
    g, w = got.json(), want.json()
    assert "candidates" not in g and "candidates" not in w
    assert g["promptFeedback"] == w["promptFeedback"] == {"blockReason": "PROHIBITED_CONTENT"}
    assert g["usageMetadata"] == w["usageMetadata"]


def test_malformed_after_streamed_thoughts_fails_over(gw):
    # gemini-cli capture context-compress-interactive: thoughts stream, then MALFORMED_FUNCTION_CALL with no content.
    body = {"model": "gemini-2.5-flash", "stream": True, "reasoning_effort": "low",
            "messages": [{"role": "user", "content": "MALFORMED-ONCE\nafter-thoughts"}]}
    events = [e for e in chat(gw, body).sse() if isinstance(e, dict)]
    text = "".join(c["delta"].get("content") or "" for e in events for c in e.get("choices") or ())
    assert text == "echo: MALFORMED-ONCE\nafter-thoughts"
    native = {"contents": [{"role": "user", "parts": [{"text": "MALFORMED-ONCE\nafter-thoughts-native"}]}],
              "generationConfig": {"thinkingConfig": {"includeThoughts": True}}}
    r = post(f"{gw.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", native, headers={"x-goog-api-key": gw.key})
    chunks = r.sse()
    assert chunks[-1]["candidates"][0]["finishReason"] == "STOP"
    assert "".join(p["text"] for c in chunks for p in c["candidates"][0]["content"]["parts"] if not p.get("thought")) == "echo: MALFORMED-ONCE\nafter-thoughts-native"


def test_thoughts_reach_the_client_while_the_answer_is_still_coming(gw):
    """Thoughts are not held back until the answer starts: with the upstream silent after its first (thought)
    chunk, the client already has the reasoning."""
    import httpx

    body = {"model": "gemini-2.5-flash", "stream": True, "reasoning_effort": "low",
            "messages": [{"role": "user", "content": "STALL-AFTER 1 4\nthoughts-first"}]}
    with httpx.Client(timeout=20) as client, client.stream(
            "POST", f"{gw.url}/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {gw.key}"}) as r:
        start = time.monotonic()
        for line in r.iter_lines():
            if '"reasoning_content"' in line:
                seen = time.monotonic() - start
                break
        else:
            raise AssertionError("no reasoning arrived")
    assert seen < 3, f"reasoning arrived only after {seen:.1f} s (the upstream stalls for 4 s after it)"


def test_malformed_after_thoughts_everywhere_ends_with_an_in_stream_error(gw):
    body = {"model": "gemini-2.5-flash", "stream": True, "reasoning_effort": "low",
            "messages": [{"role": "user", "content": "MALFORMED\nalways-broken"}]}
    r = chat(gw, body)
    assert r.status == 200  # the thoughts were sent: the status is committed
    events = r.sse()
    assert any(isinstance(e, dict) and "reasoning_content" in str(e) for e in events)
    assert "malformed function call" in events[-1]["error"]["message"] and "[DONE]" not in events


def test_a_resumed_stream_agrees_with_the_whole_answer(gw):
    """MALFORMED_FUNCTION_CALL after thoughts, then a good generation: the stream shows one generation's
    thoughts (not the failed one's and the new one's), as the non-streaming answer does."""
    from tests.support.agreement import assert_openai_agree, gemini_view

    body = {"model": "gemini-2.5-pro", "messages": [{"role": "user", "content": "hi r1\nMALFORMED-ONCE"}],
            "stream_options": {"include_usage": True}}
    stream = chat(gw, {**body, "stream": True})
    whole = chat(gw, {k: v for k, v in body.items() if k != "stream_options"})
    assert stream.status == whole.status == 200
    assert whole.json()["choices"][0]["message"].get("reasoning_content")
    assert_openai_agree(whole.json(), stream.sse())
    native = {"contents": [{"role": "user", "parts": [{"text": "hi r2\nMALFORMED-ONCE"}]}],
              "generationConfig": {"thinkingConfig": {"includeThoughts": True}}}
    url = f"{gw.url}/v1beta/models/gemini-2.5-pro"
    s = post(f"{url}:streamGenerateContent?alt=sse", native, headers={"x-goog-api-key": gw.key})
    w = post(f"{url}:generateContent", native, headers={"x-goog-api-key": gw.key})
    assert gemini_view(s.sse()) == gemini_view([w.json()])


def test_openai_n_choices_of_a_blocked_prompt_each_say_content_filter(gw):
    """`n: 2` and a blocked prompt: two choices, each content_filter (one used to come back), stream and not."""
    body = {"model": "gemini-2.5-flash", "n": 2, "messages": [{"role": "user", "content": "blocked-n\nBLOCK"}]}
    whole = chat(gw, body).json()["choices"]
    assert [(c["index"], c["finish_reason"]) for c in whole] == [(0, "content_filter"), (1, "content_filter")]
    events = [e for e in chat(gw, {**body, "stream": True}).sse() if isinstance(e, dict)]
    ends = [(c["index"], c["finish_reason"]) for e in events for c in e.get("choices") or () if c.get("finish_reason")]
    assert ends == [(0, "content_filter"), (1, "content_filter")]
