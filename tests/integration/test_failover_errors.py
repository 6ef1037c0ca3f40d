"""When failover runs out, the client gets what the upstream said, in its own API's format — on the first
request and on the ones after it — and never the pool's own "cooling" error unless every account really
is rate-limited. Every failure kind x one or two accounts x first and repeat request x both dialects,
streamed and not."""

from __future__ import annotations

import pytest

from ..support.forms import FORMS, MODEL, check_error, send
from ..support.gateway import API_KEYS
from ..support.http import post

# FAIL <status> on the fake -> (status on the first request, status of a plain request after it)
KINDS = {
    "404": (404, 404),  # a fact about (account, model): later requests are told too, without asking again
    "429": (429, 429),  # every account really is rate-limited now
    "500": (500, 200),  # passing faults leave no trace; Google's status is passed on
    "503": (503, 200),
    "400": (400, 200),
    # Status-only refusals (no reason): every account refused alike, so nothing is held against any of them
    # (before the cause split, 403 disabled both accounts and 401 sent both to re-auth). The 403 is passed on
    # as the upstream said it; a 401 never is (the client's own key is fine), it stays 502.
    "403": (403, 200),
    "401": (502, 200),
}
CLIENT_ERRORS = {"400"}  # the request's own: no other account is asked


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("accounts", [1, 2])
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_failover_reports_the_upstreams_answer(make_gateway, fake_api, kind, accounts, form):
    server = make_gateway(api_keys=API_KEYS[:accounts], default_cooldown_seconds=30)
    first_status, later_status = KINDS[kind]
    before = len(fake_api.requests)
    first = check_error(send(server, form, f"FAIL {kind}\nrequest {kind}-{accounts}-{form}"), form, first_status)
    tried = len(fake_api.requests) - before
    assert tried == (accounts if kind not in CLIENT_ERRORS else 1)  # every account is asked, except after a client error
    if first_status == 429 and form.startswith("openai"):
        assert "Upstream rate limit" in first["message"]  # the upstream's own answer, not the pool's
    elif first_status == 429:  # Google's own error: its message, status and details (RetryInfo, QuotaFailure)
        assert first["status"] == "RESOURCE_EXHAUSTED" and "Upstream" not in first["message"]
        assert any(d["@type"].endswith("RetryInfo") for d in first["details"]), first
    if first_status == 404:
        assert "not found" in first["message"].lower()
        assert form.startswith("gemini") or first["code"] == "model_not_found"

    before = len(fake_api.requests)
    later = send(server, form, f"a plain question after {kind}")
    if later_status == 200:
        assert later.status == 200, later.text
        return
    check_error(later, form, later_status)
    assert len(fake_api.requests) == before  # known from the first request: the upstream is not asked again
    if later_status == 429:
        assert int(later.headers["retry-after"]) >= 1


def test_not_found_on_one_account_still_tries_the_others(make_gateway, fake_api):
    server = make_gateway(api_keys=API_KEYS[:2])
    reply = send(server, "openai", "FAIL-ONCE 404\nonly the first account lacks it")
    assert reply.status == 200, reply.text  # the second account served it
    missing = [a for a in server.gateway.pool.accounts.values() if a.missing]
    assert len(missing) == 1 and MODEL in missing[0].missing


def test_a_rate_limit_beats_another_accounts_fault(make_gateway):
    from gemgate.errors import Failure, UpstreamError
    from gemgate.failover import most_informative

    failures = [
        UpstreamError(Failure.TRANSIENT, "boom"),
        UpstreamError(Failure.RATE_LIMITED, "slow down", retry_after=3),
        UpstreamError(Failure.NOT_FOUND, "no such model"),
    ]
    assert most_informative(failures).failure is Failure.RATE_LIMITED
    assert most_informative(failures[::2]).failure is Failure.NOT_FOUND
    assert most_informative([failures[0], UpstreamError(Failure.TRANSIENT, "later")]).message == "later"


def test_a_model_that_cannot_generate_still_embeds(make_gateway):
    """Google's 404 for generateContent on an embedding model must not hide the model from embeddings."""
    server = make_gateway(api_keys=API_KEYS[:1])
    chat = post(f"{server.url}/v1/chat/completions", {"model": "gemini-embedding-001", "messages": [{"role": "user", "content": "hi"}]}, key=server.key)
    assert chat.status == 404, chat.text
    embed = post(f"{server.url}/v1/embeddings", {"model": "gemini-embedding-001", "input": "hi"}, key=server.key)
    assert embed.status == 200, embed.text
