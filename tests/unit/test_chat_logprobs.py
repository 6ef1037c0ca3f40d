"""Gemini logprobsResult -> OpenAI choices[].logprobs (ai.google.dev/api/generate-content#LogprobsResult;
platform.openai.com/docs/api-reference/chat/object), whole and streamed."""

from __future__ import annotations

import json

from gemgate.dialects.base import ParseInput, RenderContext
from gemgate.dialects.openai.chat_request import parse_chat
from gemgate.dialects.openai.chat_response import chat_logprobs
from gemgate.gemini.aggregate import aggregate
from gemgate.gemini.signatures import SignatureStore


def _result(*tokens):
    return {"topCandidates": [{"candidates": [{"token": t, "logProbability": lp}, {"token": t + "?", "logProbability": lp - 1}]} for t, lp in tokens],
            "chosenCandidates": [{"token": t, "logProbability": lp} for t, lp in tokens if True]}


def test_mapping_follows_both_references():
    result = {"chosenCandidates": [{"token": "Hé", "tokenId": 7}, {"token": " x", "logProbability": -0.5}],
              "topCandidates": [{"candidates": [{"token": "Hé", "tokenId": 7}]}]}
    assert chat_logprobs(result) == {"refusal": None, "content": [
        {"token": "Hé", "logprob": 0.0, "bytes": [72, 195, 169], "top_logprobs": [{"token": "Hé", "logprob": 0.0, "bytes": [72, 195, 169]}]},
        {"token": " x", "logprob": -0.5, "bytes": [32, 120], "top_logprobs": []},
    ]}
    assert chat_logprobs(None) is None and chat_logprobs({"chosenCandidates": []}) is None


async def test_stream_and_whole_carry_the_same_tokens():
    chunks = [
        {"candidates": [{"content": {"parts": [{"text": "a b"}], "role": "model"}, "index": 0, "logprobsResult": _result(("a", -0.1), (" b", -0.2))}]},
        {"candidates": [{"content": {"parts": [{"text": ""}], "role": "model"}, "index": 0, "logprobsResult": _result((" c", -0.3))}]},
        {"candidates": [{"content": {"parts": [{"text": " d"}], "role": "model"}, "finishReason": "STOP", "index": 0, "logprobsResult": _result((" d", -0.4))}]},
    ]
    reply = parse_chat(ParseInput({"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "x"}], "logprobs": True, "top_logprobs": 2}, {}, {}, {})).reply
    ctx = RenderContext(SignatureStore(None), thoughts_in_content=False)
    whole = (await reply.whole(aggregate(chunks), ctx))["choices"][0]["logprobs"]["content"]

    async def rest():
        for c in chunks[1:]:
            yield c

    frames = [f async for f in reply.stream(chunks[0], rest(), ctx)]
    events = [json.loads(f[6:]) for f in frames if f != b"data: [DONE]\n\n"]
    streamed = [t for e in events for c in e["choices"] if c["logprobs"] for t in c["logprobs"]["content"]]
    assert [t["token"] for t in whole] == ["a", " b", " c", " d"]
    assert streamed == whole
    assert all(len(t["top_logprobs"]) == 2 for t in whole)
