"""The state store interface. SQLite is the embedded default; Redis comes later and passes the same tests."""

from __future__ import annotations

import abc
import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class QuotaReading:
    """What was left of one model's quota on one account when the upstream was asked: `fraction` 0..1 (None:
    not reported), `reset` epoch seconds when it refills (None: not reported)."""

    fraction: float | None
    reset: float | None


@dataclass(frozen=True)
class QuotaSnapshot:
    """An account's quota per model id as its upstream reported it at `checked_at` (epoch seconds)."""

    checked_at: float
    models: dict[str, QuotaReading]

    def lowest(self) -> tuple[str, QuotaReading] | None:
        """(model id, reading) with the least left among those reporting a fraction; None when none does."""
        known = [(m, r) for m, r in self.models.items() if r.fraction is not None]
        return min(known, key=lambda mr: (mr[1].fraction, mr[0])) if known else None

    def to_json(self) -> dict:
        """`{"checked_at", "models": {id: [fraction, reset]}}`, the stored form."""
        return {"checked_at": self.checked_at, "models": {m: [r.fraction, r.reset] for m, r in self.models.items()}}

    @classmethod
    def from_json(cls, data: object) -> QuotaSnapshot | None:
        """The snapshot of `to_json`'s form; None for anything else."""
        if not isinstance(data, dict) or not isinstance(data.get("models"), dict):
            return None
        models = {
            str(m): QuotaReading(v[0], v[1])
            for m, v in data["models"].items()
            if isinstance(v, list) and len(v) == 2
        }
        return cls(float(data.get("checked_at") or 0.0), models)


@dataclass
class AccountRecord:
    """One upstream account: `secret` is the kind's credential dict (gemini-api: {"api_key": ...}),
    decrypted in memory and sealed at rest; `created_at` epoch seconds; `version` bumped on every change.
    """

    id: str
    name: str
    kind: str  # a registered upstream kind (gemgate.upstreams.UPSTREAM_KINDS)
    secret: dict = field(repr=False)  # decrypted credential; encrypted by the store at rest; never in a repr
    proxy: str | None = field(default=None, repr=False)  # may hold a password; sealed at rest too
    enabled: bool = True
    disabled_reason: str | None = None
    models: list[str] | None = None  # discovered model ids; None until discovered
    quota: QuotaSnapshot | None = None  # the latest quota reading (kinds that report one); None: never read
    created_at: float = field(default_factory=time.time)
    version: int = 0  # bumped on every change so other processes notice


@dataclass
class AccountStats:
    """An account's counters: requests and errors since it was added; `last_used` epoch seconds."""

    requests: int = 0
    errors: int = 0
    last_error: str | None = None
    last_used: float | None = None


@dataclass
class ClientKeyRecord:
    """A client key as stored: only its sha256 hash and a short prefix; times are epoch seconds."""

    id: str
    name: str
    key_hash: str  # sha256 hex of the key; the key itself is never stored
    prefix: str  # first characters, to recognise a key in listings
    created_at: float = field(default_factory=time.time)
    revoked_at: float | None = None


@dataclass
class HealthRecord:
    """A cooldown or a needs-reauth mark on an account: `model` "*" for the whole account, `until` epoch
    seconds (None: until cleared), `reason` shown in `gemgate accounts list`.
    """

    account_id: str
    model: str  # "*" for the whole account
    state: str  # cooling | quota (cooling until a quota refills, re-checked before use) | not_found | needs_reauth
    until: float | None
    reason: str


class StaleVersion(Exception):
    """A compare-and-swap write found the account changed since the version it expected (another task or
    process wrote it: a refresh racing `gemgate import` or `login`)."""


