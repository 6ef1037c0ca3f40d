"""State store: `open_store(settings)` picks the implementation."""

from __future__ import annotations

from ..config import Settings
from .base import (
    AccountRecord, AccountStats, ClientKeyRecord, HealthRecord, QuotaReading, QuotaSnapshot, StaleVersion, Store,
)
from .crypto import MasterKeyError, SecretBox, load_master_key
from .sqlite import SQLiteStore

__all__ = [
    "AccountRecord", "AccountStats", "ClientKeyRecord", "HealthRecord", "MasterKeyError", "QuotaReading",
    "QuotaSnapshot", "StaleVersion", "Store", "open_store",
]


async def open_store(settings: Settings) -> Store:
    """The opened SQLiteStore at `settings.database`, secrets sealed with the master key
    (`settings.master_key`, else `settings.key_file`, created on first use).

    Raises MasterKeyError, with a message saying what to restore or set, when the key cannot open the secrets
    already stored; a key file made by this call for a database that already holds secrets is removed again
    (the real key file was lost: a new one would only hide that).
    """
    created = not settings.master_key and not settings.key_file.exists()
    box = SecretBox(load_master_key(settings.master_key, settings.key_file))
    store = SQLiteStore(settings.database, box)
    try:
        await store.open()
    except MasterKeyError:
        if not created:
            raise
        settings.key_file.unlink(missing_ok=True)
        raise MasterKeyError(
            f"the master key file {settings.key_file} is missing, but the database {settings.database} holds "
            "secrets sealed with the key it held: restore that file (or set GEMGATE_MASTER_KEY to its key)"
        ) from None
    return store
