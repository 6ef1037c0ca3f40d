"""Fixtures the unit tests share."""

from __future__ import annotations

import pytest

from gemgate.store.crypto import SecretBox, load_master_key
from gemgate.store.sqlite import SQLiteStore


@pytest.fixture
async def sqlite_store(tmp_path):
    """An open SQLite store in the test's folder (closed after)."""
    impl = SQLiteStore(tmp_path / "unit.db", SecretBox(load_master_key("unit-test", tmp_path / "unused.key")))
    await impl.open()
    yield impl
    await impl.close()
