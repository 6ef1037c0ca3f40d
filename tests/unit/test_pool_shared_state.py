"""Two gateway instances sharing one store: what one learns about an account (a cooldown, a not-found, a
needs-reauth mark, a quota reading, a lifted cooldown) reaches the other within one sync round, without an
account version change (before, only a restart or `accounts …` command carried it)."""

from __future__ import annotations

import time

import pytest

from gemgate.catalog import ModelSpec
from gemgate.errors import Failure, GatewayError, Scope, UpstreamError
from gemgate.pool import Pool
from gemgate.store import AccountRecord, QuotaReading, QuotaSnapshot
from gemgate.store.crypto import SecretBox, load_master_key
from gemgate.store.sqlite import SQLiteStore

SPEC = ModelSpec("gemini-2.5-flash", "gemini-2.5-flash", None, None)


@pytest.fixture
async def pools(tmp_path):
    box = SecretBox(load_master_key("shared-test", tmp_path / "k"))
    stores = [SQLiteStore(tmp_path / "s.db", box), SQLiteStore(tmp_path / "s.db", box)]
    for store in stores:
        await store.open()
    await stores[0].add_account(AccountRecord(id="a0", name="a0", kind="gemini-api", secret={"api_key": "k"}))
    made = []
    for store in stores:
        pool = Pool(store=store, quota_kinds=frozenset({"gemini-api"}))
        await pool.load()
        await store.changed()  # the state at start is known
        made.append(pool)
    yield made
    for store in stores:
        await store.close()


async def _round(pool: Pool) -> None:
    """What the gateway's sync loop does on one poll."""
    await pool.sync(await pool.store.changed())


def _limited() -> UpstreamError:
    return UpstreamError(Failure.RATE_LIMITED, "slow down", status=429, retry_after=600, scope=Scope.MODEL)


async def test_a_cooldown_reaches_the_other_instance_and_its_lifting_too(pools):
    one, two = pools
    one.acquire(SPEC).failure(_limited())
    await _round(one)
    await _round(two)
    with pytest.raises(GatewayError) as exc:
        two.acquire(SPEC)
    assert exc.value.status == 429
    one.lift(one.accounts["a0"], SPEC.model)
    await _round(one)
    await _round(two)
    assert two.acquire(SPEC).account.id == "a0"


async def test_needs_reauth_and_not_found_reach_the_other_instance(pools):
    one, two = pools
    one.mark_missing(one.accounts["a0"], "gemini-9", "no such model")
    one.needs_reauth(one.accounts["a0"], "sign in again")
    await _round(one)
    await _round(two)
    acc = two.accounts["a0"]
    assert acc.reauth == "sign in again" and "gemini-9" in acc.missing


async def test_a_quota_reading_and_its_exhaustion_reach_the_other_instance(pools):
    one, two = pools
    reset = time.time() + 3600
    snapshot = QuotaSnapshot(time.time(), {SPEC.model: QuotaReading(0.0, reset)})
    one.apply_quota(one.accounts["a0"], snapshot)
    await _round(one)
    await _round(two)
    assert two.accounts["a0"].remaining(SPEC.model) == 0.0
    with pytest.raises(GatewayError):
        two.acquire(SPEC)


async def test_an_instance_keeps_a_longer_cooldown_of_its_own(pools):
    one, two = pools
    two.cool(two.accounts["a0"], SPEC.model, 900, "mine")
    await _round(two)
    one.cool(one.accounts["a0"], SPEC.model, 60, "shorter")
    await _round(one)
    await _round(two)
    assert two.accounts["a0"].cooldowns[SPEC.model].until > time.time() + 800


async def test_nothing_is_read_back_when_nobody_else_wrote(pools, monkeypatch):
    one, _ = pools
    await _round(one)

    async def forbidden():
        raise AssertionError("health read without a change elsewhere")

    monkeypatch.setattr(one.store, "list_health", forbidden)
    await _round(one)
