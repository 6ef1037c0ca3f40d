"""Gemini-native endpoints: a near pass-through, under /v1beta and /v1, errors in Google's shape."""

from __future__ import annotations

import json

import pytest

from gemgate.testing.fake_embedding import embed_text
from tests.support.http import get, post
from tests.support.upstream import upstream_requests

USER = {"contents": [{"role": "user", "parts": [{"text": "native hello"}]}]}


def native(gw, path, body, **kw):
    return post(f"{gw.url}{path}", body, headers={"x-goog-api-key": gw.key}, **kw)


@pytest.mark.parametrize("version", ["v1beta", "v1"])
def test_generate_content(gw, version):
    r = native(gw, f"/{version}/models/gemini-2.5-flash:generateContent", USER)
    assert r.status == 200, r.text
    body = r.json()
    text = "".join(p["text"] for p in body["candidates"][0]["content"]["parts"] if not p.get("thought"))
    assert text == "echo: native hello"
    assert body["candidates"][0]["finishReason"] == "STOP"
    assert body["usageMetadata"]["totalTokenCount"] > 0


def test_stream_sse(gw):
    r = native(gw, "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", USER)
    assert r.status == 200 and r.headers["content-type"].startswith("text/event-stream")
    assert "\r\n\r\n" in r.text
    events = r.sse()
    assert len(events) >= 2
    assert events[-1]["candidates"][0]["finishReason"] == "STOP"
    assert "".join(p["text"] for e in events for p in e["candidates"][0]["content"]["parts"]) == "echo: native hello"


def test_stream_json_array(gw):
    r = native(gw, "/v1beta/models/gemini-2.5-flash:streamGenerateContent", USER)
    assert r.status == 200
    chunks = json.loads(r.body)
    assert isinstance(chunks, list) and chunks[-1]["candidates"][0]["finishReason"] == "STOP"


def test_pinned_model_with_slash_in_path(gw, fake_api):
    r = native(gw, "/v1beta/models/gemini-api/gemini-2.5-flash:generateContent", USER)
    assert r.status == 200, r.text
    assert fake_api.requests[-1].path.endswith("/models/gemini-2.5-flash:streamGenerateContent")


def test_snake_case_and_parameters_json_schema(gw, fake_api):
    body = {
        "contents": [{"role": "user", "parts": [{"text": 'CALL lookup {"q": "x"}\nmarker-sn1'}]}],
        "generation_config": {"max_output_tokens": 100, "thinking_config": {"include_thoughts": True, "thinking_budget": 128}},
        "tools": [{"function_declarations": [{"name": "lookup", "parameters_json_schema": {"type": "object", "properties": {"q": {"type": "string"}}, "additionalProperties": False}}]}],
    }
    r = native(gw, "/v1beta/models/gemini-2.5-flash:generateContent", body)
    assert r.status == 200, r.text
    parts = r.json()["candidates"][0]["content"]["parts"]
    assert any(p.get("functionCall", {}).get("args") == {"q": "x"} for p in parts)
    sent = fake_api.requests[-1].body
    assert sent["generationConfig"]["thinkingConfig"] == {"includeThoughts": True, "thinkingBudget": 128}
    decl = sent["tools"][0]["functionDeclarations"][0]
    assert decl["parametersJsonSchema"]["additionalProperties"] is False  # the client's schema, untouched


def test_count_tokens(gw):
    r = native(gw, "/v1beta/models/gemini-2.5-flash:countTokens", {"contents": USER["contents"]})
    assert r.status == 200 and r.json()["totalTokens"] > 0


def test_embeddings(gw):
    r = native(gw, "/v1beta/models/gemini-embedding-001:embedContent", {"content": {"parts": [{"text": "vec"}]}})
    assert r.status == 200 and len(r.json()["embedding"]["values"]) > 0
    batch = {"requests": [{"model": "models/gemini-embedding-001", "content": {"parts": [{"text": t}]}} for t in ("a", "b")]}
    r = native(gw, "/v1beta/models/gemini-embedding-001:batchEmbedContents", batch)
    assert r.status == 200 and len(r.json()["embeddings"]) == 2


