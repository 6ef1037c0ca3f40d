"""Thought signatures by tool-call id: kept in the store, so a restart or another instance still has them."""

from __future__ import annotations

import pytest

from gemgate.gemini.signatures import NAMESPACE, SKIP_SENTINEL, SignatureRef, SignatureStore, issuing_kinds
from gemgate.store.crypto import SecretBox, load_master_key
from gemgate.store.sqlite import SQLiteStore


@pytest.fixture
async def db(tmp_path):
    path = tmp_path / "s.db"
    box = SecretBox(load_master_key("sig-test", tmp_path / "unused.key"))
    stores = []

    async def open_one():
        store = SQLiteStore(path, box)
        await store.open()
        stores.append(store)
        return store

    yield open_one
    for store in stores:
        await store.close()


async def test_a_second_instance_reads_what_the_first_kept(db):
    first = SignatureStore(await db())
    await first.put("call_a", "SIG-A")
    second = SignatureStore(await db())  # another process on the same store, empty memory
    assert await second.get_many(["call_a", "call_b"]) == {"call_a": "SIG-A"}


async def test_the_issuing_kind_is_kept_with_the_signature_across_instances(db):
    serving = ["code-assist"]
    first = SignatureStore(await db()).scoped(lambda: serving[0])
    await first.put("call_ca", "SIG-CA")
    serving[0] = "gemini-api"  # failover changed the serving kind: read at each put
    await first.put("call_api", "SIG-API")
    store = await db()
    await store.put_values(NAMESPACE, {"call_old": "SIG-OLD"}, 60)  # kept before origins were recorded
    second = SignatureStore(store)
    refs = [SignatureRef({"functionCall": {}}, c, True) for c in ("call_ca", "call_api", "call_old", "call_none")]
    await second.fill(refs, sentinel=True)
    assert [(r.part["thoughtSignature"], r.origin) for r in refs] == [
        ("SIG-CA", "code-assist"), ("SIG-API", "gemini-api"), ("SIG-OLD", None), (SKIP_SENTINEL, None)]
    assert issuing_kinds(refs) == {"code-assist", "gemini-api"}
    assert await second.get_many(["call_ca"]) == {"call_ca": "SIG-CA"}


async def test_expired_signatures_are_gone(db):
    store = await db()
    await SignatureStore(store, ttl=-1).put("call_old", "SIG")
    assert await SignatureStore(store).get_many(["call_old"]) == {}


async def test_fill_known_unknown_and_sentinel():
    sigs = SignatureStore(None)
    await sigs.put("call_1", "S1")
    known, unknown, second = {"functionCall": {}}, {"functionCall": {}}, {"functionCall": {}}
    refs = [SignatureRef(known, "call_1", True), SignatureRef(unknown, "call_x", True), SignatureRef(second, "", False)]
    await sigs.fill(refs, sentinel=True)
    assert known["thoughtSignature"] == "S1"
    assert unknown["thoughtSignature"] == SKIP_SENTINEL  # first call of its turn, signature unknown
    assert "thoughtSignature" not in second  # Gemini checks only the first call of a turn


async def test_no_sentinel_for_models_that_do_not_need_it():
    part = {"functionCall": {}}
    await SignatureStore(None).fill([SignatureRef(part, "call_x", True)], sentinel=False)
    assert part == {"functionCall": {}}


async def test_memory_is_bounded():
    sigs = SignatureStore(None, capacity=2)
    for i in range(3):
        await sigs.put(f"c{i}", f"S{i}")
    assert await sigs.get_many(["c0", "c1", "c2"]) == {"c1": "S1", "c2": "S2"}


async def test_signatures_are_the_owners_own(db):
    """A client replaying another client's call id gets no signature of that conversation (found attacking
    issue 10: the store was keyed by call id alone)."""
    store = await db()
    await SignatureStore(store).scoped(lambda: None, "owner-a").put("call_1", "SIG-A")
    fresh = SignatureStore(store)  # another instance: read from the store
    assert await fresh.scoped(lambda: None, "owner-a").get_many(["call_1"]) == {"call_1": "SIG-A"}
    assert await fresh.scoped(lambda: None, "owner-b").get_many(["call_1"]) == {}
    assert await fresh.get_many(["call_1"]) == {}
    refs = [SignatureRef({"functionCall": {}}, "call_1", True)]
    await fresh.scoped(lambda: None, "owner-b").fill(refs, sentinel=True)
    assert refs[0].part["thoughtSignature"] == SKIP_SENTINEL
