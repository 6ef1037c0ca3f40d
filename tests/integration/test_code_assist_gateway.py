"""The gateway with Code Assist accounts, end to end over loopback HTTP against the fake OAuth and Code Assist
servers: generation on the OpenAI and Gemini-native routes for both profiles, a Gemini 3 tool round trip with
signatures, countTokens, discovery and onboarding, host fallback, and cross-kind failover."""

from __future__ import annotations

import json

import pytest

from gemgate.testing import FakeCodeAssist
from tests.support.code_assist import Gateways, running_fakes
from tests.support.gateway import chat, free_port
from tests.support.http import post

WEATHER = {"type": "function", "function": {
    "name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                                          "required": ["city"]}}}
# profile -> (email, the account's tier, a Gemini 3 model it serves, a model the API-key fake serves too)
PROFILES = {
    "antigravity": ("ann@example.com", "g1-pro-tier", "gemini-3-flash"),
    "gemini-cli": ("bea@corp.example", "standard-tier", "gemini-3-flash-preview"),
}


@pytest.fixture(scope="module")
def fakes():
    with running_fakes() as running:
        yield running


@pytest.fixture
def make(fakes, tmp_path):
    gateways = Gateways(fakes, tmp_path)
    yield gateways.start
    gateways.stop_all()


def account(fakes, profile: str, **script) -> tuple[str, str, dict]:
    email, tier, model = PROFILES[profile]
    fakes.ca.account(email, tier=tier, **script)
    return email, model, fakes.credential(email, profile)


def native(gw, model: str, method: str, body: dict, query: str = ""):
    return post(f"{gw.url}/v1beta/models/{model}:{method}{query}", body, headers={"x-goog-api-key": gw.key})


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_generation_on_both_routes_streamed_and_whole(fakes, make, profile):
    email, model, secret = account(fakes, profile)
    gw = make({"acct": secret})
    fakes.ca.reset()
    msg = [{"role": "user", "content": "tell me three things"}]
    whole = chat(gw, {"model": model, "messages": msg})
    assert whole.status == 200, whole.text
    assert whole.json()["choices"][0]["message"]["content"] == "echo: tell me three things"
    streamed = chat(gw, {"model": model, "messages": msg, "stream": True})
    assert streamed.status == 200 and "echo:" in streamed.text and "[DONE]" in streamed.text
    contents = {"contents": [{"role": "user", "parts": [{"text": "tell me three things"}]}]}
    g = native(gw, model, "generateContent", contents)
    assert g.status == 200 and g.json()["candidates"][0]["content"]["parts"][-1]["text"] == "echo: tell me three things"
    s = native(gw, model, "streamGenerateContent", contents, "?alt=sse")
    assert s.status == 200 and "candidates" in s.text and '"response"' not in s.text  # unwrapped
    sent = fakes.ca.requests_for("streamGenerateContent", email)
    assert len(sent) == 4 and all(r.status == 200 and r.extra["profile"] == profile for r in sent)
    envelope = sent[0].body
    assert ("requestId" in envelope) == (profile == "antigravity")
    assert ("user_prompt_id" in envelope) == (profile == "gemini-cli")


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_gemini_3_tool_round_trip_keeps_signatures(fakes, make, profile):
    email, model, secret = account(fakes, profile)
    gw = make({"acct": secret})
    user = {"role": "user", "content": 'CALL get_weather {"city": "Paris"}'}
    first = chat(gw, {"model": model, "messages": [user], "tools": [WEATHER]})
    assert first.status == 200, first.text
    (call,) = first.json()["choices"][0]["message"]["tool_calls"]
    follow = chat(gw, {"model": model, "tools": [WEATHER], "messages": [
        user, {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": call["id"], "content": "sunny"}]})
    assert follow.status == 200, follow.text  # the fake refuses a Gemini 3 replay without its signature
    assert "tool result: sunny" in follow.json()["choices"][0]["message"]["content"]
    replayed = fakes.ca.requests_for("streamGenerateContent", email)[-1].body["request"]["contents"]
    assert any("thoughtSignature" in p for c in replayed for p in c["parts"] if "functionCall" in p)


def test_count_tokens(fakes, make):
    _, model, secret = account(fakes, "antigravity")
    gw = make({"acct": secret})
    r = native(gw, model, "countTokens", {"contents": [{"role": "user", "parts": [{"text": "one two three"}]}]})
    assert r.status == 200, r.text
    assert r.json()["totalTokens"] > 0


def test_discovery_with_a_project_needs_no_onboarding(fakes, make):
    email = "dora@example.com"
    fakes.ca.account(email, tier="g1-pro-tier")
    gw = make({"dora": fakes.credential(email, with_project=False)})
    assert chat(gw, {"model": "gemini-3-flash", "messages": [{"role": "user", "content": "hi"}]}).status == 200
    assert fakes.ca.requests_for("onboardUser", email) == []
    view = gw.accounts()["dora"]
    assert view.state == "ok" and "gemini-3-flash" in view.models


def test_onboarding_polls_the_operation_and_stores_project_and_tier(fakes, make):
    email = "eve@example.com"
    fakes.ca.account(email, tier="free-tier", project=None, onboard_polls=2)
    gw = make({"eve": fakes.credential(email, fresh=False, with_project=False)})
    r = chat(gw, {"model": "gemini-3-flash", "messages": [{"role": "user", "content": "hi"}]})
    assert r.status == 200, r.text
    assert len(fakes.ca.requests_for("onboardUser", email)) == 1
    assert len(fakes.ca.requests_for("getOperation", email)) == 2
    stored = gw.gateway.pool.accounts[next(iter(gw.gateway.pool.accounts))].record.secret
    assert stored["project_id"] == fakes.ca.account(email).project and stored["tier"] == "free-tier"


def test_gemini_cli_on_a_consumer_account_is_disabled_saying_to_use_antigravity(fakes, make):
    email = "fay@example.com"
    fakes.ca.account(email, tier="free-tier")
    gw = make({"fay": fakes.credential(email, "gemini-cli", with_project=False)})
    view = gw.wait_state("fay", "disabled")
    assert "UNSUPPORTED_CLIENT" in view.reason or "not eligible" in view.reason
    assert "--profile antigravity" in view.reason


def test_validation_required_at_discovery_disables_with_the_url(fakes, make):
    email = "gil@example.com"
    url = "https://accounts.google.com/signin/continue?sarp=1&scc=1&plt=gil"
    fakes.ca.account(email, tier="free-tier", validation_url=url)
    gw = make({"gil": fakes.credential(email, with_project=False)})
    view = gw.wait_state("gil", "disabled")
    assert view.reason.startswith("forbidden: needs verification") and url in view.reason
    assert "gemgate accounts enable gil" in view.reason
    fakes.ca.account(email, validation_url=None)


def test_next_host_after_a_dead_one(fakes, make):
    _, model, secret = account(fakes, "antigravity")
    gw = make({"acct": secret}, endpoints=[f"http://127.0.0.1:{free_port()}", fakes.ca_url])
    r = chat(gw, {"model": model, "messages": [{"role": "user", "content": "hi"}]})
    assert r.status == 200, r.text


@pytest.mark.parametrize("broken", ["code-assist", "api-key"])
def test_cross_kind_failover_before_the_first_byte(fakes, make, broken):
    email, _, secret = account(fakes, "gemini-cli")
    api_key = "fake-key-revoked" if broken == "api-key" else "fake-key-alpha"
    if broken == "code-assist":
        fakes.ca.fail(email, "MODEL_CAPACITY_EXHAUSTED", times=None)
    try:
        gw = make({"ca": secret}, api_keys=[api_key])
        for _ in range(3):  # round robin: the broken account is first at least once
            r = chat(gw, {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "hi"}], "stream": True})
            assert r.status == 200 and "echo: " in r.text and "[DONE]" in r.text, r.text
    finally:
        fakes.ca.account(email).failures.clear()
    served = "api" if broken == "code-assist" else "ca"
    assert (fakes.api.requests if served == "api" else fakes.ca.requests_for("streamGenerateContent", email))


@pytest.mark.parametrize("reason,moves", [("MODEL_CAPACITY_EXHAUSTED", True), ("RATE_LIMIT_EXCEEDED", True),
                                          ("INVALID_ARGUMENT", False)])
def test_daily_then_prod(fakes, make, reason, moves):
    """Antigravity's hosts in order (reference §2.1): capacity and rate limits move on to the next host
    (quota is metered per deployment), a request error does not."""
    email, model, secret = account(fakes, "antigravity")
    prod = FakeCodeAssist(fakes.oauth, accounts=fakes.ca.accounts, signer=fakes.ca.signer)
    with prod.running() as prod_url:
        gw = make({"acct": secret}, endpoints=[fakes.ca_url, prod_url])
        fakes.ca.fail(email, reason, delay=42, this_host=True)
        r = chat(gw, {"model": model, "messages": [{"role": "user", "content": "hi"}]})
        assert (r.status == 200) == moves, r.text
        assert len(prod.requests_for("streamGenerateContent", email)) == (1 if moves else 0)
    fakes.ca.failures.clear()


def test_the_accounts_proxy_carries_refresh_discovery_and_generation(fakes, make):
    from tests.support.code_assist import RecordingProxy

    email = "hal@example.com"
    fakes.ca.account(email, tier="g1-pro-tier")
    proxy = RecordingProxy()
    with proxy.running() as proxy_url:
        gw = make({"hal": fakes.credential(email, fresh=False, with_project=False)}, proxies={"hal": proxy_url})
        r = chat(gw, {"model": "gemini-3-flash", "messages": [{"role": "user", "content": "hi"}]})
    assert r.status == 200, r.text
    paths = [u.split("/", 3)[-1] for u in proxy.seen]
    assert "token" in paths and "v1internal:loadCodeAssist" in paths
    assert "v1internal:streamGenerateContent?alt=sse" in paths


@pytest.mark.parametrize("setting", ["account", "profile", "off"])
def test_ai_credits_once_the_free_quota_is_exhausted(fakes, make, setting):
    """reference/antigravity.md §7.3: `enabledCreditTypes: ["GOOGLE_ONE_AI"]` only after QUOTA_EXHAUSTED, then
    straight to credits until the reset; an empty balance ends it with the quota's own 429."""
    email = f"cred-{setting}@example.com"
    fakes.ca.account(email, tier="g1-pro-tier", credits=2, quota={"gemini-3-flash": 0.0})
    secret = fakes.credential(email)
    if setting == "account":
        secret["credits"] = True
    upstreams = {"code_assist": {"profiles": {"antigravity": {"endpoints": [fakes.ca_url], "credits": True}}}} \
        if setting == "profile" else {}
    gw = make({"acct": secret}, upstreams=upstreams)
    fakes.ca.reset()
    hi = {"model": "gemini-3-flash", "messages": [{"role": "user", "content": "hi"}]}
    first = chat(gw, hi)
    sent = fakes.ca.requests_for("streamGenerateContent", email)
    if setting == "off":
        assert first.status == 429, first.text  # the quota reading at discovery already cools it
        assert not any("enabledCreditTypes" in r.body for r in sent)
        return
    # Paying with credits, the empty model is no reason to cool the account (credits.past_free_quota).
    assert first.status == 200, first.text
    assert ["enabledCreditTypes" in r.body for r in sent] == [False, True]
    assert sent[1].body["enabledCreditTypes"] == ["GOOGLE_ONE_AI"] and [r.status for r in sent] == [429, 200]
    assert chat(gw, hi).status == 200  # straight to credits: one request
    assert len(fakes.ca.requests_for("streamGenerateContent", email)) == 3
    assert fakes.ca.account(email).credits == 0
    empty = chat(gw, hi)
    assert empty.status == 429, empty.text
    assert "exhausted" in empty.text
    view = gw.wait_state("acct", "cooling")
    assert view.cooldowns[0].scope == "gemini-3-flash"
