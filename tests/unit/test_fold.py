"""The fold (gemini.aggregate) against what Google's generateContent returns for the same generation.

References: the vercel/ai captures of one prompt answered whole (google-*.json) and streamed
(google-*.chunks.txt), and the fake's non-streaming answer (gemgate.testing.single_response), which is
built without the gateway's code.
"""

from __future__ import annotations

import json

import pytest

from gemgate.gemini.aggregate import aggregate
from gemgate.testing import ThoughtSigner, plan_reply, single_response, stream_chunks
from tests.support.fixtures import capture_files

SIGNER = ThoughtSigner()


def _vercel(fixtures_dir, name: str):
    [chunks] = capture_files(fixtures_dir / "gemini-api", f"vercel*___{name}.chunks.txt")
    [whole] = capture_files(fixtures_dir / "gemini-api", f"vercel*___{name}.json")
    return [json.loads(x) for x in chunks.read_text().splitlines() if x.strip()], json.loads(whole.read_text())


def _shape(response: dict) -> list[list[list[str]]]:
    return [[sorted(p) for p in c["content"]["parts"]] for c in response["candidates"]]


def test_gemini3_call_has_no_closing_empty_part(fixtures_dir):
    chunks, whole = _vercel(fixtures_dir, "google-tool-call-gemini3")
    folded = aggregate(chunks)
    assert _shape(folded) == _shape(whole) == [[["functionCall", "thoughtSignature"]]]
    assert folded["candidates"][0]["content"]["parts"][0]["functionCall"] == whole["candidates"][0]["content"]["parts"][0]["functionCall"]


def test_gemini3_text_is_one_signed_part(fixtures_dir):
    [path] = capture_files(fixtures_dir / "gemini-api", "vercel*___google-text.chunks.txt")
    chunks = [json.loads(x) for x in path.read_text().splitlines() if x.strip()]
    folded = aggregate(chunks)
    assert _shape(folded) == [[["text", "thoughtSignature"]]]
    assert folded["candidates"][0]["content"]["parts"][0]["text"] == "".join(
        p["text"] for c in chunks for p in c["candidates"][0]["content"]["parts"])


def test_reasoning_capture_shape(fixtures_dir):
    [whole_path] = capture_files(fixtures_dir / "gemini-api", "vercel*___google-reasoning.json")
    [chunks_path] = capture_files(fixtures_dir / "gemini-api", "vercel*___google-reasoning-gemini3.chunks.txt")
    chunks = [json.loads(x) for x in chunks_path.read_text().splitlines() if x.strip()]
    assert _shape(aggregate(chunks)) == _shape(json.loads(whole_path.read_text())) == [[["text", "thoughtSignature"]]]


def test_25_signed_answer_is_not_split():
    chunks = [
        {"candidates": [{"content": {"parts": [{"text": "hmm", "thought": True}], "role": "model"}, "index": 0}]},
        {"candidates": [{"content": {"parts": [{"text": "an", "thoughtSignature": "S"}], "role": "model"}, "index": 0}]},
        {"candidates": [{"content": {"parts": [{"text": "swer"}], "role": "model"}, "finishReason": "STOP", "index": 0}]},
    ]
    assert aggregate(chunks)["candidates"][0]["content"]["parts"] == [
        {"text": "hmm", "thought": True}, {"text": "answer", "thoughtSignature": "S"}]


def _req(text: str, **extra) -> dict:
    return {"contents": [{"role": "user", "parts": [{"text": text}]}], **extra}


TOOLS = [{"functionDeclarations": [{"name": "f", "parameters": {"type": "OBJECT", "properties": {"a": {"type": "STRING"}}}}]}]
THOUGHTS = {"generationConfig": {"thinkingConfig": {"includeThoughts": True}}}
CASES = [
    ("gemini-2.5-flash", _req("one two three four five six")),
    ("gemini-2.5-flash", _req("one two three four five six", **THOUGHTS)),
    ("gemini-3-pro-preview", _req("one two three four five six", **THOUGHTS)),
    ("gemini-3-pro-preview", _req('CALL f {"a": "x"}', tools=TOOLS)),
    ("gemini-3-pro-preview", _req('CALL f {"a": "x"}\nCALL f {"a": "y"}', tools=TOOLS, **THOUGHTS)),
    ("gemini-2.5-flash", _req('CALL f {"a": "x"}', tools=TOOLS, **THOUGHTS)),
    ("gemini-2.5-flash", _req("a b c d e f", generationConfig={"candidateCount": 2})),
    ("gemini-3-pro-preview", _req("a b c d e f g h i j CUT-AFTER 1")),
]


@pytest.mark.parametrize(("model", "request_"), CASES, ids=[f"{m}-{i}" for i, (m, _) in enumerate(CASES)])
def test_fold_equals_fake_generate_content(model, request_):
    reply = plan_reply(request_, model, signer=SIGNER)
    folded = aggregate(stream_chunks(reply, model, "rid"))
    whole = single_response(reply, model, "rid")
    for got, want in zip(folded["candidates"], whole["candidates"], strict=True):
        assert got["content"]["parts"] == want["content"]["parts"]
        assert got.get("finishReason") == want.get("finishReason")
    assert folded["usageMetadata"] == whole["usageMetadata"]
    assert (folded["modelVersion"], folded["responseId"]) == (whole["modelVersion"], whole["responseId"])


def test_logprobs_and_citations_merge_across_chunks():
    def chunk(tok, lp, **more):
        result = {"chosenCandidates": [{"token": tok, "logProbability": lp}],
                  "topCandidates": [{"candidates": [{"token": tok, "logProbability": lp}]}]}
        return {"candidates": [{"content": {"parts": [{"text": tok}]}, "index": 0, "logprobsResult": result,
                                "avgLogprobs": lp, **more}]}

    folded = aggregate([chunk("a", -1.0, citationMetadata={"citationSources": [{"uri": "u1"}]}),
                        chunk("b", -3.0, citationMetadata={"citationSources": [{"uri": "u2"}]},
                              finishReason="STOP")])
    cand = folded["candidates"][0]
    assert [c["token"] for c in cand["logprobsResult"]["chosenCandidates"]] == ["a", "b"]
    assert len(cand["logprobsResult"]["topCandidates"]) == 2
    assert cand["avgLogprobs"] == -2.0
    assert cand["citationMetadata"]["citationSources"] == [{"uri": "u1"}, {"uri": "u2"}]
