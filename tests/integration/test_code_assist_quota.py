"""Quota per account and model through the gateway against the fake Code Assist (issue 8): readings at
discovery, after a 429, periodically and when a quota cooldown ends; exhausted accounts skipped before they
fail; escalation to the account; project rediscovery on SUBSCRIPTION_REQUIRED / SERVICE_DISABLED; Code
Assist's plain 404 remembered per (account, model); `accounts list`, `accounts show`, `accounts reset` and
`/auth/status`."""

from __future__ import annotations

import asyncio
import time

import pytest
from typer.testing import CliRunner

from gemgate import quota
from gemgate.cli import app
from gemgate.store import open_store
from tests.support.code_assist import CodeAssistGateway, Gateways, running_fakes
from tests.support.gateway import chat
from tests.support.http import get

MODEL = "gemini-3-flash"


@pytest.fixture(scope="module")
def fakes():
    with running_fakes() as running:
        yield running


def _email(request, suffix: str = "") -> str:
    return f"q-{request.node.name[5:]}{suffix}@example.com".lower().replace("[", "-").replace("]", "")


def ask(gw, text: str = "hello", model: str = MODEL):
    return chat(gw, {"model": model, "messages": [{"role": "user", "content": text}]})


def calls(fakes, email: str, action: str) -> list:
    return fakes.ca.requests_for(action, email)


