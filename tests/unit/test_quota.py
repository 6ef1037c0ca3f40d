"""Quota readings: parsed from the Code Assist quota RPCs, turned into cooldowns by the pool, re-checked when a
quota cooldown ends, escalated to the account, preferred when fuller; stored and migrated by the store."""

from __future__ import annotations

import time

import aiosqlite
import pytest
from cryptography.fernet import Fernet

from gemgate.catalog import ModelSpec
from gemgate.errors import Failure, GatewayError, UpstreamError
from gemgate.pool import ACCOUNT_WIDE, Account, Pool
from gemgate.store import AccountRecord, QuotaReading, QuotaSnapshot
from gemgate.store.crypto import SecretBox
from gemgate.store.sqlite import SQLiteStore
from gemgate.upstreams.code_assist import models

FLASH, PRO = "gemini-3-flash", "gemini-3.1-pro-low"


def test_fetch_available_models_quota_info_missing_fraction_with_a_reset_is_exhausted():
    answer = {"models": {
        FLASH: {"quotaInfo": {"remainingFraction": 0.25, "resetTime": "2030-01-01T00:00:00Z"}},
        PRO: {"quotaInfo": {"resetTime": "2030-01-01T05:00:00Z"}},
        "claude-sonnet-4-6": {"quotaInfo": {}},
        "chat_20706": {"isInternal": True, "quotaInfo": {"remainingFraction": 1}},
    }}
    snap = models.quota_from_available_models(answer, now=5.0)
    assert snap.checked_at == 5.0
    assert snap.models[FLASH] == QuotaReading(0.25, 1893456000.0)
    assert snap.models[PRO] == QuotaReading(0.0, 1893474000.0)
    assert snap.models["claude-sonnet-4-6"] == QuotaReading(None, None)
    assert "chat_20706" not in snap.models
    assert snap.lowest() == (PRO, snap.models[PRO])
    # One account's quota is not part of the resources clients list.
    assert all("quotaInfo" not in r for r in models.from_available_models(answer))


def test_retrieve_user_quota_takes_the_emptiest_bucket_of_a_model():
    answer = {"buckets": [
        {"modelId": "gemini-2.5-pro", "tokenType": "REQUESTS", "remainingFraction": 0.8,
         "resetTime": "2030-01-01T00:00:00Z"},
        {"modelId": "gemini-2.5-pro", "tokenType": "INPUT_TOKENS", "remainingFraction": 0.3,
         "resetTime": "2030-01-02T00:00:00Z"},
        {"modelId": "gemini-2.5-flash"},
        {"modelId": "gemini-3-flash", "remainingFraction": 0, "resetTime": "2030-01-01T00:00:00Z"},
        {"modelId": "gemini-3-flash", "remainingFraction": 0.5, "resetTime": "2030-01-02T00:00:00Z"},
    ]}
    snap = models.quota_from_user_quota(answer)
    assert snap.models == {"gemini-2.5-pro": QuotaReading(0.3, 1893542400.0), FLASH: QuotaReading(0.0, 1893456000.0)}


class _Store:
    """The writes the pool makes, recorded."""

    def __init__(self) -> None:
        self.writes: list[tuple] = []

    async def put_health(self, record) -> None:
        self.writes.append(("put", record.model, record.state, record.reason))

    async def clear_health(self, account_id, model=None) -> None:
        self.writes.append(("clear", model))

    async def set_account_quota(self, account_id, quota) -> None:
        self.writes.append(("quota", account_id))

    async def add_stats(self, *args) -> None:
        pass


def _pool(*names: str, **kw) -> Pool:
    pool = Pool(_Store(), quota_kinds=frozenset({"code-assist"}), **kw)
    pool.set_accounts([Account(AccountRecord(id=n, name=n, kind="code-assist", secret={})) for n in names])
    return pool


def _spec(model: str = FLASH) -> ModelSpec:
    return ModelSpec(model, model, None, None)


def _snap(**fractions) -> QuotaSnapshot:
    reset = time.time() + 3600
    return QuotaSnapshot(time.time(), {m.replace("_", "-"): QuotaReading(f, reset) for m, f in fractions.items()})


def _quota_429(model: str, delay: float = 600.0) -> UpstreamError:
    return UpstreamError(Failure.QUOTA_EXHAUSTED, f"quota of {model} gone", status=429, retry_after=delay)


