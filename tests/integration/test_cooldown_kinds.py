"""A rate limit learned on one method does not block another (issue 6): Google meters generateContent,
countTokens and embedContent apart (pool.state_key), so after generation is cooled by a 429, countTokens for
the same model is still asked upstream and served, in both dialects."""

from __future__ import annotations

from tests.support.forms import check_error
from tests.support.gateway import chat
from tests.support.http import post
from tests.support.upstream import upstream_requests

MODEL = "gemini-2.5-flash-lite"


def test_count_tokens_is_served_while_generation_cools(make_gateway, fake_api):
    gw = make_gateway(api_keys=["fake-key-alpha"])
    r = chat(gw, {"model": MODEL, "messages": [{"role": "user", "content": "FAIL 429 20"}]})
    check_error(r, "openai", 429)
    again = chat(gw, {"model": MODEL, "messages": [{"role": "user", "content": "generation cools marker-ck0"}]})
    assert check_error(again, "openai", 429)["code"] == "all_accounts_cooling"
    assert not upstream_requests(fake_api, "marker-ck0")  # generation really is cooling
    body = {"contents": [{"role": "user", "parts": [{"text": "count me marker-ck1"}]}]}
    counted = post(f"{gw.url}/v1beta/models/{MODEL}:countTokens", body, headers={"x-goog-api-key": gw.key})
    assert counted.status == 200, counted.text
    assert counted.json()["totalTokens"] > 0
    assert upstream_requests(fake_api, "marker-ck1", ("countTokens",))
    stream = post(f"{gw.url}/v1beta/models/{MODEL}:streamGenerateContent?alt=sse", body, headers={"x-goog-api-key": gw.key})
    assert check_error(stream, "gemini-sse", 429)["message"].startswith("All accounts")