def wait_for(check, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            assert value, "condition not met in time"
            return value
        time.sleep(0.05)


def cli(gw, monkeypatch, *args: str) -> str:
    monkeypatch.setenv("GEMGATE_DATA_DIR", str(gw.settings.data_dir))
    monkeypatch.setenv("GEMGATE_MASTER_KEY", gw.settings.master_key)
    result = CliRunner(env={"COLUMNS": "400"}).invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def stored_secret(gw, name: str) -> dict:
    async def read():
        store = await open_store(gw.settings)
        try:
            return (await store.find_account(name)).secret
        finally:
            await store.close()

    return asyncio.run(read())


@pytest.fixture
def start(fakes, tmp_path):
    """start({name: email}, **settings) -> a running gateway with those Antigravity accounts."""
    gateways = Gateways(fakes, tmp_path)

    def go(accounts: dict[str, str], **settings) -> CodeAssistGateway:
        for email in accounts.values():
            fakes.ca.account(email, tier="g1-pro-tier")
        return gateways.start({name: fakes.credential(email) for name, email in accounts.items()}, **settings)

    yield go
    gateways.stop_all()


def test_quota_is_read_at_discovery_and_shown_by_the_cli_and_auth_status(fakes, start, request, monkeypatch):
    email = _email(request)
    fakes.ca.account(email).quota[MODEL] = 0.25
    gw = start({"acct": email})
    view = wait_for(lambda: gw.accounts()["acct"].quota and gw.accounts()["acct"])
    low = view.lowest_quota
    assert (low.model, low.fraction) == (MODEL, 0.25) and low.reset > time.time() + 4 * 3600
    listing = cli(gw, monkeypatch, "accounts", "list")
    assert "least quota left" in listing and "25% gemini-3-flash, resets" in listing
    breakdown = cli(gw, monkeypatch, "accounts", "list", "--quota")
    assert "gemini-3.1-pro-low" in breakdown and "100%" in breakdown
    shown = cli(gw, monkeypatch, "accounts", "show", "acct")
    assert "state: ok" in shown and "25%" in shown and "claude-sonnet-4-6" in shown
    status = get(f"{gw.url}/auth/status", key=gw.key).json()
    (entry,) = status["accounts"]
    assert entry["quota"][MODEL]["remainingFraction"] == 0.25 and entry["quota"][MODEL]["resetTime"].endswith("Z")


def test_the_gemini_cli_profile_reads_retrieve_user_quota(fakes, tmp_path, request):
    email = _email(request).replace("example.com", "corp.example")
    fakes.ca.account(email, tier="standard-tier", quota={"gemini-2.5-pro": 0.0, "gemini-3-flash-preview": 0.5})
    gateways = Gateways(fakes, tmp_path)
    try:
        gw = gateways.start({"acct": fakes.credential(email, "gemini-cli")})
        view = wait_for(lambda: gw.accounts()["acct"].quota and gw.accounts()["acct"])
        shown = [(q.model, q.fraction) for q in view.quota[:2]]
        assert shown == [("gemini-2.5-pro", 0.0), ("gemini-3-flash-preview", 0.5)]
        assert ask(gw, model="gemini-2.5-pro").status == 429  # skipped: the reading said 0
        assert [x.model for x in calls(fakes, email, "streamGenerateContent")] == []
        assert ask(gw, model="gemini-3-flash-preview").status == 200
        assert len(calls(fakes, email, "retrieveUserQuota")) == 1 and calls(fakes, email, "fetchAvailableModels") == []
    finally:
        gateways.stop_all()


def test_an_exhausted_account_is_skipped_before_it_fails_and_shown_cooling(fakes, start, request):
    empty, full = _email(request, "-empty"), _email(request, "-full")
    fakes.ca.account(empty, tier="g1-pro-tier").allow(MODEL, 0, reset_in=3600)
    gw = start({"empty": empty, "full": full})
    assert all(ask(gw).status == 200 for _ in range(4))
    assert calls(fakes, empty, "streamGenerateContent") == []
    view = gw.wait_state("empty", "cooling")
    (cd,) = view.cooldowns
    assert cd.model == MODEL and cd.state == "quota" and cd.reason.startswith("quota exhausted until ")
    assert 3500 < cd.until - time.time() <= 3600


def test_the_account_with_more_quota_left_is_preferred(fakes, start, request):
    low, high = _email(request, "-low"), _email(request, "-high")
    fakes.ca.account(low, tier="g1-pro-tier").quota[MODEL] = 0.2
    fakes.ca.account(high, tier="g1-pro-tier").quota[MODEL] = 0.9
    gw = start({"low": low, "high": high})
    assert all(ask(gw).status == 200 for _ in range(6))
    assert len(calls(fakes, high, "streamGenerateContent")) == 6 and calls(fakes, low, "streamGenerateContent") == []


def test_after_a_capped_quota_cooldown_the_quota_is_asked_before_the_account_is_used(fakes, start, request):
    email = _email(request)
    account = fakes.ca.account(email, tier="g1-pro-tier")
    account.allow(MODEL, 1)  # one generation left in a window that refills in 5 h
    gw = start({"acct": email}, quota_recheck_seconds=1.5)
    assert ask(gw).status == 200
    r = ask(gw)  # the reading still said 1 %: sent, and Google says QUOTA_EXHAUSTED
    assert r.status == 429 and "quota" in r.json()["error"]["message"].lower()
    (cd,) = gw.wait_state("acct", "cooling").cooldowns
    assert cd.until - time.time() <= 1.5  # the 5 h reset, capped
    time.sleep(1.7)
    reads, sent = len(calls(fakes, email, "fetchAvailableModels")), len(calls(fakes, email, "streamGenerateContent"))
    r = ask(gw)  # the cap ran out: asked first, still empty -> cools again, nothing sent
    assert r.status == 429 and r.json()["error"]["code"] == "all_accounts_cooling"
    assert len(calls(fakes, email, "fetchAvailableModels")) == reads + 1
    assert len(calls(fakes, email, "streamGenerateContent")) == sent
    assert gw.wait_state("acct", "cooling").reason.startswith("quota exhausted until ")
    account.quota_reset_at = time.time()  # Google refills the window
    time.sleep(1.7)
    assert ask(gw).status == 200
    actions = [x.action for x in fakes.ca.requests if x.account == email][-2:]
    assert actions == ["fetchAvailableModels", "streamGenerateContent"]


def test_a_429_gets_a_new_reading_and_quota_is_read_periodically(fakes, start, request, monkeypatch):
    monkeypatch.setattr(quota, "AFTER_429_GAP", 0.0)
    email = _email(request)
    fakes.ca.account(email, tier="g1-pro-tier").allow(MODEL, 1)
    gw = start({"acct": email})
    reads = len(calls(fakes, email, "fetchAvailableModels"))
    assert ask(gw).status == 200 and ask(gw).status == 429
    wait_for(lambda: len(calls(fakes, email, "fetchAvailableModels")) == reads + 1)
    low = wait_for(lambda: (q := gw.accounts()["acct"].lowest_quota) is not None and q.fraction == 0 and q)
    assert low.model == MODEL
    time.sleep(1.5)  # quota_refresh_seconds is 600 s: nothing more is asked meanwhile
    assert len(calls(fakes, email, "fetchAvailableModels")) == reads + 1
    other = _email(request, "-poll")
    polled = start({"acct": other}, quota_refresh_seconds=0.5)
    first = len(calls(fakes, other, "fetchAvailableModels"))
    wait_for(lambda: len(calls(fakes, other, "fetchAvailableModels")) >= first + 2)
    assert polled.accounts()["acct"].quota


def test_quota_429s_on_three_models_cool_the_whole_account(fakes, start, request):
    email = _email(request)
    models = ["gemini-3-flash", "gemini-3.1-pro-low", "gemini-3.1-flash-lite"]
    gw = start({"acct": email})
    for model in models:
        fakes.ca.fail(email, "QUOTA_EXHAUSTED", model=model, delay=600)
        assert ask(gw, model=model).status == 429
    view = wait_for(lambda: any(c.model == "*" for c in gw.accounts()["acct"].cooldowns) and gw.accounts()["acct"])
    (wide,) = [c for c in view.cooldowns if c.model == "*"]
    assert wide.state == "quota" and "quota exhausted on 3 models" in wide.reason
    assert 500 < wide.until - time.time() <= 600
    assert ask(gw, model="claude-sonnet-4-6").status == 429
    assert [x.model for x in calls(fakes, email, "streamGenerateContent")] == models


@pytest.mark.parametrize("reason", ["SERVICE_DISABLED", "SUBSCRIPTION_REQUIRED"])
def test_a_refused_project_is_discovered_again_once(fakes, start, request, reason):
    email = _email(request)
    gw = start({"acct": email})
    account = fakes.ca.account(email)
    old = account.project
    account.project = f"renewed-{reason.lower()[:8]}-x1y2z"  # Google moved the account to another project
    account.refused_projects = {old: reason}
    r = ask(gw)
    assert r.status == 200, r.text
    assert [x.status for x in calls(fakes, email, "streamGenerateContent")] == [403, 200]
    assert len(calls(fakes, email, "loadCodeAssist")) == 1
    wait_for(lambda: stored_secret(gw, "acct")["project_id"] == account.project)
    assert gw.accounts()["acct"].state == "ok"


def test_a_project_still_refused_after_discovery_disables_with_what_to_do(fakes, start, request):
    email = _email(request)
    gw = start({"acct": email})
    account = fakes.ca.account(email)
    account.refused_projects = {account.project: "SUBSCRIPTION_REQUIRED"}  # discovery finds the same one
    assert ask(gw).status == 502
    view = gw.wait_state("acct", "disabled")
    assert "no Code Assist licence" in view.reason and "--project ID" in view.reason
    assert "project still refused after discovering it again (it found the same one)" in view.reason
    assert len(calls(fakes, email, "streamGenerateContent")) == 1 and len(calls(fakes, email, "loadCodeAssist")) == 1


def test_a_plain_404_is_remembered_per_account_and_model(fakes, start, request):
    narrowed, whole = _email(request, "-narrow"), _email(request, "-whole")
    gw = start({"narrowed": narrowed, "whole": whole})
    fakes.ca.account(narrowed).models = ["gemini-3.1-pro-low"]  # no longer offered MODEL (discovery said it was)
    assert all(ask(gw).status == 200 for _ in range(4))
    refused = [x.status for x in calls(fakes, narrowed, "streamGenerateContent")]
    assert refused == [404]
    (cd,) = gw.wait_state("narrowed", "cooling").cooldowns
    assert cd.model == MODEL and cd.state == "not_found" and "does not offer model 'gemini-3-flash'" in cd.reason
    assert ask(gw, model="gemini-3.1-pro-low").status == 200 and ask(gw, model="gemini-3.1-pro-low").status == 200
    assert len(calls(fakes, narrowed, "streamGenerateContent")) == 2  # its other model is still served


def test_a_plain_404_on_the_only_account_is_the_clients_404(fakes, start, request):
    email = _email(request)
    gw = start({"acct": email})
    fakes.ca.account(email).models = ["gemini-3.1-pro-low"]
    r = ask(gw)
    assert r.status == 404 and r.json()["error"]["code"] == "model_not_found"
    assert ask(gw).status == 404 and len(calls(fakes, email, "streamGenerateContent")) == 1


def test_accounts_reset_clears_quota_exhaustion(fakes, start, request, monkeypatch):
    email = _email(request)
    account = fakes.ca.account(email, tier="g1-pro-tier")
    account.allow(MODEL, 0)
    gw = start({"acct": email})
    assert ask(gw).status == 429
    assert gw.wait_state("acct", "cooling").cooldowns[0].state == "quota"
    account.quota.clear()  # refilled early; the gateway's reading does not know
    assert "cleared 1 cooldown" in cli(gw, monkeypatch, "accounts", "reset", "acct")
    wait_for(lambda: ask(gw).status == 200)
    assert gw.accounts()["acct"].state == "ok"
