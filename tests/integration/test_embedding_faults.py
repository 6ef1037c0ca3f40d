"""The fake's FAIL directives apply to embedding texts (fake_model), so the gateway's handling of embedding
failures is exercised: a rate limit cools only the embed capability of that account and model (pool.state_key),
and a failure in the second batch of a split request reaches the client as that batch's error, or is retried
whole, never as a partial answer."""

from __future__ import annotations

import pytest

from gemgate.testing.fake_embedding import embed_text
from tests.support.forms import check_error
from tests.support.gateway import chat
from tests.support.http import post
from tests.support.upstream import upstream_requests

EMBED = "gemini-embedding-001"


def embed(gw, body):
    return post(f"{gw.url}/v1/embeddings", body, key=gw.key)


def native(gw, action, body, model=EMBED):
    return post(f"{gw.url}/v1beta/models/{model}:{action}", body, headers={"x-goog-api-key": gw.key})


@pytest.mark.parametrize("status", [400, 500])
def test_fail_in_an_embedding_text_is_that_error(make_gateway, status):
    gw = make_gateway()  # a 500 may cool the accounts it reached: not the shared gateway's
    r = embed(gw, {"model": EMBED, "input": ["fine", f"FAIL {status}"]})
    assert r.status == status, r.text
    one = native(gw, "embedContent", {"content": {"parts": [{"text": f"FAIL {status}"}]}})
    assert check_error(one, "gemini", status)["code"] == status


def test_an_embedding_rate_limit_cools_only_embed(make_gateway, fake_api):
    gw = make_gateway(api_keys=["fake-key-alpha"])
    check_error(embed(gw, {"model": EMBED, "input": ["FAIL 429 20"]}), "openai", 429)
    again = embed(gw, {"model": EMBED, "input": ["embed cools marker-ef0"]})
    assert check_error(again, "openai", 429)["code"] == "all_accounts_cooling"
    assert not upstream_requests(fake_api, "marker-ef0")  # embedding really is cooling
    body = {"contents": [{"role": "user", "parts": [{"text": "count me marker-ef1"}]}]}
    counted = native(gw, "countTokens", body)  # the same model and account, another capability
    assert counted.status == 200, counted.text
    assert upstream_requests(fake_api, "marker-ef1", ("countTokens",))
    r = chat(gw, {"model": "gemini-2.5-flash-lite", "messages": [{"role": "user", "content": "chat marker-ef2"}]})
    assert r.status == 200, r.text


def split_inputs(marker: str, directive: str) -> list[str]:
    texts = [f"{marker} {i}" for i in range(150)]
    texts[120] = f"{marker} 120\n{directive}"  # in the second batch of 100 + 50, at its requests[20]
    return texts


def test_a_request_fault_in_the_second_batch_is_the_clients_error(gw, fake_api):
    r = embed(gw, {"model": EMBED, "input": split_inputs("split-fault-400", "FAIL 400")})
    check_error(r, "openai", 400)
    sent = upstream_requests(fake_api, "split-fault-400", ("batchEmbedContents",))
    assert [(len(s.body["requests"]), s.status) for s in sent] == [(100, 200), (50, 400)]


def test_a_transient_fault_in_the_second_batch_is_retried_whole(gw, fake_api):
    texts = split_inputs("split-fault-once", "FAIL-ONCE 500")
    r = embed(gw, {"model": EMBED, "input": texts, "dimensions": 4})
    assert r.status == 200, r.text
    data = r.json()["data"]
    assert [d["index"] for d in data] == list(range(150))
    assert [d["embedding"] for d in data] == [pytest.approx(embed_text(t, 4), abs=1e-5) for t in texts]
    sent = upstream_requests(fake_api, "split-fault-once", ("batchEmbedContents",))
    assert [(len(s.body["requests"]), s.status) for s in sent] == [(100, 200), (50, 500), (100, 200), (50, 200)]


def test_a_native_batch_rate_limit_in_the_second_batch(make_gateway, fake_api):
    gw = make_gateway(api_keys=["fake-key-alpha"])
    requests = [{"content": {"parts": [{"text": t}]}} for t in split_inputs("split-fault-429", "FAIL 429 20")]
    error = check_error(native(gw, "batchEmbedContents", {"requests": requests}), "gemini", 429)
    assert error["status"] == "RESOURCE_EXHAUSTED"
    sent = upstream_requests(fake_api, "split-fault-429", ("batchEmbedContents",))
    assert [(len(s.body["requests"]), s.status) for s in sent] == [(100, 200), (50, 429)]
