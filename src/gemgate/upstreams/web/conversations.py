"""Web conversations that a later request may continue (reference/gemini-web-protocol.md §3.7): after an answer,
its ids and context token are kept under the key of the history that includes it (`history.answered_key`),
pinned to the account that served it, in the store's `ttl_values` (namespace "web-conversations"), each for
`conversation_ttl_seconds`: bounded by that TTL and the store's purge, shared by every instance on the store.
Each client key's own (`ClientIdentity.owner`, as stored responses are): another client replaying or forging the
same history finds nothing, so it never reads on in, nor writes into, a conversation it did not have."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ...store import Store
from ...store.kept import Kept

NAMESPACE = "web-conversations"


@dataclass(frozen=True)
class Thread:
    """One answer of a web conversation: the account (id) that holds it, the conversation, response and
    candidate ids (`c_…`, `r_…`, `rc_…`), the context token (payload[25], "" when none came) and the hex id of
    the model that answered ("" when the server chose: no model header)."""

    account: str
    cid: str
    rid: str
    rcid: str
    context: str
    model: str

    def metadata(self) -> list:
        """inner[2] of the next turn: `[cid, rid, rcid, null×6, context]` (§3.7, 2.1.1's ChatSession.metadata)."""
        return [self.cid, self.rid, self.rcid, None, None, None, None, None, None, self.context]


class Threads:
    """Thread by history key. Without a store (a kind not started by a gateway) they live in memory."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._kept = Kept(None, NAMESPACE, ttl)

    def attach(self, store: Store | None) -> None:
        """Keep them in `store` from now on."""
        self._kept = Kept(store, NAMESPACE, self.ttl)

    async def find(self, key: str | None, owner: str) -> Thread | None:
        """The unexpired thread `owner` kept under `key`, or None (also for a value no longer readable)."""
        if key is None:
            return None
        value = await self._kept.owned_by(owner).get(key)
        try:
            return Thread(**value) if value is not None else None
        except TypeError:
            return None

    async def remember(self, key: str, thread: Thread, owner: str) -> None:
        """Keep `thread` under `key` for `owner` (replacing any)."""
        await self._kept.owned_by(owner).put(key, asdict(thread))