async def test_a_reading_of_zero_cools_the_model_until_its_reset_and_a_refill_lifts_it():
    pool = _pool("a")
    acc = pool.accounts["a"]
    readings = {FLASH: QuotaReading(0.0, time.time() + 7200), PRO: QuotaReading(0.5, None)}
    pool.apply_quota(acc, QuotaSnapshot(time.time(), readings))
    cd = acc.cooldowns[FLASH]
    assert cd.reason.startswith("quota exhausted until ") and 7100 < cd.until - time.time() <= 7200
    assert PRO not in acc.cooldowns and acc.remaining(PRO) == 0.5
    with pytest.raises(GatewayError) as exc:
        pool.acquire(_spec())
    assert exc.value.status == 429
    pool.apply_quota(acc, _snap(gemini_3_flash=0.4))
    assert FLASH not in acc.cooldowns and pool.acquire(_spec()).account is acc
    await pool.flush()
    assert ("put", FLASH, "quota", cd.reason) in pool.store.writes and ("clear", FLASH) in pool.store.writes


async def test_a_reading_caps_a_far_reset_and_never_lifts_what_a_429_booked():
    pool = _pool("a", quota_recheck=60.0)
    acc = pool.accounts["a"]
    pool.apply_quota(acc, QuotaSnapshot(time.time(), {FLASH: QuotaReading(0.0, time.time() + 5 * 86400)}))
    assert acc.cooldowns[FLASH].until - time.time() <= 60
    pool.record_failure(acc, PRO, _quota_429(PRO))
    pool.apply_quota(acc, _snap(gemini_3_1_pro_low=1.0))
    assert PRO in acc.cooldowns  # Google's own 429 beats a reading that may lag
    await pool.flush()


async def test_a_quota_cooldown_that_ends_asks_for_a_recheck_an_ordinary_one_does_not():
    pool = _pool("a")
    acc = pool.accounts["a"]
    pool.cool(acc, FLASH, 0.0, "quota gone", quota="failure")
    pool.cool(acc, PRO, 0.0, "rate limited")
    lease = pool.acquire(_spec())
    assert lease.recheck and lease.usable()
    assert not pool.acquire(_spec(PRO)).recheck
    await pool.flush()


async def test_a_429_asks_for_a_new_reading_and_quota_429s_on_three_models_cool_the_account():
    pool = _pool("a")
    acc = pool.accounts["a"]
    stale: list[str] = []
    pool.on_quota_stale = lambda a: stale.append(a.id)
    for i, model in enumerate(["m1", "m2"]):
        pool.record_failure(acc, model, _quota_429(model, 600 + i))
    assert ACCOUNT_WIDE not in acc.cooldowns and stale == ["a", "a"]
    pool.record_failure(acc, "m3", _quota_429("m3", 900))
    cd = acc.cooldowns[ACCOUNT_WIDE]
    assert "quota exhausted on 3 models (m1, m2, m3)" in cd.reason and cd.quota == "escalation"
    assert 590 < cd.until - time.time() <= 600  # until the first of them ends, then re-checked
    await pool.flush()


async def test_escalation_counts_only_models_within_the_window():
    pool = _pool("a", escalate_window=0.2, escalate_models=2)
    acc = pool.accounts["a"]
    pool.record_failure(acc, "m1", _quota_429("m1"))
    time.sleep(0.3)
    pool.record_failure(acc, "m2", _quota_429("m2"))
    assert ACCOUNT_WIDE not in acc.cooldowns
    pool.record_failure(acc, "m3", _quota_429("m3"))
    assert ACCOUNT_WIDE in acc.cooldowns
    await pool.flush()


async def test_quota_of_kinds_that_report_none_is_an_ordinary_cooldown():
    pool = Pool(_Store())
    acc = Account(AccountRecord(id="k", name="k", kind="gemini-api", secret={}))
    pool.set_accounts([acc])
    pool.on_quota_stale = lambda a: pytest.fail("gemini-api reports no quota")
    pool.record_failure(acc, FLASH, _quota_429(FLASH, 0.0))
    assert acc.cooldowns[FLASH].quota is None and not pool.acquire(_spec()).recheck
    await pool.flush()


