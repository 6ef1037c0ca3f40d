"""Client tool names <-> Gemini function names.

Gemini API `FunctionDeclaration.name` (ai.google.dev/api/caching#FunctionDeclaration): "Must start with a
letter or an underscore. Must be a-z, A-Z, 0-9, or contain underscores, dots, colons, or dashes, with a
maximum length of 64". Code Assist and older API versions allow "underscores, dots and dashes" only, so
colons are replaced too; the map restores every original name in responses. Claude served through
Antigravity takes `[a-zA-Z0-9_-]` only (reference/antigravity.md §6.4): `dots=False` replaces dots as well.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any

#: Gemini API limit on a function name, characters. (Vertex documents 128 in some versions; 64 fits both.)
MAX_FUNCTION_NAME_LENGTH = 64

_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_BAD_CHAR_RE = re.compile(r"[^A-Za-z0-9_.\-]")
_NO_DOT_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")
_NO_DOT_BAD_CHAR_RE = re.compile(r"[^A-Za-z0-9_\-]")
_HASH_LEN = 8


def is_valid_gemini_function_name(name: Any, dots: bool = True) -> bool:
    """True if every Gemini upstream accepts `name` as a function name unchanged (`dots=False`: and Claude)."""
    pattern = _NAME_RE if dots else _NO_DOT_NAME_RE
    return isinstance(name, str) and len(name) <= MAX_FUNCTION_NAME_LENGTH and pattern.fullmatch(name) is not None


def gemini_function_name(name: Any, dots: bool = True) -> str:
    """Deterministically turn any tool name into a valid Gemini function name.

    Valid names come back unchanged. Invalid characters become `_`, a `_` is prefixed when the first
    character is not a letter or underscore, and over-long names are cut and suffixed with a hash of the
    full original name, so distinct long names stay distinct.
    """
    name = "" if name is None else str(name)
    if is_valid_gemini_function_name(name, dots):
        return name
    cleaned = (_BAD_CHAR_RE if dots else _NO_DOT_BAD_CHAR_RE).sub("_", name)
    if not cleaned or not (cleaned[0] == "_" or ("a" <= cleaned[0].lower() <= "z")):
        cleaned = "_" + cleaned
    if len(cleaned) > MAX_FUNCTION_NAME_LENGTH:
        cleaned = _with_hash(cleaned, name)
    return cleaned


def _with_hash(base: str, original: str, salt: str = "") -> str:
    digest = hashlib.sha256((original + salt).encode("utf-8", "surrogatepass")).hexdigest()[:_HASH_LEN]
    return f"{base[: MAX_FUNCTION_NAME_LENGTH - _HASH_LEN - 1]}_{digest}"


class ToolNameMap:
    """Client tool names <-> Gemini function names for one request.

    Build it from every tool name the client declared, then use `to_gemini` for declarations and history
    (`functionCall` / `functionResponse` names) and `to_client` on names in Gemini's response. Valid names
    map to themselves, and every valid name given to the constructor is claimed before any sanitised one,
    so a declared valid name is never renamed because of another tool, whatever the order. Two client names
    that sanitise to the same Gemini name are kept apart with a hash suffix.
    """

    def __init__(self, names: Iterable[str] = (), *, dots: bool = True) -> None:
        self._dots = dots  # False: Claude's alphabet (no dots)
        self._to_gemini: dict[str, str] = {}
        self._to_client: dict[str, str] = {}
        unique = [n for n in dict.fromkeys(names) if isinstance(n, str)]
        for name in unique:
            if is_valid_gemini_function_name(name, dots):
                self._bind(name, name)
        for name in unique:
            self.to_gemini(name)

    def to_gemini(self, name: str) -> str:
        """The Gemini name for a client name, registering it on first use."""
        if name in self._to_gemini:
            return self._to_gemini[name]
        base = gemini_function_name(name, self._dots)
        candidate, salt = base, 0
        while candidate in self._to_client:  # taken by a different client name
            candidate = _with_hash(base, name, str(salt) if salt else "")
            salt += 1
        self._bind(name, candidate)
        return candidate

    def to_client(self, name: str) -> str:
        """The client name for a Gemini name; unknown names pass through unchanged."""
        return self._to_client.get(name, name)

    def __contains__(self, client_name: object) -> bool:
        return client_name in self._to_gemini

    def _bind(self, client: str, gemini: str) -> None:
        self._to_gemini[client] = gemini
        self._to_client[gemini] = client
