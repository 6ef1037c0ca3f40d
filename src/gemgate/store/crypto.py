"""Encryption of secrets at rest (API keys, tokens, cookies, proxy URLs with passwords) with a master key."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

import orjson
from cryptography.fernet import Fernet, InvalidToken


class MasterKeyError(RuntimeError):
    """The master key cannot open the secrets already stored; the message says what to check."""


class SecretBox:
    """Fernet (AES-128-CBC + HMAC-SHA256) sealing of credential dicts with the master key."""

    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    def seal(self, value: dict | str) -> str:
        """The dict (or string) as JSON, encrypted: a url-safe base64 Fernet token (never holds a ':')."""
        return self._fernet.encrypt(orjson.dumps(value)).decode()

    def open(self, token: str) -> dict | str:
        """The value sealed in `token`. Raises MasterKeyError when the master key is not the one it was sealed
        with (cryptography's InvalidToken).
        """
        try:
            return orjson.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken as exc:
            raise MasterKeyError(
                "cannot decrypt stored secrets: the master key differs from the one they were sealed with "
                "(check GEMGATE_MASTER_KEY or the master key file)"
            ) from exc


def _as_fernet_key(text: str) -> bytes:
    raw = text.strip().encode()
    try:
        if len(base64.urlsafe_b64decode(raw)) == 32:
            return raw
    except ValueError:
        pass
    # Any other passphrase: derive a Fernet key from it.
    return base64.urlsafe_b64encode(hashlib.sha256(raw).digest())


def load_master_key(master_key: str | None, key_file: Path) -> bytes:
    """A Fernet key (url-safe base64 of 32 bytes): from settings, else from the key file, which is
    created (mode 0600) on first use. A text that is not a Fernet key is a passphrase: its sha256 is the key.
    Raises OSError when the key file cannot be read or created."""
    if master_key:
        return _as_fernet_key(master_key)
    if key_file.exists():
        return _as_fernet_key(key_file.read_text())
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first
        return _as_fernet_key(key_file.read_text())
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    return key