@pytest.mark.parametrize("version", ["v1beta", "v1"])
def test_batch_embed_larger_than_google_takes(gw, fake_api, version):
    """250 requests: Google takes at most 100 per batchEmbedContents (langchain-ai/langchainjs#4491); the upstream
    sends 100 + 100 + 50 and the client gets one answer with the 250 embeddings in request order."""
    texts = [f"split-{version}-marker-native {i}" for i in range(250)]
    batch = {"requests": [{"model": "models/gemini-embedding-001", "content": {"parts": [{"text": t}]},
                           "outputDimensionality": 4} for t in texts]}
    r = native(gw, f"/{version}/models/gemini-embedding-001:batchEmbedContents", batch)
    assert r.status == 200, r.text
    assert [e["values"] for e in r.json()["embeddings"]] == [pytest.approx(embed_text(t, 4), abs=1e-5) for t in texts]
    sent = upstream_requests(fake_api, f"split-{version}-marker-native", ("batchEmbedContents",))
    assert [len(s.body["requests"]) for s in sent] == [100, 100, 50]
    assert [q["content"]["parts"][0]["text"] for s in sent for q in s.body["requests"]] == texts


def test_unknown_model_is_google_404(gw):
    r = native(gw, "/v1beta/models/gemini-0-nope:generateContent", USER)
    assert r.status == 404
    assert r.json()["error"]["status"] == "NOT_FOUND"


def test_missing_contents_is_400(gw):
    r = native(gw, "/v1beta/models/gemini-2.5-flash:generateContent", {"generationConfig": {}})
    assert r.status == 400 and r.json()["error"]["status"] == "INVALID_ARGUMENT"


def test_upstream_validation_error_passes_through(gw):
    body = dict(USER, generationConfig={"thinkingConfig": {"thinkingBudget": 100, "thinkingLevel": "LOW"}})
    r = native(gw, "/v1beta/models/gemini-2.5-flash:generateContent", body)
    assert r.status == 400 and r.json()["error"]["status"] == "INVALID_ARGUMENT"


def test_stream_error_before_first_byte(gw):
    body = {"contents": [{"role": "user", "parts": [{"text": "FAIL 500\nnative"}]}]}
    r = native(gw, "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", body)
    assert r.status == 500 and r.json()["error"]["code"] == 500 and r.json()["error"]["status"] == "INTERNAL"


def test_models_listing_and_pagination(gw):
    first = get(f"{gw.url}/v1beta/models?pageSize=3", headers={"x-goog-api-key": gw.key}).json()
    assert len(first["models"]) == 3 and first["nextPageToken"]
    names = [m["name"] for m in first["models"]]
    token = first["nextPageToken"]
    while token:
        page = get(f"{gw.url}/v1beta/models?pageSize=3&pageToken={token}", headers={"x-goog-api-key": gw.key}).json()
        names += [m["name"] for m in page["models"]]
        token = page.get("nextPageToken")
        assert token != ""
    assert "models/gemini-2.5-flash" in names and "models/gemini-api/gemini-2.5-flash" in names
    one = get(f"{gw.url}/v1beta/models/gemini-2.5-pro", headers={"x-goog-api-key": gw.key}).json()
    assert one["name"] == "models/gemini-2.5-pro" and "generateContent" in one["supportedGenerationMethods"]


def test_hybrid_models_list(gw):
    body = get(f"{gw.url}/v1/models", key=gw.key).json()
    assert body["object"] == "list"
    ids = {m["id"] for m in body["data"]}
    assert {"gemini-2.5-flash", "gemini-api/gemini-2.5-flash"} <= ids
    assert all(m["object"] == "model" for m in body["data"])
    assert {m["name"] for m in body["models"]} == {f"models/{i}" for i in ids}


@pytest.mark.parametrize("name", ["gemini-2.5-flash-high", "gemini-2.5-flash-thinking@think=2", "gemini-2.5-flash-search"])
def test_a_usable_suffixed_name_is_found_not_404(gw, name):
    """Any name a request may use answers GET models/<name> (found trying it: 404 for a suffixed name that
    generated fine), under the name asked, in both dialects; a name nothing serves stays 404."""
    native = get(f"{gw.url}/v1beta/models/{name}", headers={"x-goog-api-key": gw.key})
    assert native.status == 200 and native.json()["name"] == f"models/{name}"
    assert "generateContent" in native.json()["supportedGenerationMethods"]
    openai = get(f"{gw.url}/v1/models/{name}", key=gw.key)
    assert openai.status == 200 and openai.json()["id"] == name
    assert get(f"{gw.url}/v1/models/gemini-9-nothing-high", key=gw.key).status == 404
    assert get(f"{gw.url}/v1/models/gemini-2.5-flash-high-low", key=gw.key).status == 400


