"""What real answers contain, produced by the fake: logprobsResult, blocked prompts, MALFORMED_FUNCTION_CALL after
thoughts, grounding and citations, modelVersion / responseId / createTime."""

from __future__ import annotations

from gemgate.testing import ThoughtSigner, plan_reply, single_response, stream_chunks

SIGNER = ThoughtSigner()


def req(text: str, **extra) -> dict:
    return {"contents": [{"role": "user", "parts": [{"text": text}]}], **extra}


def test_logprobs_when_asked():
    gen = {"responseLogprobs": True, "logprobs": 3}
    reply = plan_reply(req("one two three four", generationConfig=gen), "gemini-2.5-flash", signer=SIGNER)
    chunks = stream_chunks(reply, "gemini-2.5-flash")
    whole = single_response(reply, "gemini-2.5-flash")
    per_chunk = [t for c in chunks for t in c["candidates"][0]["logprobsResult"]["chosenCandidates"]]
    result = whole["candidates"][0]["logprobsResult"]
    assert result["chosenCandidates"] == per_chunk
    assert "".join(t["token"] for t in per_chunk) == whole["candidates"][0]["content"]["parts"][0]["text"]
    assert all(len(s["candidates"]) == 3 and s["candidates"][0] == c for s, c in zip(result["topCandidates"], per_chunk))
    assert "avgLogprobs" in whole["candidates"][0]
    plain = single_response(plan_reply(req("one two"), "gemini-2.5-flash", signer=SIGNER), "gemini-2.5-flash")
    assert "logprobsResult" not in plain["candidates"][0] and "avgLogprobs" not in plain["candidates"][0]


def test_block_directive_is_a_blocked_prompt():
    reply = plan_reply(req("bad words\nBLOCK"), "gemini-2.5-flash", signer=SIGNER)
    [chunk] = stream_chunks(reply, "gemini-2.5-flash", "rid")
    assert chunk["promptFeedback"] == {"blockReason": "SAFETY"} and "candidates" not in chunk
    assert chunk["usageMetadata"]["promptTokenCount"] > 0 and "candidatesTokenCount" not in chunk["usageMetadata"]
    assert single_response(reply, "gemini-2.5-flash", "rid") == chunk
    other = plan_reply(req("BLOCK PROHIBITED_CONTENT"), "gemini-2.5-flash", signer=SIGNER)
    assert other.block_reason == "PROHIBITED_CONTENT"


def test_malformed_after_thoughts_like_the_gemini_cli_capture():
    gen = {"thinkingConfig": {"includeThoughts": True}}
    chunks = stream_chunks(plan_reply(req("MALFORMED", generationConfig=gen), "gemini-2.5-flash", signer=SIGNER), "gemini-2.5-flash")
    assert chunks[0]["candidates"][0]["content"]["parts"][0]["thought"] is True
    assert chunks[-1]["candidates"] == [{"finishReason": "MALFORMED_FUNCTION_CALL", "index": 0}]


def test_grounding_with_google_search_and_citations():
    reply = plan_reply(req("who won\nCITE https://example.com/a", tools=[{"googleSearch": {}}]), "gemini-2.5-flash", signer=SIGNER)
    chunks = stream_chunks(reply, "gemini-2.5-flash")
    last = chunks[-1]["candidates"][0]
    assert last["groundingMetadata"]["groundingChunks"][0]["web"]["uri"].startswith("https://")
    assert last["groundingMetadata"]["webSearchQueries"]
    whole = single_response(reply, "gemini-2.5-flash")["candidates"][0]
    text = whole["content"]["parts"][0]["text"]
    assert whole["citationMetadata"]["citationSources"] == [{"endIndex": len(text.encode()), "uri": "https://example.com/a"}]
    assert whole["groundingMetadata"]["groundingSupports"][0]["segment"]["text"] == text
    assert all("groundingMetadata" not in c["candidates"][0] for c in chunks[:-1])
    plain = single_response(plan_reply(req("who won"), "gemini-2.5-flash", signer=SIGNER), "gemini-2.5-flash")
    assert "groundingMetadata" not in plain["candidates"][0]
