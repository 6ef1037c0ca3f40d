"""Each row of the Code Assist error taxonomy (reference/antigravity.md §8.3 "Suggested mapping", as
code_assist/errors.py maps it) through the gateway: the account's state and cooldown, and what the client sees."""

from __future__ import annotations

import time

import pytest
from typer.testing import CliRunner

from gemgate.cli import app
from tests.support.code_assist import CodeAssistGateway, running_fakes
from tests.support.gateway import chat

MODEL = "gemini-3-flash"


@pytest.fixture(scope="module")
def fakes():
    with running_fakes() as running:
        yield running


@pytest.fixture
def one(fakes, tmp_path, request):
    """A gateway with one Antigravity account of its own e-mail; yields (gateway, e-mail)."""
    email = f"{request.node.name[:40].replace('[', '-').replace(']', '')}@example.com".lower()
    fakes.ca.account(email, tier="g1-pro-tier")
    gw = CodeAssistGateway(tmp_path / "gw", fakes, {"acct": fakes.credential(email)}).start()
    yield gw, email
    gw.stop()


def ask(gw, text: str):
    return chat(gw, {"model": MODEL, "messages": [{"role": "user", "content": text}]})


def generations(fakes, email: str) -> int:
    return len(fakes.ca.requests_for("streamGenerateContent", email))


def test_short_rate_limit_waits_and_retries_the_same_account(fakes, one):
    gw, email = one
    r = ask(gw, "FAIL-ONCE 429 RATE_LIMIT_EXCEEDED 300ms")
    assert r.status == 200, r.text
    assert generations(fakes, email) == 2
    assert gw.accounts()["acct"].state == "ok"


def test_rate_limit_cools_the_model_for_the_delay(fakes, one):
    gw, email = one
    r = ask(gw, "FAIL 429 RATE_LIMIT_EXCEEDED 42s")
    assert r.status == 429 and 40 <= int(r.headers["Retry-After"]) <= 43
    view = gw.wait_state("acct", "cooling")
    (cd,) = view.cooldowns
    assert cd.model == MODEL and 35 < cd.until - time.time() <= 43


def test_weekly_rate_limit_counts_as_quota_capped(fakes, one):
    gw, _ = one
    r = ask(gw, "FAIL 429 RATE_LIMIT_EXCEEDED 166h")
    assert r.status == 429 and "quota" in r.json()["error"]["message"].lower()
    (cd,) = gw.wait_state("acct", "cooling").cooldowns
    assert cd.model == MODEL and 23 * 3600 < cd.until - time.time() <= 24 * 3600


def test_quota_exhausted_cools_until_the_reset(fakes, one):
    gw, _ = one
    r = ask(gw, "FAIL 429 QUOTA_EXHAUSTED 7s")
    assert r.status == 429
    (cd,) = gw.wait_state("acct", "cooling").cooldowns
    assert cd.model == MODEL and 3 < cd.until - time.time() <= 8


def test_model_capacity_never_penalises_the_account(fakes, one):
    gw, _ = one
    r = ask(gw, "FAIL 503 MODEL_CAPACITY_EXHAUSTED")
    assert r.status == 503
    time.sleep(0.5)  # longer than state_sync_seconds: anything booked would be written
    assert gw.accounts()["acct"].state == "ok" and ask(gw, "hello").status == 200


def test_validation_required_disables_with_the_url(fakes, one):
    gw, _ = one
    r = ask(gw, "FAIL 403 VALIDATION_REQUIRED")
    assert r.status == 502
    view = gw.wait_state("acct", "disabled")
    assert "needs verification" in view.reason and "https://accounts.google.com/signin/continue" in view.reason
    assert "gemgate accounts enable acct" in view.reason


def test_unsupported_client_on_a_call_says_to_use_antigravity(fakes, one):
    # A 403 UNSUPPORTED_CLIENT from a generation or quota call (an account added with --project skips the
    # discovery that would have said it) gets the same advice as discovery gives.
    gw, _ = one
    assert ask(gw, "FAIL 403 UNSUPPORTED_CLIENT").status == 502
    view = gw.wait_state("acct", "disabled")
    assert "gemgate login --profile antigravity" in view.reason and "no longer supported" in view.reason, view.reason


