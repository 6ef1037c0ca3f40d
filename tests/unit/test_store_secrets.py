"""Proxy URLs carry passwords: sealed at rest like credentials, sealed on open when an older version stored
them in plain text (one transaction, no plain copy left in the file), and masked in every view."""

from __future__ import annotations

import dataclasses
import json
import sqlite3

from gemgate import admin
from gemgate.store import AccountRecord
from gemgate.store.crypto import SecretBox, load_master_key
from gemgate.store.sqlite import SQLiteStore

PASSWORD = "hunter2-proxy-pass"
PROXY = f"http://me:{PASSWORD}@10.1.2.3:3128"


def _box(tmp_path) -> SecretBox:
    return SecretBox(load_master_key("proxy-test", tmp_path / "unused.key"))


def _raw(tmp_path) -> bytes:
    """Every byte of the database as it lies on disk: the file, its WAL and shared memory."""
    return b"".join(p.read_bytes() for p in sorted(tmp_path.glob("s.db*")))


async def test_a_proxy_password_is_never_on_disk(tmp_path):
    store = SQLiteStore(tmp_path / "s.db", _box(tmp_path))
    await store.open()
    await store.add_account(AccountRecord(id="a", name="a", kind="gemini-api", secret={"api_key": "k" * 12}, proxy=PROXY))
    assert (await store.find_account("a")).proxy == PROXY, "read back as it was given"
    assert PASSWORD.encode() not in _raw(tmp_path)
    await store.close()
    assert PASSWORD.encode() not in _raw(tmp_path)


def _old_database(path, rows) -> None:
    """A database as the version before sealed proxies wrote it: the same table, the proxy in plain text."""
    from gemgate.store.sqlite import _SCHEMA

    box = SecretBox(load_master_key("proxy-test", path.parent / "unused.key"))
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(_SCHEMA)
    for name, proxy in rows:
        db.execute(
            "INSERT INTO accounts (id, name, kind, secret, proxy, created_at) VALUES (?,?,?,?,?,?)",
            (name, name, "gemini-api", box.seal({"api_key": f"key-of-{name}"}), proxy, 1.0),
        )
    db.commit()
    db.close()


async def test_plain_proxies_of_an_older_version_are_sealed_on_open(tmp_path):
    _old_database(tmp_path / "s.db", [("a", PROXY), ("b", None), ("c", "socks5://10.0.0.1:1080")])
    assert PASSWORD.encode() in _raw(tmp_path), "the old layout holds it in plain text"
    store = SQLiteStore(tmp_path / "s.db", _box(tmp_path))
    await store.open()
    try:
        got = {a.name: a.proxy for a in await store.list_accounts()}
        assert got == {"a": PROXY, "b": None, "c": "socks5://10.0.0.1:1080"}, "the accounts keep working"
        assert PASSWORD.encode() not in _raw(tmp_path)
        assert b"socks5://10.0.0.1" not in _raw(tmp_path), "every proxy is sealed, with a password or not"
    finally:
        await store.close()
    again = SQLiteStore(tmp_path / "s.db", _box(tmp_path))  # a second open finds nothing left to seal
    await again.open()
    try:
        assert (await again.find_account("a")).proxy == PROXY
    finally:
        await again.close()
    assert PASSWORD.encode() not in _raw(tmp_path)


async def test_views_mask_the_proxy_password(tmp_path):
    store = SQLiteStore(tmp_path / "s.db", _box(tmp_path))
    await store.open()
    try:
        await admin.add_account(store, "gemini-api", "a", {"api_key": "k" * 12}, PROXY, check_format=False)
        await admin.add_account(store, "gemini-api", "t", {"api_key": "j" * 12}, "http://tokenonly99@h:8080", check_format=False)
        views = {v.name: v for v in await admin.list_accounts(store)}
    finally:
        await store.close()
    assert views["a"].proxy == "http://me:***@10.1.2.3:3128"
    assert views["t"].proxy == "http://***@h:8080", "a user name alone may be the proxy's token"
    shown = json.dumps([dataclasses.asdict(v) for v in views.values()])
    assert PASSWORD not in shown and "tokenonly99" not in shown


async def test_two_processes_opening_an_old_database_at_once_seal_each_proxy_once(tmp_path):
    """The server and a CLI command may open the same old file together: each proxy is sealed exactly once
    (a second seal would be a token of a token) and both read it back."""
    import asyncio

    _old_database(tmp_path / "s.db", [(f"a{i}", f"http://u:{PASSWORD}-{i}@h:{1000 + i}") for i in range(20)])
    stores = [SQLiteStore(tmp_path / "s.db", _box(tmp_path)) for _ in range(3)]
    await asyncio.gather(*(s.open() for s in stores))
    try:
        for store in stores:
            got = {a.name: a.proxy for a in await store.list_accounts()}
            assert got == {f"a{i}": f"http://u:{PASSWORD}-{i}@h:{1000 + i}" for i in range(20)}
    finally:
        for store in stores:
            await store.close()
    assert PASSWORD.encode() not in _raw(tmp_path)