@pytest.mark.parametrize("directive", ["FAIL 429 2", "FAIL 500", "FAIL 503", "FAIL 409", "FAIL 400", "FAIL 413",
                                       "FAIL 403 PERMISSION_DENIED", "FAIL 404"])
@pytest.mark.parametrize("action", ["generateContent", "streamGenerateContent?alt=sse"])
def test_googles_error_reaches_gemini_callers_as_google_sent_it(make_gateway, fake_api, directive, action):
    """Code, google.rpc status, message and details (RetryInfo, QuotaFailure, Help: what Google's clients read)
    as the upstream answered, not the gateway's rewrite (found by a breaker: 500 became 502, details dropped)."""
    from tests.support.gateway import API_KEYS

    body = {"contents": [{"role": "user", "parts": [{"text": f"{directive}\ngoogle-error-{action[:6]}"}]}]}
    path = f"/v1beta/models/gemini-2.5-flash:{action}"
    got = native(make_gateway(), path, body)
    want = post(f"{fake_api.url}{path}", body, headers={"x-goog-api-key": API_KEYS[0]})
    assert got.status == want.status, (got.text, want.text)
    assert got.json()["error"] == want.json()["error"]


@pytest.mark.parametrize("directive, code, status", [("FAIL 408", 504, "DEADLINE_EXCEEDED"), ("FAIL 499", 502, "UNAVAILABLE")])
def test_a_code_the_gateway_changes_gets_its_own_status_name(make_gateway, directive, code, status):
    """Where the gateway answers with another code than Google's (a timeout becomes 504), the google.rpc status
    name is the one of that code, not Google's (which named another code)."""
    body = {"contents": [{"role": "user", "parts": [{"text": f"{directive}\nrenamed"}]}]}
    r = native(make_gateway(), "/v1beta/models/gemini-2.5-flash:generateContent", body)
    assert (r.status, r.json()["error"]["code"], r.json()["error"]["status"]) == (code, code, status), r.text


def test_batch_embed_request_naming_another_model_is_refused(gw):
    """Google refuses a batch whose requests name another model than the URL; the gateway used to rewrite it."""
    body = {"requests": [{"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "a"}]}},
                         {"model": "models/gemini-2.5-flash", "content": {"parts": [{"text": "b"}]}}]}
    r = native(gw, "/v1beta/models/gemini-embedding-001:batchEmbedContents", body)
    assert r.status == 400 and r.json()["error"]["status"] == "INVALID_ARGUMENT", r.text
    assert "requests[1].model must be models/gemini-embedding-001" in r.json()["error"]["message"]
    del body["requests"][1]["model"]  # no model in a request: it gets the URL's
    assert native(gw, "/v1beta/models/gemini-embedding-001:batchEmbedContents", body).status == 200


@pytest.mark.parametrize("action", ["generateContent", "streamGenerateContent?alt=sse"])
def test_a_signature_google_did_not_issue_is_dropped_and_retried_once(gw, fake_api, action):
    """A replayed signature the upstream refuses ("Corrupted thought signature.": another upstream kind's, as
    a pool mixing API keys and Code Assist accounts produces, or a stale one) is replaced by the skip sentinel
    and the request tried once more (reference/antigravity.md §8), instead of failing the conversation."""
    marker = f"foreign-signature-{action[:6]}"
    body = {"contents": [
        {"role": "user", "parts": [{"text": f"call f {marker}"}]},
        {"role": "model", "parts": [{"functionCall": {"name": "f", "args": {"x": 1}}, "thoughtSignature": "Zm9yZWlnbg=="}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "f", "response": {"ok": True}}}]}],
        "tools": [{"functionDeclarations": [{"name": "f", "parameters": {"type": "OBJECT", "properties": {"x": {"type": "INTEGER"}}}}]}]}
    r = native(gw, f"/v1beta/models/gemini-3-pro-preview:{action}", body)
    assert r.status == 200, r.text
    sent = [req for req in fake_api.requests if marker in str(req.body)]
    assert [s.body["contents"][1]["parts"][0]["thoughtSignature"] for s in sent] == ["Zm9yZWlnbg==", "skip_thought_signature_validator"]
