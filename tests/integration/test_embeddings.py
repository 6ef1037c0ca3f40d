"""OpenAI /v1/embeddings over Gemini batchEmbedContents."""

from __future__ import annotations

import base64
import struct

from tests.support.http import post


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
