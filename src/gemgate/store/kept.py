"""JSON objects a dialect keeps between requests (stored responses), each for a time to live, in the store's
`ttl_values` so that a later request on any instance sharing the store, or after a restart, finds them.

What a request reads back (a chain of stored responses, a conversation's items) lives as long as its body, so
its bytes count in the budget of bodies in flight (`http.budget.LEDGER`) as fetched media do: else concurrent
requests continuing one large stored conversation each held it outside the budget.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import orjson

from ..errors import GatewayError
from ..http.budget import LEDGER, SMALL_BODY
from .base import Store


def _charge(size: int) -> None:
    """Count `size` bytes read back as held by the request being served (none outside one). Raises
    GatewayError 400 when this request's reads and media alone pass the budget (no retry would fit), 503 (the
    budget's `busy`) when they fit but others hold too much now; reads under SMALL_BODY are always admitted."""
    ledger = LEDGER.get()
    if ledger is None or not size:
        return
    if ledger.taken + size > ledger.budget.limit:
        raise GatewayError(400, f"The stored responses or conversation items this request continues come to more "
                           f"than this gateway holds for one request ({ledger.budget.limit} bytes, "
                           "limits.bodies_in_flight_bytes); send the history as input items, or start anew")
    ledger.take(size, check=ledger.taken + size > SMALL_BODY)


class Kept:
    """One namespace of JSON objects living `ttl` seconds, each visible only to the `owner` that put it (the
    caller's `ClientIdentity.owner`: one client never reads, continues or deletes another's). Without a store
    (a gateway not yet started, unit tests) they live in this object only."""

    def __init__(self, store: Store | None, namespace: str, ttl: float, owner: str = "",
                 local: dict[str, bytes] | None = None, locks: dict[str, list] | None = None) -> None:
        self._store = store
        self.namespace = namespace
        self.ttl = ttl
        self.owner = owner
        self._local: dict[str, bytes] = {} if local is None else local
        self._locks: dict[str, list] = {} if locks is None else locks  # key -> [lock, holders and waiters]

    def owned_by(self, owner: str) -> Kept:
        """This namespace as `owner` sees it (same store, memory and locks, keys of that owner only)."""
        if owner == self.owner:
            return self
        return Kept(self._store, self.namespace, self.ttl, owner, self._local, self._locks)

    @asynccontextmanager
    async def locked(self, key: str) -> AsyncIterator[None]:
        """Hold `key` against the other `locked(key)` of this instance, for a read-modify-write of its value (two
        instances sharing a store still race: the last write wins)."""
        full = self._key(key)
        entry = self._locks.setdefault(full, [asyncio.Lock(), 0])
        entry[1] += 1
        try:
            async with entry[0]:
                yield
        finally:
            entry[1] -= 1
            if not entry[1]:
                del self._locks[full]

    def _key(self, key: str) -> str:
        return f"{self.owner}/{key}"

    async def put(self, key: str, value: dict) -> None:
        """Keep `value` under `key` (replacing any), written before this returns."""
        await self.put_many({key: value})

    async def put_many(self, values: dict[str, dict]) -> None:
        """Keep each value under its key (replacing any), in one write of the store, done before this returns."""
        raws = {self._key(key): orjson.dumps(value) for key, value in values.items()}
        if self._store is None:
            self._local.update(raws)
        else:
            await self._store.put_values(self.namespace, {k: v.decode() for k, v in raws.items()}, self.ttl)

    async def get(self, key: str) -> dict | None:
        """The unexpired value under `key`, or None."""
        key = self._key(key)
        if self._store is None:
            raw = self._local.get(key)
        else:
            raw = (await self._store.get_values(self.namespace, [key])).get(key)
        if raw is None:
            return None
        _charge(len(raw))
        return orjson.loads(raw)

    async def get_many(self, keys: list[str]) -> dict[str, dict]:
        """The unexpired values among `keys` (key -> value), in one read of the store."""
        wanted = {self._key(key): key for key in keys}
        if self._store is None:
            raws = {k: self._local[k] for k in wanted if k in self._local}
        else:
            raws = await self._store.get_values(self.namespace, list(wanted)) if wanted else {}
        _charge(sum(len(raw) for raw in raws.values()))
        return {wanted[k]: orjson.loads(raw) for k, raw in raws.items()}

    async def delete(self, key: str) -> bool:
        """Forget `key`; whether a value was there."""
        key = self._key(key)
        if self._store is None:
            return self._local.pop(key, None) is not None
        return await self._store.delete_values(self.namespace, [key]) > 0
