"""SQLite store: the embedded default. WAL mode so the CLI and a running server can share the file."""

from __future__ import annotations

import asyncio

import time
from pathlib import Path

import aiosqlite
import orjson

from .base import AccountRecord, AccountStats, ClientKeyRecord, HealthRecord, QuotaSnapshot, StaleVersion, Store
from .crypto import MasterKeyError, SecretBox

_SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    secret TEXT NOT NULL,
    proxy TEXT,
    enabled INTEGER NOT NULL DEFAULT 1,
    disabled_reason TEXT,
    models TEXT,
    created_at REAL NOT NULL,
    version INTEGER NOT NULL DEFAULT 0,
    requests INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    last_used REAL,
    quota TEXT
);
CREATE TABLE IF NOT EXISTS client_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    created_at REAL NOT NULL,
    revoked_at REAL
);
CREATE TABLE IF NOT EXISTS health (
    account_id TEXT NOT NULL,
    model TEXT NOT NULL,
    state TEXT NOT NULL,
    until REAL,
    reason TEXT NOT NULL,
    PRIMARY KEY (account_id, model)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ttl_values (
    namespace TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    expires_at REAL NOT NULL,
    PRIMARY KEY (namespace, key)
);
CREATE INDEX IF NOT EXISTS ttl_values_expiry ON ttl_values (expires_at);
"""

_ACCOUNT_COLUMNS = "id, name, kind, secret, proxy, enabled, disabled_reason, models, created_at, version, quota"
# Columns later versions added, created in an older database when it is opened.
_ADDED_COLUMNS = {"accounts": (("quota", "TEXT"),)}


class SQLiteStore(Store):
    """The Store in one SQLite file (aiosqlite; WAL, synchronous=NORMAL, secure_delete, 30 s busy timeout).
    Secrets and proxy URLs (they may carry a password) are sealed with the SecretBox; discovered model lists
    are stored as JSON text.
    """

    def __init__(self, path: Path, box: SecretBox) -> None:
        self.path = path
        self._box = box
        self._db: aiosqlite.Connection | None = None
        self._data_version: int | None = None
        # One write transaction at a time on the one connection: another task's COMMIT while a write statement is
        # still in progress (an UPDATE … RETURNING whose cursor is open) fails with "cannot commit transaction -
        # SQL statements in progress", and would commit that task's half-done work. Seen when the sandbox's three
        # accounts refreshed their credentials at the same moment.
        self._writing = asyncio.Lock()

    async def open(self) -> None:
        """Create the parent folder and the tables, check the master key opens what is stored (MasterKeyError
        otherwise, the store left closed), seal proxies an older version stored in plain text; the file is made
        mode 0600 where the OS allows."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = await aiosqlite.connect(self.path, timeout=30)
        await self._db.execute("PRAGMA journal_mode=WAL")
        await self._db.execute("PRAGMA synchronous=NORMAL")
        # Overwrite what is deleted or rewritten, so a replaced plain value leaves no copy in free space.
        await self._db.execute("PRAGMA secure_delete=ON")
        await self._db.executescript(_SCHEMA)
        await self._add_columns()
        await self._db.commit()
        await self._check_master_key()  # before anything is sealed with a key that may be the wrong one
        await self._seal_plain_proxies()
        self._data_version = await self._read_data_version()
        try:
            self.path.chmod(0o600)
        except OSError:
            pass

    async def _add_columns(self) -> None:
        for table, columns in _ADDED_COLUMNS.items():
            async with self.db.execute(f"PRAGMA table_info({table})") as cur:
                have = {row[1] async for row in cur}
            for name, sql_type in columns:
                if name not in have:
                    await self.db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {sql_type}")

    async def _check_master_key(self) -> None:
        # One stored secret is enough: every secret is sealed with the same key. MasterKeyError if it differs.
        async with self.db.execute("SELECT secret FROM accounts LIMIT 1") as cur:
            row = await cur.fetchone()
        if row is not None:
            try:
                self._box.open(row[0])
            except MasterKeyError:
                await self.close()
                raise

    async def _seal_plain_proxies(self) -> None:
        # A sealed value is url-safe base64 without "://": any proxy holding it is a plain URL from an
        # older version. All are sealed in one write transaction (another process opening at the same
        # time finds none left), then the WAL is folded into the file and emptied so no plain copy stays.
        plain = "SELECT id, proxy FROM accounts WHERE proxy LIKE '%://%'"
        async with self.db.execute(plain) as cur:
            if await cur.fetchone() is None:
                return
        await self.db.execute("BEGIN IMMEDIATE")
        try:
            async with self.db.execute(plain) as cur:
                rows = await cur.fetchall()
            await self.db.executemany(
                "UPDATE accounts SET proxy = ? WHERE id = ?", [(self._box.seal(p), i) for i, p in rows]
            )
            await self.db.commit()
        except BaseException:
            await self.db.rollback()
            raise
        await self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _open_proxy(self, stored: str | None) -> str | None:
        if not stored or "://" in stored:  # none, or plain (written by an older version meanwhile)
            return stored
        return self._box.open(stored)  # type: ignore[return-value]

    async def close(self) -> None:
        """Close the connection (idempotent)."""
        if self._db is not None:
            await self._db.close()
            self._db = None

    @property
    def db(self) -> aiosqlite.Connection:
        """The open connection. Raises RuntimeError before `open` or after `close`."""
        if self._db is None:
            raise RuntimeError("store is not open")
        return self._db

    async def _read_data_version(self) -> int:
        # One trip to the connection's thread (execute, fetch and close would be three): this runs every
        # change_poll_seconds, busy or idle.
        rows = await self.db.execute_fetchall("PRAGMA data_version")
        return rows[0][0]

    async def changed(self) -> bool:
        """See `Store.changed`: `PRAGMA data_version` of this connection moves when another connection
        (the CLI, another process) commits; this connection's own writes leave it alone."""
        version = await self._read_data_version()
        if version == self._data_version:
            return False
        self._data_version = version
        return True

    async def _write(self, sql: str, args: tuple = ()) -> int:
        async with self._writing:
            cursor = await self.db.execute(sql, args)
            await self.db.commit()
            return cursor.rowcount

    # accounts

    def _account(self, row: tuple) -> AccountRecord:
        return AccountRecord(
            id=row[0],
            name=row[1],
            kind=row[2],
            secret=self._box.open(row[3]),
            proxy=self._open_proxy(row[4]),
            enabled=bool(row[5]),
            disabled_reason=row[6],
            models=orjson.loads(row[7]) if row[7] else None,
            created_at=row[8],
            version=row[9],
            quota=QuotaSnapshot.from_json(orjson.loads(row[10])) if row[10] else None,
        )

    async def add_account(self, account: AccountRecord) -> None:
        """See `Store.add_account`."""
        await self._write(
            f"INSERT INTO accounts ({_ACCOUNT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                account.id,
                account.name,
                account.kind,
                self._box.seal(account.secret),
                self._box.seal(account.proxy) if account.proxy else None,
                int(account.enabled),
                account.disabled_reason,
                orjson.dumps(account.models).decode() if account.models is not None else None,
                account.created_at,
                account.version,
                orjson.dumps(account.quota.to_json()).decode() if account.quota is not None else None,
            ),
        )

    async def list_accounts(self) -> list[AccountRecord]:
        """See `Store.list_accounts`."""
        async with self.db.execute(f"SELECT {_ACCOUNT_COLUMNS} FROM accounts ORDER BY created_at, name") as cur:
            return [self._account(row) async for row in cur]

    async def account_versions(self) -> dict[str, int]:
        """See `Store.account_versions`."""
        async with self.db.execute("SELECT id, version FROM accounts") as cur:
            return {row[0]: row[1] async for row in cur}

    async def find_account(self, name_or_id: str) -> AccountRecord | None:
        """See `Store.find_account`."""
        sql = f"SELECT {_ACCOUNT_COLUMNS} FROM accounts WHERE id = ? OR name = ?"
        async with self.db.execute(sql, (name_or_id, name_or_id)) as cur:
            row = await cur.fetchone()
        return self._account(row) if row else None

    async def remove_account(self, account_id: str) -> bool:
        """See `Store.remove_account`."""
        # One transaction: the account and its health rows go together or not at all.
        async with self._writing:
            cursor = await self.db.execute("DELETE FROM accounts WHERE id = ?", (account_id,))
            await self.db.execute("DELETE FROM health WHERE account_id = ?", (account_id,))
            await self.db.commit()
            return cursor.rowcount > 0

    async def set_account_enabled(self, account_id: str, enabled: bool, reason: str | None = None) -> None:
        """See `Store.set_account_enabled`."""
        await self._write(
            "UPDATE accounts SET enabled = ?, disabled_reason = ?, version = version + 1 WHERE id = ?",
            (int(enabled), None if enabled else reason, account_id),
        )

    async def update_account_secret(self, account_id: str, secret: dict, expected_version: int | None = None) -> int:
        """See `Store.update_account_secret`."""
        # One statement, one transaction: the new credential is either fully stored or not at all, and the
        # version it replaces is checked in the same statement (other processes share the file).
        async with self._writing:
            async with self.db.execute(
                "UPDATE accounts SET secret = ?, version = version + 1 WHERE id = ? AND (? IS NULL OR version = ?) "
                "RETURNING version",
                (self._box.seal(secret), account_id, expected_version, expected_version),
            ) as cur:
                row = await cur.fetchone()
            await self.db.commit()
        if row is not None:
            return row[0]
        if expected_version is not None and account_id in await self.account_versions():
            raise StaleVersion(account_id)
        raise KeyError(account_id)

    async def set_account_models(self, account_id: str, models: list[str]) -> None:
        """See `Store.set_account_models`."""
        # Not a version bump: discovery results do not reset health state elsewhere.
        await self._write("UPDATE accounts SET models = ? WHERE id = ?", (orjson.dumps(models).decode(), account_id))

    async def set_account_quota(self, account_id: str, quota: QuotaSnapshot | None) -> None:
        """See `Store.set_account_quota`."""
        value = orjson.dumps(quota.to_json()).decode() if quota is not None else None
        await self._write("UPDATE accounts SET quota = ? WHERE id = ?", (value, account_id))

    async def account_quotas(self) -> dict[str, QuotaSnapshot]:
        """See `Store.account_quotas`."""
        async with self.db.execute("SELECT id, quota FROM accounts WHERE quota IS NOT NULL") as cur:
            rows = [row async for row in cur]
        out = {}
        for account_id, value in rows:
            snapshot = QuotaSnapshot.from_json(orjson.loads(value))
            if snapshot is not None:
                out[account_id] = snapshot
        return out

    async def add_stats(
        self, account_id: str, requests: int, errors: int, last_error: str | None, last_used: float | None
    ) -> None:
        """See `Store.add_stats`."""
        await self._write(
            "UPDATE accounts SET requests = requests + ?, errors = errors + ?,"
            " last_error = COALESCE(?, last_error), last_used = COALESCE(?, last_used) WHERE id = ?",
            (requests, errors, last_error, last_used, account_id),
        )

    async def get_stats(self) -> dict[str, AccountStats]:
        """See `Store.get_stats`."""
        async with self.db.execute("SELECT id, requests, errors, last_error, last_used FROM accounts") as cur:
            return {row[0]: AccountStats(row[1], row[2], row[3], row[4]) async for row in cur}

    # health

    async def put_health(self, record: HealthRecord) -> None:
        """See `Store.put_health`."""
        await self._write(
            "INSERT OR REPLACE INTO health (account_id, model, state, until, reason) VALUES (?,?,?,?,?)",
            (record.account_id, record.model, record.state, record.until, record.reason),
        )

    async def clear_health(self, account_id: str, model: str | None = None) -> None:
        """See `Store.clear_health`."""
        if model is None:
            await self._write("DELETE FROM health WHERE account_id = ?", (account_id,))
        else:
            await self._write("DELETE FROM health WHERE account_id = ? AND model = ?", (account_id, model))

    async def list_health(self) -> list[HealthRecord]:
        """See `Store.list_health`."""
        now = time.time()
        async with self.db.execute("SELECT account_id, model, state, until, reason FROM health") as cur:
            rows = [HealthRecord(*row) async for row in cur]
        return [r for r in rows if r.until is None or r.until > now]

    # client keys

    async def add_client_key(self, key: ClientKeyRecord) -> None:
        """See `Store.add_client_key`."""
        await self._write(
            "INSERT INTO client_keys (id, name, key_hash, prefix, created_at, revoked_at) VALUES (?,?,?,?,?,?)",
            (key.id, key.name, key.key_hash, key.prefix, key.created_at, key.revoked_at),
        )

    async def list_client_keys(self, include_revoked: bool = False) -> list[ClientKeyRecord]:
        """See `Store.list_client_keys`."""
        sql = "SELECT id, name, key_hash, prefix, created_at, revoked_at FROM client_keys"
        if not include_revoked:
            sql += " WHERE revoked_at IS NULL"
        async with self.db.execute(sql + " ORDER BY created_at") as cur:
            return [ClientKeyRecord(*row) async for row in cur]

    async def revoke_client_key(self, name_or_id: str) -> bool:
        """See `Store.revoke_client_key`."""
        changed = await self._write(
            "UPDATE client_keys SET revoked_at = ? WHERE (id = ? OR name = ? OR prefix = ?) AND revoked_at IS NULL",
            (time.time(), name_or_id, name_or_id, name_or_id),
        )
        return changed > 0

    # meta

    async def get_meta(self, key: str) -> str | None:
        """See `Store.get_meta`."""
        async with self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)) as cur:
            row = await cur.fetchone()
        return row[0] if row else None

    async def set_meta(self, key: str, value: str) -> None:
        """See `Store.set_meta`."""
        await self._write("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # values with a time to live

    async def put_values(self, namespace: str, items: dict[str, str], ttl: float) -> None:
        """See `Store.put_values`."""
        expires = time.time() + ttl
        async with self._writing:
            await self.db.executemany(
                "INSERT OR REPLACE INTO ttl_values (namespace, key, value, expires_at) VALUES (?,?,?,?)",
                [(namespace, k, v, expires) for k, v in items.items()],
            )
            await self.db.commit()

    async def get_values(self, namespace: str, keys: list[str]) -> dict[str, str]:
        """See `Store.get_values`."""
        if not keys:
            return {}
        marks = ",".join("?" * len(keys))
        sql = f"SELECT key, value FROM ttl_values WHERE namespace = ? AND key IN ({marks}) AND expires_at > ?"
        async with self.db.execute(sql, (namespace, *keys, time.time())) as cur:
            return {row[0]: row[1] async for row in cur}

    async def swap_value(self, namespace: str, key: str, expected: str | None, value: str, ttl: float) -> bool:
        """See `Store.swap_value`: one statement, so the check and the write are one transaction."""
        now = time.time()
        if expected is None:  # absent or expired: insert, or take over the expired row
            sql = ("INSERT INTO ttl_values (namespace, key, value, expires_at) VALUES (?,?,?,?) "
                   "ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, "
                   "expires_at = excluded.expires_at WHERE ttl_values.expires_at <= ?")
            return await self._write(sql, (namespace, key, value, now + ttl, now)) == 1
        sql = ("UPDATE ttl_values SET value = ?, expires_at = ? "
               "WHERE namespace = ? AND key = ? AND value = ? AND expires_at > ?")
        return await self._write(sql, (value, now + ttl, namespace, key, expected, now)) == 1

    async def delete_values(self, namespace: str, keys: list[str]) -> int:
        """See `Store.delete_values`."""
        if not keys:
            return 0
        marks = ",".join("?" * len(keys))
        sql = f"DELETE FROM ttl_values WHERE namespace = ? AND key IN ({marks}) AND expires_at > ?"
        return await self._write(sql, (namespace, *keys, time.time()))

    async def purge_expired(self) -> int:
        """See `Store.purge_expired`."""
        return await self._write("DELETE FROM ttl_values WHERE expires_at <= ?", (time.time(),))
