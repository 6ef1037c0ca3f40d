"""Endpoints, auth, catalogue, recording and fault injection of the fake Gemini API over HTTP."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest

from gemgate.testing import FakeGeminiAPI

from tests.support.http import Client
from tests.support.payloads import user
from tests.support.sse import parse_sse

GEN = "/v1beta/models/gemini-2.5-flash:generateContent"
SSE = "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
HELLO = {"contents": [user("hello there")]}


def text_of(response: dict) -> str:
    return "".join(p.get("text", "") for p in response["candidates"][0]["content"]["parts"] if not p.get("thought"))


# -- auth --------------------------------------------------------------------

@pytest.mark.parametrize("headers, path", [
    ({"x-goog-api-key": "k1"}, GEN),
    ({}, GEN + "?key=k1"),
])
def test_the_two_ways_to_send_a_key(fake_url, headers, path):
    fake, url = fake_url
    reply = Client.gemini(url, key=None).post(path, HELLO, headers=headers)
    status, body = reply.status, reply.json()
    assert status == 200, body
    assert fake.requests[-1].api_key == "k1"


@pytest.mark.parametrize("path, method", [
    (GEN, "v1beta.GenerativeService.GenerateContent"),
    (SSE, "v1beta.GenerativeService.StreamGenerateContent"),
    ("/v1/models/gemini-embedding-001:batchEmbedContents", "v1.GenerativeService.BatchEmbedContents"),
    ("/v1beta/models", "v1beta.ModelService.ListModels"),
])
def test_an_api_key_as_a_bearer_token_is_401(fake_url, path, method):
    # Google takes a Bearer value for an OAuth access token: 401 ACCESS_TOKEN_TYPE_UNSUPPORTED
    # (xalgorix/xalgorix#2, NousResearch/hermes-agent#62259, Achuan-2/siyuan-plugin-copilot#129).
    fake, url = fake_url
    client = Client.gemini(url, key=None)
    headers = {"Authorization": "Bearer k1"}
    body = {"requests": [{"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "x"}]}}]} \
        if "Embed" in method else HELLO
    reply = client.get(path, headers=headers) if path.endswith("/models") else client.post(path, body, headers=headers)
    error = json.loads(reply.text)["error"]
    assert reply.status == 401 and error["status"] == "UNAUTHENTICATED"
    assert error["message"].startswith("Request had invalid authentication credentials. Expected OAuth 2 access token")
    assert error["details"] == [{
        "@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "ACCESS_TOKEN_TYPE_UNSUPPORTED",
        "metadata": {"method": f"google.ai.generativelanguage.{method}", "service": "generativelanguage.googleapis.com"}}]
    assert fake.requests[-1].key_source == "bearer" and fake.requests[-1].status == 401


@pytest.mark.parametrize("headers", [{}, {"x-goog-api-key": ""}, {"Authorization": "Bearer "}])
def test_missing_key_is_an_unregistered_caller(fake_url, headers):
    reply = Client.gemini(fake_url[1], key=None).post(GEN, HELLO, headers=headers)
    status, body = reply.status, reply.json()
    assert status == 403
    assert body["error"]["status"] == "PERMISSION_DENIED"
    assert body["error"]["message"].startswith("Method doesn't allow unregistered callers (callers without "
                                               "established identity).")


def test_unknown_and_revoked_keys():
    fake = FakeGeminiAPI(api_keys={"good"}, revoked_keys={"leaked"})
    with fake.running() as url:
        reply = Client.gemini(url, key="wrong").post(GEN, HELLO)
        status, body = reply.status, reply.json()
        assert status == 400
        assert body["error"] == {
            "code": 400, "message": "API key not valid. Please pass a valid API key.", "status": "INVALID_ARGUMENT",
            "details": [
                {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
                 "domain": "googleapis.com", "metadata": {"service": "generativelanguage.googleapis.com"}},
                {"@type": "type.googleapis.com/google.rpc.LocalizedMessage", "locale": "en-US",
                 "message": "API key not valid. Please pass a valid API key."}]}
        reply = Client.gemini(url, key="leaked").post(GEN, HELLO)
        status, body = reply.status, reply.json()
        assert status == 403 and body["error"]["status"] == "PERMISSION_DENIED"
        assert Client.gemini(url, key="good").post(GEN, HELLO).status == 200
        assert fake.calls_by_key == {"wrong": 1, "leaked": 1, "good": 1}


def test_per_key_model_subsets_route_by_model():
    fake = FakeGeminiAPI(key_models={"flash-only": ["gemini-2.5-flash"]})
    with fake.running() as url:
        limited = Client.gemini(url, key="flash-only")
        reply = limited.get("/v1beta/models")
        status, listing = reply.status, reply.json()
        assert [m["name"] for m in listing["models"]] == ["models/gemini-2.5-flash"]
        assert limited.post(GEN, HELLO).status == 200
        reply = limited.post("/v1beta/models/gemini-2.5-pro:generateContent", HELLO)
        status, body = reply.status, reply.json()
        assert status == 404 and body["error"]["status"] == "NOT_FOUND"
        assert Client.gemini(url, key="anyone").post("/v1beta/models/gemini-2.5-pro:generateContent", HELLO).status == 200


def test_quota_exhausted_keys_get_429_with_retry_info():
    fake = FakeGeminiAPI(quota_exhausted_keys={"dry"})
    with fake.running() as url:
        reply = Client.gemini(url, key="dry").post(SSE, HELLO)
        status, body = reply.status, reply.json()
        assert status == 429
        types = [d["@type"].rsplit(".", 1)[-1] for d in body["error"]["details"]]
        assert "RetryInfo" in types and "QuotaFailure" in types
        fake.quota_exhausted_keys.clear()  # can be changed while running
        assert Client.gemini(url, key="dry").post(SSE, HELLO)[0] == 200


# -- routing and catalogue ---------------------------------------------------

@pytest.mark.parametrize("version", ["v1", "v1beta"])
def test_both_api_versions_are_served(http, version):
    reply = http.post(f"/{version}/models/gemini-2.5-flash:generateContent", HELLO)
    status, body = reply.status, reply.json()
    assert status == 200 and text_of(body) == "echo: hello there"


@pytest.mark.parametrize("method, path", [
    ("POST", "/v2/models/gemini-2.5-flash:generateContent"),
    ("POST", "/v1beta/models/gemini-2.5-flash:explode"),
    ("GET", "/v1beta/models/gemini-2.5-flash:generateContent"),
    ("GET", "/v1beta/tunedModels"),
])
def test_unknown_routes_get_googles_html_404(http, method, path):
    status, headers, body = http.request(method, path, HELLO if method == "POST" else None)
    assert status == 404 and headers["Content-Type"].startswith("text/html")
    assert b"Error 404 (Not Found)" in body


def test_model_listing_pages_and_omits_the_last_token(http):
    names, token, pages = [], None, 0
    while True:
        query = "?pageSize=2" + (f"&pageToken={token}" if token else "")
        reply = http.get("/v1beta/models" + query)
        status, body = reply.status, reply.json()
        assert status == 200
        names += [m["name"] for m in body["models"]]
        pages += 1
        if "nextPageToken" not in body:
            break
        token = body["nextPageToken"]
        assert token
    assert pages == 4
    assert names == [f"models/{m}" for m in (
        "gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-3-pro-preview",
        "gemini-3-flash-preview", "gemini-2.0-flash", "gemini-embedding-001")]


def test_page_size_defaults_to_50_and_caps_at_1000():
    fake = FakeGeminiAPI(models=[f"gemini-test-{i}" for i in range(1205)])
    with fake.running() as url:
        http = Client.gemini(url)
        assert len(http.get("/v1beta/models").json()["models"]) == 50
        first = http.get("/v1beta/models?pageSize=5000").json()
        assert len(first["models"]) == 1000
        rest = http.get(f"/v1beta/models?pageSize=5000&pageToken={first['nextPageToken']}").json()
        assert len(rest["models"]) == 205 and "nextPageToken" not in rest


def test_bad_page_token_is_rejected(http):
    reply = http.get("/v1beta/models?pageToken=garbage")
    status, body = reply.status, reply.json()
    assert status == 400 and body["error"]["status"] == "INVALID_ARGUMENT"


def test_model_resource_fields(http):
    reply = http.get("/v1/models/gemini-2.5-pro")
    status, model = reply.status, reply.json()
    assert status == 200
    assert set(model) == {"name", "version", "displayName", "description", "inputTokenLimit", "outputTokenLimit",
                          "supportedGenerationMethods", "temperature", "topP", "topK", "maxTemperature", "thinking"}
    assert model["name"] == "models/gemini-2.5-pro" and model["thinking"] is True
    flash2 = http.get("/v1/models/gemini-2.0-flash").json()
    assert "thinking" not in flash2  # proto3 JSON leaves false out
    embedding = http.get("/v1/models/gemini-embedding-001").json()
    assert "generateContent" not in embedding["supportedGenerationMethods"]
    assert http.get("/v1/models/nope").status == 404


def test_embedding_model_cannot_generate_and_chat_model_cannot_embed(http):
    reply = http.post("/v1beta/models/gemini-embedding-001:generateContent", HELLO)
    status, body = reply.status, reply.json()
    assert status == 404 and "not supported for generateContent" in body["error"]["message"]
    reply = http.post("/v1beta/models/gemini-2.5-flash:embedContent",
                      {"content": {"parts": [{"text": "x"}]}})
    status, body = reply.status, reply.json()
    assert status == 404 and "not supported for embedContent" in body["error"]["message"]


# -- endpoints ---------------------------------------------------------------

def test_count_tokens_with_contents_or_a_generate_request(http):
    reply = http.post("/v1beta/models/gemini-2.5-flash:countTokens",
                      {"contents": [user("one two three")]})
    status, body = reply.status, reply.json()
    assert status == 200
    assert body == {"totalTokens": 3, "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 3}]}
    wrapped = {"generateContentRequest": {"model": "models/gemini-2.5-flash", "contents": [user("a b")],
                                          "systemInstruction": {"parts": [{"text": "c"}]}}}
    assert http.post("/v1beta/models/gemini-2.5-flash:countTokens", wrapped).json()["totalTokens"] == 3


def test_count_tokens_matches_prompt_usage(http):
    request = {"contents": [user("four words right here")]}
    counted = http.post("/v1beta/models/gemini-2.5-flash:countTokens", request).json()["totalTokens"]
    usage = http.post(GEN, request).json()["usageMetadata"]
    assert counted == usage["promptTokenCount"] == 4


def test_embed_content_is_deterministic_with_dimensions(http):
    path = "/v1beta/models/gemini-embedding-001:embedContent"
    a = http.post(path, {"content": {"parts": [{"text": "hello"}]}}).json()["embedding"]["values"]
    b = http.post(path, {"content": {"parts": [{"text": "hello"}]}}).json()["embedding"]["values"]
    c = http.post(path, {"content": {"parts": [{"text": "other"}]}}).json()["embedding"]["values"]
    assert a == b != c and len(a) == 768 and all(-1 <= v < 1 for v in a)
    short = http.post(path, {"content": {"parts": [{"text": "hello"}]}, "outputDimensionality": 8}).json()
    assert short["embedding"]["values"] == a[:8]


def test_batch_embed_requires_matching_model(http):
    path = "/v1beta/models/gemini-embedding-001:batchEmbedContents"
    good = {"requests": [{"model": "models/gemini-embedding-001", "content": {"parts": [{"text": t}]}}
                         for t in ("a", "b")]}
    reply = http.post(path, good)
    status, body = reply.status, reply.json()
    assert status == 200 and [len(e["values"]) for e in body["embeddings"]] == [768, 768]
    bad = {"requests": [{"model": "models/other", "content": {"parts": [{"text": "a"}]}}]}
    reply = http.post(path, bad)
    status, body = reply.status, reply.json()
    assert status == 400 and "requests[0].model" in body["error"]["message"]


@pytest.mark.parametrize("count, status", [(100, 200), (101, 400)])
def test_batch_embed_takes_at_most_100_requests(http, count, status):
    # Google: "* BatchEmbedContentsRequest.requests: at most 100 requests can be in one batch"
    # (langchain-ai/langchainjs#4491, weaviate/weaviate#11277).
    path = "/v1beta/models/gemini-embedding-001:batchEmbedContents"
    body = {"requests": [{"model": "models/gemini-embedding-001", "content": {"parts": [{"text": f"t{i}"}]}}
                         for i in range(count)]}
    reply = http.post(path, body)
    assert reply.status == status, reply.text
    if status == 200:
        assert len(reply.json()["embeddings"]) == 100
    else:
        assert reply.json()["error"] == {
            "code": 400, "status": "INVALID_ARGUMENT",
            "message": "* BatchEmbedContentsRequest.requests: at most 100 requests can be in one batch\n"}


def test_stream_without_alt_sse_is_a_json_array(http):
    status, headers, data = http.post("/v1beta/models/gemini-2.5-flash:streamGenerateContent",
                                      {"contents": [user("alpha beta gamma delta")]})
    assert status == 200 and headers["Content-Type"] == "application/json; charset=UTF-8"
    text = data.decode()
    assert text.startswith("[{") and text.endswith("}]") and text.count("\n,\r\n") >= 2
    chunks = json.loads(text)
    assert "".join(c["candidates"][0]["content"]["parts"][0]["text"] for c in chunks) == \
        "echo: alpha beta gamma delta"


def test_stream_text_concatenates_and_ends_with_stop_and_usage(http):
    status, _, data = http.post(SSE, {"contents": [user("one two three four five six")]})
    chunks = parse_sse(data, exact=True)
    assert len(chunks) >= 3
    assert "".join(text_of(c) for c in chunks) == "echo: one two three four five six"
    assert all("usageMetadata" in c for c in chunks)
    assert chunks[-1]["candidates"][0]["finishReason"] == "STOP"
    assert chunks[-1]["usageMetadata"]["candidatesTokenCount"] == 7


# -- recording ---------------------------------------------------------------

def test_every_request_is_recorded(fake_url):
    fake, url = fake_url
    before = len(fake.requests)
    Client.gemini(url, key="rec").post(SSE, HELLO, headers={"User-Agent": "probe/1"})
    record = fake.requests[before]
    assert (record.method, record.path, record.query) == ("POST", SSE.split("?")[0], {"alt": "sse"})
    assert record.api_key == "rec" and record.key_source == "header"
    assert record.headers["User-Agent"] == "probe/1"
    assert record.body == HELLO
    assert (record.api_version, record.model, record.action, record.status) == \
        ("v1beta", "gemini-2.5-flash", "streamGenerateContent", 200)
    assert fake.requests_for(action="streamGenerateContent", key="rec") == [record]


def test_unparsable_bodies_are_recorded_as_none(fake_url):
    fake, url = fake_url
    assert Client.gemini(url).post(GEN, raw=b"{nope")[0] == 400
    assert fake.requests[-1].body is None and fake.requests[-1].status == 400


# -- fault injection -----------------------------------------------------------

def test_fail_once_fails_then_succeeds_then_fails_again(http):
    body = {"contents": [user("FAIL-ONCE 503\nretry me")]}
    reply = http.post(GEN, body)
    first = reply.status, reply.json()
    assert first[0] == 503 and first[1]["error"]["status"] == "UNAVAILABLE"
    reply = http.post(GEN, body)
    second = reply.status, reply.json()
    assert second[0] == 200 and text_of(second[1]) == "echo: FAIL-ONCE 503\nretry me"
    assert http.post(GEN, body).status == 503  # a fresh logical request fails once again


def test_fail_once_memory_is_shared_across_keys(fake_url):
    url = fake_url[1]
    body = {"contents": [user("FAIL-ONCE 429 0.1\nrotate accounts")]}
    assert Client.gemini(url, key="account-a").post(SSE, body).status == 429
    assert Client.gemini(url, key="account-b").post(SSE, body)[0] == 200


@pytest.mark.parametrize("status, name", [(400, "INVALID_ARGUMENT"), (401, "UNAUTHENTICATED"),
                                          (403, "PERMISSION_DENIED"), (404, "NOT_FOUND"),
                                          (500, "INTERNAL"), (503, "UNAVAILABLE")])
def test_fail_directive_statuses(http, status, name):
    reply = http.post(SSE, {"contents": [user(f"FAIL {status}")]})
    code, body = reply.status, reply.json()
    assert code == status and body["error"]["status"] == name and body["error"]["code"] == status


def test_slow_keeps_silent_before_the_first_byte(http):
    started = time.monotonic()
    status, _, data = http.post(SSE, {"contents": [user("SLOW 0.3\nwake up")]})
    assert status == 200 and time.monotonic() - started >= 0.3
    assert "".join(text_of(c) for c in parse_sse(data, exact=True)) == "echo: SLOW 0.3\nwake up"


@pytest.mark.asyncio
async def test_runs_on_the_callers_event_loop_and_streams_incrementally():
    fake = FakeGeminiAPI(chunk_interval=0.05)
    url = await fake.start()
    try:
        async with aiohttp.ClientSession() as session:
            async with session.post(url + SSE, json={"contents": [user("a b c d e f g h i j k l")]},
                                    headers={"x-goog-api-key": "k"}) as response:
                assert response.status == 200
                arrivals = []
                async for line in response.content:
                    if line.startswith(b"data: "):
                        arrivals.append(asyncio.get_running_loop().time())
        assert len(arrivals) >= 3 and arrivals[-1] - arrivals[0] >= 0.05
    finally:
        await fake.stop()
