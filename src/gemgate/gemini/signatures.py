"""Thought signatures kept by tool-call id, so a replayed function call carries the one it was issued with.

Gemini 3 rejects a replayed `functionCall` without its `thoughtSignature` (ai.google.dev/gemini-api/docs/
thought-signatures); OpenAI-style clients never send signatures back. The gateway hands out the tool-call
id, remembers the signature under it in the store (so a restart or another instance still has it) with an
in-memory front for the common same-process replay, and fills it back in before the request goes upstream.
When a signature is unknown, the documented skip sentinel goes on the first call of the turn instead.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from ..store import Store

# Documented by Google for histories whose signatures are unknown.
SKIP_SENTINEL = "skip_thought_signature_validator"
NAMESPACE = "sig"


@dataclass
class SignatureRef:
    """A functionCall part of the client's history whose signature is looked up by tool-call id.

    `first_in_turn`: the part is the first function call of its model turn, where Gemini checks the
    signature (and where the skip sentinel goes when the signature is unknown).
    """

    part: dict
    call_id: str
    first_in_turn: bool


class SignatureStore:
    """tool-call id -> thought signature: an LRU in memory in front of the store (values live `ttl` seconds)."""

    def __init__(self, store: Store | None, *, ttl: float = 7 * 86400, capacity: int = 50_000) -> None:
        self._store = store
        self._ttl = ttl
        self._capacity = capacity
        self._items: OrderedDict[str, str] = OrderedDict()

    def _remember(self, call_id: str, signature: str) -> None:
        self._items[call_id] = signature
        self._items.move_to_end(call_id)
        if len(self._items) > self._capacity:
            self._items.popitem(last=False)

    async def put(self, call_id: str, signature: str) -> None:
        """Keep a signature; it is in the store before this returns, so any instance can replay it."""
        self._remember(call_id, signature)
        if self._store is not None:
            await self._store.put_values(NAMESPACE, {call_id: signature}, self._ttl)

    async def get_many(self, call_ids: list[str]) -> dict[str, str]:
        """Known signatures for these ids (memory first, then one store read for the rest)."""
        found = {c: self._items[c] for c in call_ids if c in self._items}
        missing = [c for c in call_ids if c not in found]
        if missing and self._store is not None:
            for call_id, signature in (await self._store.get_values(NAMESPACE, missing)).items():
                self._remember(call_id, signature)
                found[call_id] = signature
        return found

    async def fill(self, refs: list[SignatureRef], *, sentinel: bool) -> None:
        """Put known signatures on the referenced parts; with `sentinel`, the skip sentinel where unknown."""
        if not refs:
            return
        known = await self.get_many(list({r.call_id for r in refs if r.call_id}))
        for ref in refs:
            signature = known.get(ref.call_id)
            if signature:
                ref.part["thoughtSignature"] = signature
        if sentinel:
            for ref in refs:
                if ref.first_in_turn and "thoughtSignature" not in ref.part:
                    ref.part["thoughtSignature"] = SKIP_SENTINEL
