"""The state store interface. SQLite is the embedded default; Redis comes later and passes the same tests."""

from __future__ import annotations

import abc
import time
from dataclasses import dataclass, field


@dataclass
class AccountRecord:
    id: str
    name: str
    kind: str  # gemini-api | code-assist | gemini-web
    secret: dict  # decrypted credential; encrypted by the store at rest
    proxy: str | None = None
    enabled: bool = True
    disabled_reason: str | None = None
    models: list[str] | None = None  # discovered model ids; None until discovered
    created_at: float = field(default_factory=time.time)
    version: int = 0  # bumped on every change so other processes notice


@dataclass
class AccountStats:
    requests: int = 0
    errors: int = 0
    last_error: str | None = None
    last_used: float | None = None


@dataclass
class ClientKeyRecord:
    id: str
    name: str
    key_hash: str  # sha256 hex of the key; the key itself is never stored
    prefix: str  # first characters, to recognise a key in listings
    created_at: float = field(default_factory=time.time)
    revoked_at: float | None = None


@dataclass
class HealthRecord:
    account_id: str
    model: str  # "*" for the whole account
    state: str  # cooling | needs_reauth
    until: float | None
    reason: str


class Store(abc.ABC):
    @abc.abstractmethod
    async def open(self) -> None: ...

    @abc.abstractmethod
    async def close(self) -> None: ...

    # accounts
    @abc.abstractmethod
    async def add_account(self, account: AccountRecord) -> None: ...

    @abc.abstractmethod
    async def list_accounts(self) -> list[AccountRecord]: ...

    @abc.abstractmethod
    async def account_versions(self) -> dict[str, int]:
        """id -> version, cheap enough to poll."""

    @abc.abstractmethod
    async def find_account(self, name_or_id: str) -> AccountRecord | None: ...

    @abc.abstractmethod
    async def remove_account(self, account_id: str) -> bool: ...

    @abc.abstractmethod
    async def set_account_enabled(self, account_id: str, enabled: bool, reason: str | None = None) -> None: ...

    @abc.abstractmethod
    async def update_account_secret(self, account_id: str, secret: dict) -> int:
        """Replace the credential atomically (all or nothing) and bump the version; returns the new version.

        Raises KeyError when no account has that id.
        """

    @abc.abstractmethod
    async def set_account_models(self, account_id: str, models: list[str]) -> None: ...

    @abc.abstractmethod
    async def add_stats(
        self, account_id: str, requests: int, errors: int, last_error: str | None, last_used: float | None
    ) -> None: ...

    @abc.abstractmethod
    async def get_stats(self) -> dict[str, AccountStats]: ...

    # health (cooldowns and the like)
    @abc.abstractmethod
    async def put_health(self, record: HealthRecord) -> None: ...

    @abc.abstractmethod
    async def clear_health(self, account_id: str, model: str | None = None) -> None: ...

    @abc.abstractmethod
    async def list_health(self) -> list[HealthRecord]: ...

    # client keys
    @abc.abstractmethod
    async def add_client_key(self, key: ClientKeyRecord) -> None: ...

    @abc.abstractmethod
    async def list_client_keys(self, include_revoked: bool = False) -> list[ClientKeyRecord]: ...

    @abc.abstractmethod
    async def revoke_client_key(self, name_or_id: str) -> bool: ...

    # small values (model catalogue cache, ...)
    @abc.abstractmethod
    async def get_meta(self, key: str) -> str | None: ...

    @abc.abstractmethod
    async def set_meta(self, key: str, value: str) -> None: ...

    # values with a time to live (thought signatures; later conversation mappings, stored responses)
    @abc.abstractmethod
    async def put_values(self, namespace: str, items: dict[str, str], ttl: float) -> None:
        """Store `items` (key -> value) under `namespace`, each readable for `ttl` seconds."""

    @abc.abstractmethod
    async def get_values(self, namespace: str, keys: list[str]) -> dict[str, str]:
        """The unexpired values among `keys` in `namespace`; missing or expired keys are left out."""

    @abc.abstractmethod
    async def purge_expired(self) -> int:
        """Delete expired values; returns how many were deleted."""
