"""State store: `open_store(settings)` picks the implementation."""

from __future__ import annotations

from ..config import Settings
from .base import AccountRecord, AccountStats, ClientKeyRecord, HealthRecord, Store
from .crypto import SecretBox, load_master_key
from .sqlite import SQLiteStore

__all__ = ["AccountRecord", "AccountStats", "ClientKeyRecord", "HealthRecord", "Store", "open_store"]


async def open_store(settings: Settings) -> Store:
    """The opened SQLiteStore at `settings.database`, secrets sealed with the master key
    (`settings.master_key`, else `settings.key_file`, created on first use). Raises RuntimeError later,
    on the first read, if the key differs from the one the secrets were sealed with.
    """
    box = SecretBox(load_master_key(settings.master_key, settings.key_file))
    store = SQLiteStore(settings.database, box)
    await store.open()
    return store