def test_tos_ban_disables_as_banned_and_is_not_retried(fakes, one):
    gw, email = one
    r = ask(gw, "FAIL 403 TOS")
    assert r.status == 502
    view = gw.wait_state("acct", "disabled")
    assert view.reason.startswith("forbidden: banned:")
    assert ask(gw, "hello").status == 503 and generations(fakes, email) == 1


def test_bad_request_goes_to_the_client_without_rotation(fakes, tmp_path):
    emails = ["r1@example.com", "r2@example.com"]
    for e in emails:
        fakes.ca.account(e, tier="g1-pro-tier")
    gw = CodeAssistGateway(tmp_path / "gw", fakes, {e: fakes.credential(e) for e in emails}).start()
    try:
        r = ask(gw, "FAIL 400 INVALID_ARGUMENT")
        assert r.status == 400 and r.json()["error"]["message"]
        assert sum(generations(fakes, e) for e in emails) == 1
        assert {v.state for v in gw.accounts().values()} == {"ok"}
    finally:
        gw.stop()


def test_401_refreshes_once_and_retries(fakes, one):
    gw, email = one
    fakes.oauth.expire_access_tokens(email)  # the stored expiry still says fresh
    before = sum(1 for r in fakes.oauth.requests if r.path == "/token")
    r = ask(gw, "hello")
    assert r.status == 200, r.text
    assert sum(1 for r in fakes.oauth.requests if r.path == "/token") == before + 1
    assert [x.status for x in fakes.ca.requests_for("streamGenerateContent", email)] == [401, 200]


def test_revoked_grant_needs_reauth_and_accounts_list_says_what_to_run(fakes, one, monkeypatch):
    gw, email = one
    fakes.oauth.revoke(email)
    fakes.oauth.expire_access_tokens(email)  # the stored one was issued without the grant: expire it too
    r = ask(gw, "hello")
    assert r.status in (502, 503)
    view = gw.wait_state("acct", "needs_reauth")
    assert "invalid_grant" in view.reason and "gemgate accounts add-oauth --profile antigravity" in view.reason
    assert "gemgate accounts remove acct" in view.reason and "<name>" not in view.reason, view.reason
    monkeypatch.setenv("GEMGATE_DATA_DIR", str(gw.settings.data_dir))
    monkeypatch.setenv("GEMGATE_MASTER_KEY", gw.settings.master_key)
    listing = CliRunner(env={"COLUMNS": "400"}).invoke(app, ["accounts", "list"]).output
    assert "needs_reauth" in listing and "add-oauth" in listing


def test_error_after_the_first_byte_ends_the_stream_and_books_the_account(fakes, one):
    gw, _ = one
    r = chat(gw, {"model": MODEL, "stream": True,
                  "messages": [{"role": "user", "content": "FAIL-AFTER 1 429 42"}]})
    assert r.status == 200 and "[DONE]" not in r.text
    events = [e for e in r.sse() if isinstance(e, dict) and "error" in e]
    assert events and "rate limit" in events[-1]["error"]["message"].lower()
    (cd,) = gw.wait_state("acct", "cooling").cooldowns
    assert cd.model == MODEL


@pytest.mark.parametrize("delay", ["99999999999999999999s", "9" * 400 + "s"])
def test_an_absurd_retry_hint_cools_no_longer_than_the_cap(fakes, one, monkeypatch, delay):
    """A 429 without a reason whose RetryInfo says 10^20 s (or overflows to infinity): the (account, model)
    cools at most quota_recheck_seconds, the client gets a 429 with a Retry-After within it, never a 500."""
    from gemgate.testing import code_assist_errors
    from gemgate.testing.gemini_errors import GoogleApiError

    monkeypatch.setattr(code_assist_errors, "resource_exhausted", lambda: GoogleApiError(
        429, "Resource has been exhausted (e.g. check quota).",
        [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay}]))
    gw, _ = one
    cap = gw.settings.quota_recheck_seconds
    for _ in range(2):  # the upstream's answer, then the pool's
        r = ask(gw, "FAIL 429 RESOURCE_EXHAUSTED")
        assert r.status == 429, r.text
        assert 1 <= int(r.headers.get("Retry-After", "1")) <= cap
    (cd,) = gw.wait_state("acct", "cooling").cooldowns
    assert cd.until - time.time() <= cap
