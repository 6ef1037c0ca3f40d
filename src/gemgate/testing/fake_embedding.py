"""Deterministic fake embeddings: the same text always maps to the same vector."""

from __future__ import annotations

import hashlib
import struct

DEFAULT_DIMENSIONS = 768


def embed_text(text: str, dimensions: int | None = None) -> list[float]:
    """Values in [-1, 1) drawn from a SHA-256 stream seeded by the text."""
    size = dimensions or DEFAULT_DIMENSIONS
    values: list[float] = []
    counter = 0
    while len(values) < size:
        block = hashlib.sha256(f"{counter}:{text}".encode("utf-8")).digest()
        for (word,) in struct.iter_unpack(">I", block):
            values.append(round(word / 2**31 - 1.0, 6))
        counter += 1
    return values[:size]
