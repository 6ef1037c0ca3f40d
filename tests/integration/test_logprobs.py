"""logprobs end to end: OpenAI `logprobs`/`top_logprobs` come back as `choices[].logprobs.content[]` (stream and
not, the same tokens), and a Gemini-native non-streaming answer keeps every chunk's `logprobsResult`. On
gemini-2.0-flash: 2.5 and 3.x return no logprobs on the Gemini API (gemini.capabilities [logprobs])."""

from __future__ import annotations

from tests.support.gateway import API_KEYS, chat
from tests.support.http import post

LOGPROBS_MODEL = "gemini-2.0-flash"
PROMPT = "one two three four five six seven eight nine ten"


def _body(marker: str, **extra) -> dict:
    return {"model": LOGPROBS_MODEL, "messages": [{"role": "user", "content": f"{PROMPT} {marker}"}],
            "logprobs": True, "top_logprobs": 2, **extra}


def test_openai_whole_has_logprobs(gw):
    r = chat(gw, _body("lp-whole"))
    assert r.status == 200, r.text
    choice = r.json()["choices"][0]
    content = choice["logprobs"]["content"]
    assert "".join(t["token"] for t in content) == choice["message"]["content"]
    assert all(len(t["top_logprobs"]) == 2 and t["bytes"] == list(t["token"].encode()) for t in content)
    assert all(t["top_logprobs"][0]["token"] == t["token"] and t["logprob"] <= 0 for t in content)


def test_openai_stream_logprobs_equal_whole(gw):
    whole = chat(gw, _body("lp-both")).json()["choices"][0]["logprobs"]["content"]
    events = chat(gw, _body("lp-both", stream=True)).sse()
    streamed = [t for e in events if isinstance(e, dict) and e.get("choices") for c in e["choices"] if c.get("logprobs") for t in c["logprobs"]["content"]]
    assert streamed == whole and len(whole) >= 10


def test_openai_without_logprobs_has_null(gw):
    r = chat(gw, {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "no lp here"}]})
    assert r.json()["choices"][0]["logprobs"] is None


def test_gemini_native_whole_keeps_every_chunks_logprobs(gw, fake_api):
    body = {"contents": [{"role": "user", "parts": [{"text": f"{PROMPT} lp-native"}]}],
            "generationConfig": {"responseLogprobs": True, "logprobs": 2}}
    got = post(f"{gw.url}/v1beta/models/{LOGPROBS_MODEL}:generateContent", body, headers={"x-goog-api-key": gw.key}).json()
    want = post(f"{fake_api.url}/v1beta/models/{LOGPROBS_MODEL}:generateContent", body,
                headers={"x-goog-api-key": API_KEYS[0]}).json()
    got_lp, want_lp = got["candidates"][0]["logprobsResult"], want["candidates"][0]["logprobsResult"]
    assert got_lp["chosenCandidates"] == want_lp["chosenCandidates"] and got_lp["topCandidates"] == want_lp["topCandidates"]
    text = got["candidates"][0]["content"]["parts"][0]["text"]
    assert "".join(c["token"] for c in got_lp["chosenCandidates"]) == text
    assert abs(got_lp["logProbabilitySum"] - want_lp["logProbabilitySum"]) < 1e-6
    assert abs(got["candidates"][0]["avgLogprobs"] - want["candidates"][0]["avgLogprobs"]) < 1e-9
