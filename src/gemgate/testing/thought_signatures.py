"""Thought signatures a fake upstream can issue and later recognise.

Google's signatures are opaque base64 blobs that only the issuing backend can
verify ("Corrupted thought signature." otherwise). An HMAC under a per-fake
secret gives the same property: a signature from another fake, or one the
gateway made up, is rejected.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

# The documented escape hatch clients use when they have no real signature.
SKIP_SIGNATURE_SENTINEL = "skip_thought_signature_validator"

_MAGIC = b"\x12\x20"  # looks like a protobuf header, as Google's blobs do
_NONCE_LEN = 16
_TAG_LEN = 16


def decode_proto_bytes(value: str) -> bytes | None:
    """Decode a proto3-JSON bytes field: standard or URL-safe base64, padding optional."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if any(c.isspace() for c in text):
        return None
    text = text.replace("-", "+").replace("_", "/")
    text += "=" * (-len(text) % 4)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


class ThoughtSigner:
    def __init__(self, secret: bytes = b"gemgate-fake-upstream") -> None:
        self._secret = secret

    def issue(self, context: str) -> str:
        nonce = hashlib.sha256(context.encode("utf-8")).digest()[:_NONCE_LEN]
        return base64.b64encode(_MAGIC + nonce + self._tag(nonce)).decode("ascii")

    def is_issued(self, signature: str) -> bool:
        raw = decode_proto_bytes(signature)
        if raw is None or len(raw) != len(_MAGIC) + _NONCE_LEN + _TAG_LEN:
            return False
        if not raw.startswith(_MAGIC):
            return False
        nonce = raw[len(_MAGIC) : len(_MAGIC) + _NONCE_LEN]
        return hmac.compare_digest(raw[-_TAG_LEN:], self._tag(nonce))

    def accepts(self, signature: str) -> bool:
        return signature == SKIP_SIGNATURE_SENTINEL or self.is_issued(signature)

    def _tag(self, nonce: bytes) -> bytes:
        return hmac.new(self._secret, nonce, hashlib.sha256).digest()[:_TAG_LEN]
