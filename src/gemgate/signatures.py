"""Thought signatures by tool-call id.

Gemini 3 rejects a replayed function call without the signature it was issued with, and OpenAI-style
clients never send signatures back; the gateway keeps them here, keyed by the tool-call id it handed out.
"""

from __future__ import annotations

from collections import OrderedDict

# Documented by Google for histories whose signatures are unknown.
SKIP_SENTINEL = "skip_thought_signature_validator"


class SignatureCache:
    def __init__(self, capacity: int = 100_000) -> None:
        self._items: OrderedDict[str, str] = OrderedDict()
        self._capacity = capacity

    def put(self, call_id: str, signature: str) -> None:
        self._items[call_id] = signature
        self._items.move_to_end(call_id)
        if len(self._items) > self._capacity:
            self._items.popitem(last=False)

    def get(self, call_id: str) -> str | None:
        return self._items.get(call_id)
