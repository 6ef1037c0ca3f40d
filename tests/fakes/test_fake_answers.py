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
