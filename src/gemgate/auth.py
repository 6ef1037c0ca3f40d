"""Client keys: creation, hashing, and the constant-time check run on every request."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid

from .store import ClientKeyRecord, Store

KEY_PREFIX = "gg-"


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def create_key(store: Store, name: str | None = None) -> tuple[ClientKeyRecord, str]:
    key = new_key()
    record = ClientKeyRecord(
        id=uuid.uuid4().hex[:12],
        name=name or f"key-{secrets.token_hex(3)}",
        key_hash=hash_key(key),
        prefix=key[: len(KEY_PREFIX) + 6],
    )
    await store.add_client_key(record)
    return record, key


class KeyRing:
    """The accepted key hashes, refreshed from the store so `keys revoke` takes effect in a running server."""

    def __init__(self, configured: list[str]) -> None:
        self._configured = [hash_key(k).encode() for k in configured if k]
        self._hashes: list[bytes] = list(self._configured)

    def load(self, records: list[ClientKeyRecord]) -> None:
        self._hashes = self._configured + [r.key_hash.encode() for r in records if r.revoked_at is None]

    def __len__(self) -> int:
        return len(self._hashes)

    def check(self, presented: str | None) -> bool:
        if not presented:
            return False
        digest = hash_key(presented).encode()
        ok = False
        for known in self._hashes:  # no early exit: the time taken does not depend on which key matched
            ok |= hmac.compare_digest(digest, known)
        return ok


def presented_key(headers, query_params) -> str | None:
    """The client key from any of the places clients put it."""
    auth = headers.get("authorization")
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    return headers.get("x-api-key") or headers.get("x-goog-api-key") or query_params.get("key") or None
