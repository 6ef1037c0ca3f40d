"""OpenAI /v1/embeddings over Gemini batchEmbedContents."""

from __future__ import annotations

import base64
import struct

import pytest

from gemgate.testing.fake_embedding import embed_text
from tests.support.http import post
from tests.support.upstream import upstream_requests


def embed(gw, body):
    return post(f"{gw.url}/v1/embeddings", body, key=gw.key)


def test_float_and_base64(gw, fake_api):
    r = embed(gw, {"model": "gemini-embedding-001", "input": ["alpha", "beta"]})
    assert r.status == 200, r.text
    body = r.json()
    assert body["object"] == "list" and [d["index"] for d in body["data"]] == [0, 1]
    floats = body["data"][0]["embedding"]
    assert all(isinstance(v, float) for v in floats)
    r = embed(gw, {"model": "gemini-embedding-001", "input": "alpha", "encoding_format": "base64", "dimensions": 8})
    raw = base64.b64decode(r.json()["data"][0]["embedding"])
    values = struct.unpack(f"<{len(raw) // 4}f", raw)
    assert len(values) == 8
    sent = fake_api.requests[-1].body
    assert sent["requests"][0]["outputDimensionality"] == 8
    assert sent["requests"][0]["model"] == "models/gemini-embedding-001"


def test_bad_inputs(gw):
    assert embed(gw, {"model": "gemini-embedding-001", "input": [[1, 2, 3]]}).status == 400
    assert embed(gw, {"model": "gemini-embedding-001", "input": []}).status == 400
    assert embed(gw, {"model": "gemini-embedding-001", "input": "x", "encoding_format": "int8"}).status == 400
    assert embed(gw, {"model": "nope", "input": "x"}).status == 404


def test_more_inputs_than_google_takes_in_one_batch(gw, fake_api):
    """150 inputs: Google takes at most 100 requests per batchEmbedContents (langchain-ai/langchainjs#4491), so the
    gateway sends 100 + 50 and answers with 150 vectors in input order and the usage of the 150 inputs once."""
    texts = [f"split-marker-openai {i}" for i in range(150)]
    r = embed(gw, {"model": "gemini-embedding-001", "input": texts, "dimensions": 4})
    assert r.status == 200, r.text
    body = r.json()
    assert [d["index"] for d in body["data"]] == list(range(150))
    assert [d["embedding"] for d in body["data"]] == [pytest.approx(embed_text(t, 4), abs=1e-5) for t in texts]
    tokens = sum(max(1, len(t) // 4) for t in texts)
    assert body["usage"] == {"prompt_tokens": tokens, "total_tokens": tokens}
    sent = upstream_requests(fake_api, "split-marker-openai", ("batchEmbedContents",))
    assert [len(s.body["requests"]) for s in sent] == [100, 50]
    assert all(s.status == 200 for s in sent)
    assert [q["content"]["parts"][0]["text"] for s in sent for q in s.body["requests"]] == texts


@pytest.mark.parametrize("text, param", [("", "input"), ([""], "input[0]"), (["a", ""], "input[1]")])
def test_empty_input_is_a_400_naming_it(gw, text, param):
    r = embed(gw, {"model": "gemini-embedding-001", "input": text})
    assert r.status == 400, r.text
    assert r.json()["error"]["param"] == param and "empty" in r.json()["error"]["message"]


def native_embed(gw, action, body):
    return post(f"{gw.url}/v1beta/models/gemini-embedding-001:{action}", body, headers={"x-goog-api-key": gw.key})


@pytest.mark.parametrize("action, body, words", [
    ("embedContent", {"content": {"parts": [{"text": ""}]}}, "content.parts[0].text"),
    ("embedContent", {"content": {"parts": []}}, "content.parts"),
    ("embedContent", {"content": {}}, "content.parts"),
    ("batchEmbedContents", {"requests": [{"content": {"parts": [{"text": "a"}]}}, {"content": {"parts": [{"text": ""}]}}]},
     "requests[1].content.parts[0].text"),
])
def test_native_empty_content_is_a_400_naming_it(gw, action, body, words):
    r = native_embed(gw, action, body)
    assert r.status == 400, r.text
    assert words in r.json()["error"]["message"]


def test_an_error_in_a_later_batch_names_the_clients_request(gw):
    """101 requests are sent as 100 + 1; Google's error about the second batch's requests[0] is the client's
    requests[100]."""
    requests = [{"content": {"parts": [{"text": f"later batch {i}"}]}} for i in range(101)]
    requests[100]["outputDimensionality"] = 5000
    r = native_embed(gw, "batchEmbedContents", {"requests": requests})
    assert r.status == 400, r.text
    message = r.json()["error"]["message"]
    assert "requests[100].output_dimensionality" in message and "requests[0]" not in message


@pytest.mark.parametrize("model", ["gemini-embedding-001-search", "gemini-embedding-001@think=2", "gemini-embedding-001-high"])
def test_suffixes_on_an_embedding_model_are_a_400(gw, model):
    r = embed(gw, {"model": model, "input": "x"})
    assert r.status == 400 and r.json()["error"]["param"] == "model", r.text
    n = post(f"{gw.url}/v1beta/models/{model}:embedContent", {"content": {"parts": [{"text": "x"}]}},
             headers={"x-goog-api-key": gw.key})
    assert n.status == 400, n.text
