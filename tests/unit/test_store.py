"""The store contract. Every implementation (SQLite now, Redis later) must pass these same tests."""

from __future__ import annotations

import asyncio
import time

import pytest

from gemgate.store import AccountRecord, ClientKeyRecord, HealthRecord
from gemgate.store.crypto import SecretBox, load_master_key
from gemgate.store.sqlite import SQLiteStore


@pytest.fixture(params=["sqlite"])
async def store(request, tmp_path):
    box = SecretBox(load_master_key("contract-test", tmp_path / "unused.key"))
    impl = SQLiteStore(tmp_path / "s.db", box)
    await impl.open()
    yield impl
    await impl.close()


def account(name="a", **kw) -> AccountRecord:
    return AccountRecord(id=f"id-{name}", name=name, kind="gemini-api", secret={"api_key": f"AIza-{name}"}, **kw)


async def test_accounts_round_trip(store):
    await store.add_account(account("a", proxy="http://p:1"))
    await store.add_account(account("b"))
    got = await store.list_accounts()
    assert [a.name for a in got] == ["a", "b"]
    assert got[0].secret == {"api_key": "AIza-a"} and got[0].proxy == "http://p:1" and got[0].enabled
    assert (await store.find_account("id-b")).name == "b"
    assert (await store.find_account("b")).id == "id-b"
    assert await store.find_account("zzz") is None


async def test_versions_move_on_every_visible_change(store):
    await store.add_account(account("a"))
    v0 = (await store.account_versions())["id-a"]
    await store.set_account_enabled("id-a", False, "bad key")
    v1 = (await store.account_versions())["id-a"]
    a = await store.find_account("a")
    assert v1 > v0 and not a.enabled and a.disabled_reason == "bad key"
    await store.update_account_secret("id-a", {"api_key": "new"})
    assert (await store.account_versions())["id-a"] > v1
    assert (await store.find_account("a")).secret == {"api_key": "new"}
    await store.set_account_enabled("id-a", True)
    assert (await store.find_account("a")).disabled_reason is None


async def test_models_and_stats(store):
    await store.add_account(account("a"))
    await store.set_account_models("id-a", ["gemini-2.5-flash"])
    assert (await store.find_account("a")).models == ["gemini-2.5-flash"]
    await store.add_stats("id-a", 3, 1, "rate_limited: x", 100.0)
    await store.add_stats("id-a", 2, 0, None, 200.0)
    st = (await store.get_stats())["id-a"]
    assert (st.requests, st.errors, st.last_error, st.last_used) == (5, 1, "rate_limited: x", 200.0)


async def test_remove_takes_health_along(store):
    await store.add_account(account("a"))
    await store.put_health(HealthRecord("id-a", "m", "cooling", time.time() + 60, "429"))
    assert await store.remove_account("id-a")
    assert not await store.remove_account("id-a")
    assert await store.list_health() == []


async def test_health_expires_and_clears(store):
    now = time.time()
    await store.put_health(HealthRecord("x", "m1", "cooling", now + 60, "a"))
    await store.put_health(HealthRecord("x", "m2", "cooling", now - 1, "expired"))
    await store.put_health(HealthRecord("x", "m1", "cooling", now + 90, "replaced"))
    health = await store.list_health()
    assert [(h.model, h.reason) for h in health] == [("m1", "replaced")]
    await store.clear_health("x", "m1")
    assert await store.list_health() == []


async def test_client_keys(store):
    await store.add_client_key(ClientKeyRecord("k1", "laptop", "h1", "gg-abc"))
    await store.add_client_key(ClientKeyRecord("k2", "ci", "h2", "gg-def"))
    assert [k.name for k in await store.list_client_keys()] == ["laptop", "ci"]
    assert await store.revoke_client_key("laptop")
    assert not await store.revoke_client_key("laptop")
    assert [k.name for k in await store.list_client_keys()] == ["ci"]
    assert len(await store.list_client_keys(include_revoked=True)) == 2


async def test_meta(store):
    assert await store.get_meta("x") is None
    await store.set_meta("x", "1")
    await store.set_meta("x", "2")
    assert await store.get_meta("x") == "2"


async def test_secret_update_is_versioned(store):
    await store.add_account(account("a"))
    before = (await store.account_versions())["id-a"]
    version = await store.update_account_secret("id-a", {"api_key": "AIza-new"})
    assert version == before + 1 == (await store.account_versions())["id-a"]
    assert (await store.find_account("a")).secret == {"api_key": "AIza-new"}
    with pytest.raises(KeyError):
        await store.update_account_secret("id-missing", {"api_key": "x"})