class Store(abc.ABC):
    """Persistent state shared by the server and the CLI: accounts (secrets sealed), per-account counters,
    health marks, client key hashes, small meta values and values with a time to live.
    """

    @abc.abstractmethod
    async def open(self) -> None:
        """Connect and create the tables if missing; call once before anything else."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Close the connection (idempotent)."""

    @abc.abstractmethod
    async def changed(self) -> bool:
        """Whether someone else (the command line, another gateway instance) has committed a change to the
        store since the previous call; the first call after `open` compares with the state at `open`.

        A running gateway polls this every `change_poll_seconds` (50 ms) and, when it is True, takes in the
        changes at once (accounts, cooldowns, client keys) instead of waiting for its `state_sync_seconds`
        round, so a `gemgate keys revoke` applies within about 100 ms. It must therefore be cheap: SQLite
        reads `PRAGMA data_version` (one tiny query, no table access); a store that can push (Redis pub/sub on
        a change channel) answers from what it has received without a round trip. False positives only cost
        one sync; writes made through this same store object need not count.
        """

    # accounts
    @abc.abstractmethod
    async def add_account(self, account: AccountRecord) -> None:
        """Insert a new account. Raises the backend's integrity error if the id or name exists."""

    @abc.abstractmethod
    async def list_accounts(self) -> list[AccountRecord]:
        """Every account, oldest first (then by name), secrets decrypted."""

    @abc.abstractmethod
    async def account_versions(self) -> dict[str, int]:
        """id -> version, cheap enough to poll."""

    @abc.abstractmethod
    async def find_account(self, name_or_id: str) -> AccountRecord | None:
        """The account whose id or name is `name_or_id`, or None."""

    @abc.abstractmethod
    async def remove_account(self, account_id: str) -> bool:
        """Delete an account and its health marks; False when no account has that id."""

    @abc.abstractmethod
    async def set_account_enabled(self, account_id: str, enabled: bool, reason: str | None = None) -> None:
        """Enable or disable an account (`reason` kept only when disabling) and bump its version."""

    @abc.abstractmethod
    async def update_account_secret(self, account_id: str, secret: dict, expected_version: int | None = None) -> int:
        """Replace the credential atomically (all or nothing) and bump the version; returns the new version.
        With `expected_version`, a compare-and-swap: written only if the account still has that version.

        Raises KeyError when no account has that id, StaleVersion when it no longer has `expected_version`.
        """

    @abc.abstractmethod
    async def set_account_models(self, account_id: str, models: list[str]) -> None:
        """Record the discovered model ids (without the "models/" prefix); no version bump."""

    @abc.abstractmethod
    async def set_account_quota(self, account_id: str, quota: QuotaSnapshot | None) -> None:
        """Record the latest quota reading (None: forget it); no version bump, like `set_account_models`."""

    @abc.abstractmethod
    async def account_quotas(self) -> dict[str, QuotaSnapshot]:
        """The latest quota reading of every account that has one, by account id: what another instance read
        reaches this one without a version bump (Pool.sync)."""

    @abc.abstractmethod
    async def add_stats(
        self, account_id: str, requests: int, errors: int, last_error: str | None, last_used: float | None
    ) -> None:
        """Add `requests` and `errors` to the counters; `last_error`/`last_used` (epoch seconds) replace the
        stored ones unless None.
        """

    @abc.abstractmethod
    async def get_stats(self) -> dict[str, AccountStats]:
        """Account id -> its counters."""

    # health (cooldowns and the like)
    @abc.abstractmethod
    async def put_health(self, record: HealthRecord) -> None:
        """Insert or replace the mark for (account_id, model)."""

    @abc.abstractmethod
    async def clear_health(self, account_id: str, model: str | None = None) -> None:
        """Delete an account's marks: all of them, or only the one for `model` ("*": account-wide)."""

    @abc.abstractmethod
    async def list_health(self) -> list[HealthRecord]:
        """The marks still in force: `until` None or later than now."""

    # client keys
    @abc.abstractmethod
    async def add_client_key(self, key: ClientKeyRecord) -> None:
        """Insert a client key record. Raises the backend's integrity error on a duplicate hash or id."""

    @abc.abstractmethod
    async def list_client_keys(self, include_revoked: bool = False) -> list[ClientKeyRecord]:
        """Client keys, oldest first; revoked ones only with `include_revoked`."""

    @abc.abstractmethod
    async def revoke_client_key(self, name_or_id: str) -> bool:
        """Revoke every unrevoked key whose id, name or prefix equals `name_or_id`; False when none matched."""

    # small values (model catalogue cache, ...)
    @abc.abstractmethod
    async def get_meta(self, key: str) -> str | None:
        """The stored string for `key`, or None."""

    @abc.abstractmethod
    async def set_meta(self, key: str, value: str) -> None:
        """Store a string under `key`, replacing any old value."""

    # values with a time to live (thought signatures; later conversation mappings, stored responses)
    @abc.abstractmethod
    async def put_values(self, namespace: str, items: dict[str, str], ttl: float) -> None:
        """Store `items` (key -> value) under `namespace`, each readable for `ttl` seconds."""

    @abc.abstractmethod
    async def get_values(self, namespace: str, keys: list[str]) -> dict[str, str]:
        """The unexpired values among `keys` in `namespace`; missing or expired keys are left out."""

    @abc.abstractmethod
    async def swap_value(self, namespace: str, key: str, expected: str | None, value: str, ttl: float) -> bool:
        """Compare-and-swap one value: store `value` (readable for `ttl` seconds) only when the unexpired value
        now under `key` is `expected` (None: there is none). True when this call stored it; atomic across
        every process sharing the store (one instance wins a race, e.g. for a per-account "last rotated" mark)."""

    @abc.abstractmethod
    async def delete_values(self, namespace: str, keys: list[str]) -> int:
        """Delete `keys` from `namespace`; returns how many unexpired values were deleted."""

    @abc.abstractmethod
    async def purge_expired(self) -> int:
        """Delete expired values; returns how many were deleted."""
