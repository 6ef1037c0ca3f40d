"""The credential lifecycle: fresh before use, one refresh per account however many wait, stored first."""

from __future__ import annotations

import asyncio

import pytest

from gemgate.store import AccountRecord
from gemgate.upstreams.base import NeedsReauth, Upstream, UpstreamSettings
from gemgate.upstreams.credentials import CredentialKeeper


class Expiring(Upstream):
    """A kind whose token expires at `secret["expiry"]` (epoch seconds) and refreshes to a new one."""

    kind = "test-expiring"

    def __init__(self, fail: Exception | None = None) -> None:
        super().__init__(UpstreamSettings())
        self.refreshes = 0
        self.fail = fail

    def credential_fresh(self, account, now):
        return account.secret["expiry"] > now

    async def refresh_credential(self, account):
        self.refreshes += 1
        await asyncio.sleep(0.05)
        if self.fail is not None:
            raise self.fail
        return {"token": f"t{self.refreshes}", "expiry": 4e9}

    def stream(self, account, model, request):  # not used here
        raise NotImplementedError


@pytest.fixture
def store(sqlite_store):
    return sqlite_store


async def add(store, secret) -> AccountRecord:
    record = AccountRecord(id="acc1", name="one", kind="test-expiring", secret=secret)
    await store.add_account(record)
    return record


async def test_one_refresh_for_many_waiters_and_stored_before_use(store):
    record = await add(store, {"token": "old", "expiry": 0})
    upstream, keeper = Expiring(), CredentialKeeper(store)
    results = await asyncio.gather(*(keeper.fresh(upstream, record) for _ in range(10)))
    assert upstream.refreshes == 1
    assert all(r.secret == {"token": "t1", "expiry": 4e9} for r in results)
    stored = await store.find_account("acc1")
    assert stored.secret == record.secret and stored.version == record.version == 1


async def test_fresh_credentials_are_used_as_they_are(store):
    record = await add(store, {"token": "ok", "expiry": 4e9})
    upstream = Expiring()
    await CredentialKeeper(store).fresh(upstream, record)
    assert upstream.refreshes == 0 and record.secret["token"] == "ok"


async def test_a_rejected_credential_is_refreshed_before_its_next_use(store):
    record = await add(store, {"token": "ok", "expiry": 4e9})
    upstream, keeper = Expiring(), CredentialKeeper(store)
    keeper.mark_stale(record.id)
    await keeper.fresh(upstream, record)
    await keeper.fresh(upstream, record)
    assert upstream.refreshes == 1 and record.secret["token"] == "t1"


async def test_needs_reauth_reaches_every_waiter_and_keeps_the_old_credential(store):
    record = await add(store, {"token": "old", "expiry": 0})
    upstream, keeper = Expiring(fail=NeedsReauth("log in again with `gemgate login`")), CredentialKeeper(store)
    results = await asyncio.gather(*(keeper.fresh(upstream, record) for _ in range(3)), return_exceptions=True)
    assert upstream.refreshes == 1
    assert all(isinstance(r, NeedsReauth) and "gemgate login" in r.reason for r in results)
    assert (await store.find_account("acc1")).secret == {"token": "old", "expiry": 0}


async def test_api_keys_cannot_be_refreshed(store):
    from gemgate.upstreams.gemini_api import GeminiAPI, GeminiAPISettings

    record = await add(store, {"api_key": "AIza-x"})
    keeper = CredentialKeeper(store)
    keeper.mark_stale(record.id)
    with pytest.raises(NeedsReauth) as exc:
        await keeper.fresh(GeminiAPI(GeminiAPISettings()), record)
    assert "cannot be refreshed" in exc.value.reason and "AIza" not in exc.value.reason
