"""Client keys: making and hashing them, and the constant-time check run on every request.

Creating, listing and revoking stored keys lives in gemgate.admin.keys.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from contextvars import ContextVar
from dataclasses import dataclass
from urllib.parse import parse_qsl

from .store import ClientKeyRecord

KEY_PREFIX = "gg-"


def new_key() -> str:
    """A fresh random client key: "gg-" and 43 url-safe characters."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    """The sha256 hex digest under which a client key is stored."""
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class ClientIdentity:
    """Who is calling: the client key's id and name (keys from the config file are "config-<n>"), and `owner`,
    what the state kept for this caller (stored responses) is filed under: the stored key's id, or for a key
    from the config file a digest of the key itself, so that reordering or removing config keys never hands
    one caller's state to another."""

    key_id: str
    name: str
    owner: str = ""


# The owner (`ClientIdentity.owner`) of the request being served, set by the pipeline before any upstream is
# called, so an upstream keeping state between requests (the web kind's conversations) files it per client.
_owner: ContextVar[str] = ContextVar("gemgate_caller_owner", default="")


def set_caller_owner(owner: str) -> None:
    """Make `owner` the current request's (for this task and the tasks it starts)."""
    _owner.set(owner)


def caller_owner() -> str:
    """The owner of the request being served; "" outside one or when the gateway takes no keys."""
    return _owner.get()


class KeyRing:
    """The accepted key hashes, refreshed from the store so `keys revoke` takes effect in a running server."""

    def __init__(self, configured: list[str]) -> None:
        self._configured = [
            (hash_key(k).encode(), ClientIdentity(f"config-{i}", "config", "config-" + hash_key(k)[:32])) for i, k in enumerate(configured, 1) if k
        ]
        self._known: list[tuple[bytes, ClientIdentity]] = list(self._configured)

    def load(self, records: list[ClientKeyRecord]) -> None:
        """Take the stored keys (revoked ones are skipped) besides the configured ones."""
        self._known = self._configured + [
            (r.key_hash.encode(), ClientIdentity(r.id, r.name, r.id)) for r in records if r.revoked_at is None
        ]

    def __len__(self) -> int:
        return len(self._known)

    def identify(self, presented: str | None) -> ClientIdentity | None:
        """The identity whose key was presented, or None. Constant time in which key matched."""
        if not presented:
            return None
        digest = hash_key(presented).encode()
        found = None
        for known, identity in self._known:  # no early exit: the time taken does not depend on the match
            if hmac.compare_digest(digest, known):
                found = identity
        return found

    def check(self, presented: str | None) -> bool:
        """Whether the presented key is accepted."""
        return self.identify(presented) is not None


_KEY_HEADERS = (b"x-api-key", b"x-goog-api-key")


def presented_key(raw_headers: list[tuple[bytes, bytes]], query_string: bytes) -> str | None:
    """The client key from any of the places clients put it (ASGI headers, raw query string).

    Order: `Authorization: Bearer <key>` (OpenAI SDKs), then `x-api-key` (Anthropic) or `x-goog-api-key`
    (google-genai), then `?key=` (older Gemini clients; reference/codeassist-and-gemini-api.md §B1). None if absent.
    """
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
