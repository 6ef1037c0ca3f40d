"""The Code Assist surface the gateway serves (`/v1internal:{rpc}`), over real HTTP: the setup RPCs the Gemini CLI
makes, generation in the envelope (whole, SSE and JSON array, agreeing), countTokens, and errors in Google's shape."""

from __future__ import annotations

import json

import pytest

from tests.support.agreement import gemini_view
from tests.support.http import post
from tests.support.upstream import upstream_requests

TOOLS = [{"functionDeclarations": [{"name": "lookup", "parametersJsonSchema": {
    "type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}}]}]


def rpc(gw, name, body, *, key=None, query=""):
    return post(f"{gw.url}/v1internal:{name}{query}", body, key=key or gw.key)


def envelope(text, model="gemini-2.5-flash", **inner):
    """The Gemini CLI's envelope (reference/codeassist-and-gemini-api.md §A3)."""
    request = {"contents": [{"role": "user", "parts": [{"text": text}]}], "session_id": "5b1c-session", **inner}
    return {"model": model, "project": "gemgate", "user_prompt_id": "5b1c-session", "request": request}


def test_load_code_assist_lets_the_cli_proceed(gw):
    r = rpc(gw, "loadCodeAssist", {"metadata": {"ideType": "IDE_UNSPECIFIED", "platform": "PLATFORM_UNSPECIFIED",
                                                "pluginType": "GEMINI"}})
    assert r.status == 200, r.text
    body = r.json()
    # A current tier and a string project: _doSetupUser returns without onboarding (§A2).
    assert body["currentTier"]["id"] == "standard-tier" and isinstance(body["cloudaicompanionProject"], str)
    named = rpc(gw, "loadCodeAssist", {"cloudaicompanionProject": "my-proj", "metadata": {"duetProject": "my-proj"}})
    assert named.json()["cloudaicompanionProject"] == "my-proj"


def test_onboard_user_is_done_at_once(gw):
    body = rpc(gw, "onboardUser", {"tierId": "free-tier", "metadata": {}}).json()
    assert body["done"] is True and body["response"]["cloudaicompanionProject"]["id"]


def test_quota_lists_the_pools_generating_models(gw):
    r = rpc(gw, "retrieveUserQuota", {"project": "gemgate"})
    assert r.status == 200, r.text
    buckets = r.json()["buckets"]
    ids = {b["modelId"] for b in buckets}
    assert {"gemini-2.5-flash", "gemini-3-flash-preview"} <= ids
    assert not any("/" in m or "embedding" in m for m in ids), ids  # no kind-pinned repeats, no embedders
    assert all(b["remainingFraction"] == 1.0 and b["tokenType"] == "REQUESTS" for b in buckets)


@pytest.mark.parametrize("name", ["listExperiments", "recordCodeAssistMetrics", "fetchAdminControls"])
def test_other_rpcs_answer(gw, name):
    r = rpc(gw, name, {"project": "gemgate"})
    assert r.status == 200, r.text
    assert r.json() == ({"experimentIds": [], "flags": []} if name == "listExperiments" else {})


def test_generate_content_in_the_envelope(gw, fake_api):
    r = rpc(gw, "generateContent", envelope("enveloped hello marker-cai-whole"))
    assert r.status == 200, r.text
    body = r.json()
    assert set(body) == {"response", "traceId"} and body["traceId"]
    parts = body["response"]["candidates"][0]["content"]["parts"]
    assert "".join(p["text"] for p in parts if not p.get("thought")) == "echo: enveloped hello marker-cai-whole"
    (sent,) = upstream_requests(fake_api, "marker-cai-whole")
    assert sent.model == "gemini-2.5-flash" and "sessionId" not in sent.body and "session_id" not in sent.body


@pytest.mark.parametrize("text", ["three words here and more", 'CALL lookup {"q": "x"}'])
def test_stream_agrees_with_whole(gw, text):
    body = envelope(text, tools=TOOLS, generationConfig={"thinkingConfig": {"includeThoughts": True}})
    whole = rpc(gw, "generateContent", body).json()
    r = rpc(gw, "streamGenerateContent", body, query="?alt=sse")
    assert r.status == 200 and r.headers["content-type"].startswith("text/event-stream"), r.text
    events = r.sse()
    assert len(events) >= 2 and all(set(e) == {"response", "traceId"} for e in events)
    assert len({e["traceId"] for e in events}) == 1
    got = gemini_view([e["response"] for e in events])
    want = gemini_view([whole["response"]])
    for view in (got, want):  # each generation signs anew; that they are signed is what matters
        for cand in view["candidates"].values():
            cand["calls"] = [(call, bool(sig)) for call, sig in cand["calls"]]
            cand["signatures"] = [bool(s) for s in cand["signatures"]]
    assert got == want


def test_stream_without_sse_is_a_json_array(gw):
    r = rpc(gw, "streamGenerateContent", envelope("array of chunks please"))
    assert r.status == 200, r.text
    chunks = json.loads(r.body)
    assert chunks[-1]["response"]["candidates"][0]["finishReason"] == "STOP"


def test_count_tokens(gw):
    body = {"request": {"model": "models/gemini-2.5-flash", "contents": [{"role": "user", "parts": [{"text": "a b c"}]}]}}
    r = rpc(gw, "countTokens", body)
    assert r.status == 200, r.text
    assert r.json()["totalTokens"] > 0


@pytest.mark.parametrize(("name", "body", "param"), [
    ("generateContent", {"model": "gemini-2.5-flash", "project": "p"}, "request"),
    ("generateContent", {"request": {"contents": []}}, "model"),
    ("streamGenerateContent", {"model": "gemini-2.5-flash", "request": {"session_id": "s"}}, "request.contents"),
    ("streamGenerateContent", {"model": "gemini-2.5-flash", "request": {"contents": "hi"}}, "request.contents"),
    ("generateContent", {"model": "gemini-2.5-flash", "request": []}, "request"),
    ("countTokens", {"request": {"contents": []}}, "request.model"),
    ("loadCodeAssist", {"cloudaicompanionProject": 7}, "cloudaicompanionProject"),
])
def test_bad_input_is_a_400_in_googles_shape(gw, name, body, param):
    r = rpc(gw, name, body)
    assert r.status == 400, r.text
    error = r.json()["error"]
    assert error["code"] == 400 and error["status"] == "INVALID_ARGUMENT"
    assert f"'{param}'" in error["message"], error


def test_bad_json_and_unknown_model(gw):
    r = post(f"{gw.url}/v1internal:generateContent", raw=b"{not json", key=gw.key)
    assert r.status == 400 and r.json()["error"]["status"] == "INVALID_ARGUMENT"
    r = rpc(gw, "streamGenerateContent", envelope("hi", model="gemini-9-nonexistent"), query="?alt=sse")
    assert r.status == 404, r.text
    assert r.json()["error"]["status"] == "NOT_FOUND" and "gemini-9-nonexistent" in r.json()["error"]["message"]


@pytest.mark.parametrize("key", [None, "not-a-key"])
def test_missing_or_wrong_key_is_a_401_in_googles_shape(gw, key):
    r = post(f"{gw.url}/v1internal:loadCodeAssist", {"metadata": {}}, key=key)
    assert r.status == 401
    assert r.json()["error"]["status"] == "UNAUTHENTICATED" and r.json()["error"]["code"] == 401


def test_upstream_refusal_keeps_googles_status(gw):
    r = rpc(gw, "generateContent", envelope("FAIL 400"))
    assert r.status == 400, r.text
    assert r.json()["error"]["status"] == "INVALID_ARGUMENT"


def test_failure_mid_stream_ends_the_stream_with_googles_error(gw):
    r = rpc(gw, "streamGenerateContent", envelope("some words here and more\nFAIL-AFTER 1 500"), query="?alt=sse")
    assert r.status == 200, r.text
    events = r.sse()
    assert "response" in events[0] and events[-1]["error"]["code"] >= 500, events
    # The CLI reads an event without `response` as no candidates: the turn fails and is retried, never a success.
    assert not any(c.get("finishReason") for e in events for c in (e.get("response") or {}).get("candidates", []))


def test_keepalives_are_blank_lines_the_cli_skips(gw):
    # A silent upstream (gw.keepalive_seconds is 1): the stream is committed and blank lines fill the silence,
    # which the Gemini CLI's reader skips while no `data:` line is buffered (server.js requestStreamingPost).
    r = rpc(gw, "streamGenerateContent", envelope("SLOW 2.5\nkeep me waiting"), query="?alt=sse")
    assert r.status == 200, r.text
    assert r.body.startswith(b"\r\n\r\n"), r.body[:40]  # two keepalives before the first event
    assert r.sse()[-1]["response"]["candidates"][0]["finishReason"] == "STOP"
