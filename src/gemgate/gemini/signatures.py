"""Thought signatures kept by tool-call id, so a replayed function call carries the one it was issued with.

Gemini 3 rejects a replayed `functionCall` without its `thoughtSignature` (ai.google.dev/gemini-api/docs/
thought-signatures); OpenAI-style clients never send signatures back. The gateway hands out the tool-call
id, remembers the signature under it in the store (so a restart or another instance still has it) with an
in-memory front for the common same-process replay, and fills it back in before the request goes upstream.
When a signature is unknown, the documented skip sentinel goes on the first call of the turn instead.

Each signature is kept with its origin, the upstream kind that issued it: signatures of one kind are refused
by another ("incompatible encryption" between the Gemini API and Code Assist, reference/codeassist-and-gemini-
api.md A3), so a replay carrying them prefers accounts of that kind (`issuing_kinds`, the pipeline). Both Code
Assist profiles talk to one service and no source says their signatures differ, so the kind is the origin.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Callable, Iterable
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
    origin: str | None = None  # the upstream kind that issued the signature `fill` found (None: unknown)


def issuing_kinds(refs: Iterable[SignatureRef]) -> frozenset[str]:
    """The upstream kinds that issued the signatures filled into a request's history."""
    return frozenset(r.origin for r in refs if r.origin)


def _encode(signature: str, origin: str | None) -> str:
    # A signature is base64 (or a sentinel): it never holds a newline, so one separates the origin.
    return f"{origin}\n{signature}" if origin else signature


def _decode(value: str) -> tuple[str, str | None]:
    origin, _, signature = value.rpartition("\n")
    return signature, origin or None


class SignatureStore:
    """tool-call id -> (thought signature, issuing upstream kind): an LRU in memory in front of the store
    (values live `ttl` seconds). A `scoped` view files them under the calling client's owner, so one client
    replaying another's call id never gets that conversation's signature (its encrypted reasoning)."""

    def __init__(self, store: Store | None, *, ttl: float = 7 * 86400, capacity: int = 50_000) -> None:
        self._store = store
        self._ttl = ttl
        self._capacity = capacity
        self._items: OrderedDict[str, tuple[str, str | None]] = OrderedDict()
        self._origin: Callable[[], str | None] | None = None
        self._owner = ""

    def _key(self, call_id: str) -> str:
        return f"{self._owner}/{call_id}" if self._owner else call_id

    def _remember(self, call_id: str, signature: str, origin: str | None) -> None:
        self._items[call_id] = (signature, origin)
        self._items.move_to_end(call_id)
        if len(self._items) > self._capacity:
            self._items.popitem(last=False)

    async def put(self, call_id: str, signature: str, origin: str | None = None) -> None:
        """Keep a signature and the upstream kind that issued it (None: the scope's, else unknown); it is in
        the store before this returns, so any instance can replay it."""
        origin = origin or (self._origin() if self._origin is not None else None)
        key = self._key(call_id)
        self._remember(key, signature, origin)
        if self._store is not None:
            await self._store.put_values(NAMESPACE, {key: _encode(signature, origin)}, self._ttl)

    async def lookup(self, call_ids: list[str]) -> dict[str, tuple[str, str | None]]:
        """Known (signature, origin) for these ids (memory first, then one store read for the rest)."""
        keys = {self._key(c): c for c in call_ids}
        found = {keys[k]: self._items[k] for k in keys if k in self._items}
        missing = [k for k, c in keys.items() if c not in found]
        if missing and self._store is not None:
            for key, value in (await self._store.get_values(NAMESPACE, missing)).items():
                signature, origin = _decode(value)
                self._remember(key, signature, origin)
                found[keys[key]] = (signature, origin)
        return found

    async def get_many(self, call_ids: list[str]) -> dict[str, str]:
        """Known signatures for these ids (see `lookup`)."""
        return {c: signature for c, (signature, _) in (await self.lookup(call_ids)).items()}

    def origin(self) -> str | None:
        """The upstream kind serving the request this view renders (`scoped`), None outside one."""
        return self._origin() if self._origin is not None else None

    def scoped(self, origin: Callable[[], str | None], owner: str = "") -> SignatureStore:
        """This store (the same memory and store) as one request sees it: a `put` without an origin records
        `origin()`, read at each put (failover may have changed the serving kind); signatures are those of
        `owner` (the caller's `ClientIdentity.owner`; "" when the gateway takes no keys)."""
        view = copy.copy(self)
        view._origin, view._owner = origin, owner
        return view

    async def fill(self, refs: list[SignatureRef], *, sentinel: bool) -> None:
        """Put known signatures on the referenced parts (and their origin on the refs; a ref the store does not
        know keeps the origin its dialect found, e.g. in a Responses reasoning item); with `sentinel`, the skip
        sentinel where unknown."""
        if not refs:
            return
        known = await self.lookup(list({r.call_id for r in refs if r.call_id}))
        for ref in refs:
            if ref.call_id in known:  # else the part keeps what the client carried back, origin and all
                signature, ref.origin = known[ref.call_id]
                if signature:
                    ref.part["thoughtSignature"] = signature
        if sentinel:
            for ref in refs:
                if ref.first_in_turn and "thoughtSignature" not in ref.part:
                    ref.part["thoughtSignature"] = SKIP_SENTINEL

