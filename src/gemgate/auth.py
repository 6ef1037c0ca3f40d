"""Client keys: making and hashing them, and the constant-time check run on every request.

Creating, listing and revoking stored keys lives in gemgate.admin.keys.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import parse_qsl

from .store import ClientKeyRecord

KEY_PREFIX = "gg-"


def new_key() -> str:
    """A fresh random client key: "gg-" and 43 url-safe characters."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    """The sha256 hex digest under which a client key is stored."""
    return hashlib.sha256(key.encode()).hexdigest()


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


_KEY_HEADERS = (b"x-api-key", b"x-goog-api-key")


def presented_key(raw_headers: list[tuple[bytes, bytes]], query_string: bytes) -> str | None:
    """The client key from any of the places clients put it (ASGI headers, raw query string)."""
    fallback = None
    for name, value in raw_headers:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
        elif name in _KEY_HEADERS and value and fallback is None:
            fallback = value.decode("latin-1")
    if fallback:
        return fallback
    if b"key=" in query_string:
        for k, v in parse_qsl(query_string.decode("latin-1")):
            if k == "key" and v:
                return v
    return None