async def test_the_fuller_of_two_accounts_is_preferred_and_equal_ones_alternate():
    pool = _pool("a", "b")
    pool.apply_quota(pool.accounts["a"], _snap(gemini_3_flash=0.2))
    pool.apply_quota(pool.accounts["b"], _snap(gemini_3_flash=0.9))
    assert [pool.acquire(_spec()).account.id for _ in range(6)] == ["b"] * 6
    pool.apply_quota(pool.accounts["a"], _snap(gemini_3_flash=0.9))
    picked = [pool.acquire(_spec()).account.id for _ in range(6)]
    assert picked.count("a") == picked.count("b") == 3
    await pool.flush()


async def test_sqlite_adds_the_quota_column_to_an_older_database_and_keeps_readings(tmp_path):
    path = tmp_path / "old.db"
    async with aiosqlite.connect(path) as db:  # the accounts table as versions before quota readings made it
        await db.execute(
            "CREATE TABLE accounts (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, secret TEXT"
            " NOT NULL, proxy TEXT, enabled INTEGER NOT NULL DEFAULT 1, disabled_reason TEXT, models TEXT, created_at"
            " REAL NOT NULL, version INTEGER NOT NULL DEFAULT 0, requests INTEGER NOT NULL DEFAULT 0, errors INTEGER"
            " NOT NULL DEFAULT 0, last_error TEXT, last_used REAL)")
        await db.commit()
    store = SQLiteStore(path, SecretBox(Fernet.generate_key()))
    await store.open()
    try:
        await store.add_account(AccountRecord(id="x", name="x", kind="code-assist", secret={"a": 1}))
        snap = QuotaSnapshot(12.5, {FLASH: QuotaReading(0.5, 99.0), PRO: QuotaReading(None, None)})
        await store.set_account_quota("x", snap)
        (rec,) = await store.list_accounts()
        assert rec.quota == snap and rec.version == 0  # a reading is not a change other instances reload for
        await store.set_account_quota("x", None)
        assert (await store.find_account("x")).quota is None
    finally:
        await store.close()


# -- Code Assist's project refusals and plain 404s (upstreams/code_assist/errors.py) -------------------------

def _plain_404() -> UpstreamError:
    from gemgate.upstreams.code_assist.errors import classifier
    from gemgate.upstreams.code_assist.settings import CodeAssistSettings

    body = b'{"error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"}}'
    return classifier(CodeAssistSettings())(404, body)


def test_a_plain_404_is_about_the_model_unless_the_request_names_a_resource():
    from gemgate.errors import Cause
    from gemgate.upstreams.code_assist.errors import model_not_offered

    plain = {"contents": [{"role": "user", "parts": [{"text": "hi"}, {"fileData": {"fileUri": "https://x/a.png"}}]}]}
    err = model_not_offered(_plain_404(), FLASH, plain)
    assert err.failure is Failure.NOT_FOUND and err.cause is Cause.ACCOUNT and f"model '{FLASH}'" in err.message
    for names in ({"cachedContent": "cachedContents/abc", **plain},
                  {"contents": [{"role": "user", "parts": [{"fileData": {"fileUri": "files/abc"}}]}]}):
        assert model_not_offered(_plain_404(), FLASH, names).cause is Cause.UNCLEAR


def test_a_project_refusal_asks_for_discovery_and_then_says_what_to_do():
    from gemgate.errors import Cause, Scope
    from gemgate.upstreams.code_assist.errors import project_refused, still_refused

    refusal = UpstreamError(Failure.FORBIDDEN, "no licence", status=403, scope=Scope.ACCOUNT,
                            reason="SUBSCRIPTION_REQUIRED")
    renew = project_refused(refusal, "p-1")
    assert renew.failure is Failure.AUTH_EXPIRED and renew.cause is Cause.ACCOUNT and renew.books
    assert "p-1" in renew.message
    other = UpstreamError(Failure.FORBIDDEN, "banned", status=403, scope=Scope.ACCOUNT, reason="VALIDATION_REQUIRED")
    assert project_refused(other, "p-1") is other
    final = still_refused(refusal, "p-1")
    assert final.failure is Failure.FORBIDDEN and final.message.endswith("(it found the same one): no licence")
    failed = still_refused(refusal, UpstreamError(Failure.FORBIDDEN, "ineligible"))
    assert "(it failed: ineligible): no licence" in failed.message