async def test_concurrent_writes_each_commit_whole(store):
    # Credential refreshes of several accounts finish together (the sandbox at start): each secret update, health
    # and stats write must land, none failing with "cannot commit transaction - SQL statements in progress".
    names = [f"n{i}" for i in range(8)]
    for name in names:
        await store.add_account(account(name))
    ops = []
    for n in names:  # with the reads the gateway's loops make meanwhile
        ops += [store.update_account_secret(f"id-{n}", {"api_key": f"AIza-{n}-2"}), store.list_accounts(),
                store.account_versions(), store.put_health(HealthRecord(f"id-{n}", "m", "cooling", time.time() + 60, "r")),
                store.set_account_models(f"id-{n}", ["m"]), store.put_values("ns", {n: "v"}, 60), store.changed()]
    await asyncio.gather(*ops)
    assert {a.name: a.secret["api_key"] for a in await store.list_accounts()} == {n: f"AIza-{n}-2" for n in names}


async def test_values_with_time_to_live(store):
    await store.put_values("sig", {"call_1": "S1", "call_2": "S2"}, ttl=60)
    await store.put_values("other", {"call_1": "O1"}, ttl=60)
    assert await store.get_values("sig", ["call_1", "call_2", "call_3"]) == {"call_1": "S1", "call_2": "S2"}
    assert await store.get_values("other", ["call_1"]) == {"call_1": "O1"}
    assert await store.get_values("sig", []) == {}
    await store.put_values("sig", {"call_1": "S1b"}, ttl=60)  # replaced, not duplicated
    assert await store.get_values("sig", ["call_1"]) == {"call_1": "S1b"}
    await store.put_values("sig", {"gone": "G"}, ttl=-1)  # already expired
    assert await store.get_values("sig", ["gone"]) == {}
    assert await store.purge_expired() == 1
    assert await store.get_values("sig", ["call_2"]) == {"call_2": "S2"}
    assert await store.delete_values("sig", ["call_2", "missing"]) == 1
    assert await store.get_values("sig", ["call_2"]) == {}
    assert await store.get_values("other", ["call_1"]) == {"call_1": "O1"}  # other namespaces untouched
    assert await store.delete_values("sig", []) == 0


async def test_changed_signals_commits_made_elsewhere(store, tmp_path):
    """`changed()` is how a running gateway learns at once of CLI changes (issue 6 §9)."""
    other = SQLiteStore(store.path, SecretBox(load_master_key("contract-test", tmp_path / "unused.key")))
    await other.open()
    try:
        assert await store.changed() is False, "nothing happened since open"
        await other.add_client_key(ClientKeyRecord(id="k1", name="cli", key_hash="h1", prefix="gg-1"))
        assert await store.changed() is True
        assert await store.changed() is False, "each change is reported once"
        await store.add_account(account("own"))
        assert await store.changed() is False, "the store's own writes are not someone else's change"
        await other.set_account_enabled("id-own", False, "by hand")
        await other.revoke_client_key("k1")
        assert await store.changed() is True and await store.changed() is False
        await other.list_accounts()
        assert await store.changed() is False, "reads change nothing"
    finally:
        await other.close()


async def test_swap_value_is_a_compare_and_swap(store, tmp_path):
    assert await store.swap_value("mark", "acc", None, "100", ttl=60)  # absent: stored
    assert not await store.swap_value("mark", "acc", None, "101", ttl=60)  # present: another won
    assert not await store.swap_value("mark", "acc", "99", "101", ttl=60)  # not the expected value
    assert await store.swap_value("mark", "acc", "100", "160", ttl=60)
    assert await store.get_values("mark", ["acc"]) == {"acc": "160"}
    await store.put_values("mark", {"old": "1"}, ttl=-1)  # expired: as absent
    assert not await store.swap_value("mark", "old", "1", "2", ttl=60)
    assert await store.swap_value("mark", "old", None, "2", ttl=60)
    # Two processes sharing the file race for the same mark: exactly one wins.
    box = SecretBox(load_master_key("contract-test", tmp_path / "unused.key"))
    others = [SQLiteStore(store.path, box) for _ in range(3)]
    for other in others:
        await other.open()
    try:
        won = await asyncio.gather(*(s.swap_value("mark", "race", None, str(i), ttl=60) for i, s in enumerate(others)))
        assert sorted(won) == [False, False, True]
    finally:
        for other in others:
            await other.close()
