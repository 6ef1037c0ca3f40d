"""Keeping accounts' quota readings current (kinds that `reports_quota`): read at model discovery, again soon
after a 429, before an account whose quota cooldown ended serves again, and otherwise at most every
`quota_refresh_seconds`. The pool turns readings into cooldowns (`Pool.apply_quota`).

Polling is itself a signal Google may watch, so it stays sparse: one call at a time per account, at most one
after 429s per `AFTER_429_GAP` seconds (reference/antigravity.md §10: "poll quota sparingly (minutes) and
from the same host and proxy as generation").
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from .pool import ACCOUNT_WIDE, Account, Lease
from .errors import Failure, UpstreamError
from .upstreams.base import NeedsReauth

if TYPE_CHECKING:
    from .gateway import Gateway

log = logging.getLogger("gemgate.quota")

AFTER_429_GAP = 30.0  # seconds: a burst of 429s on one account costs one quota call


class QuotaWatch:
    """Quota readings of the gateway's accounts; one call in flight per account."""

    def __init__(self, gateway: Gateway) -> None:
        self.gw = gateway
        self._inflight: dict[str, asyncio.Future] = {}
        self._tasks: set[asyncio.Task] = set()

    def reports(self, acc: Account) -> bool:
        """Whether the account's kind reports quota."""
        upstream = self.gw.upstreams.get(acc.kind)
        return upstream is not None and upstream.reports_quota

    async def refresh(self, acc: Account) -> bool:
        """Ask the account's quota now (joining a call in flight) and hand it to the pool; whether a reading
        came. A failed call is logged and changes nothing: generation itself will say how the account is."""
        if not self.reports(acc):
            return False
        pending = self._inflight.get(acc.id)
        if pending is None:
            pending = self._inflight[acc.id] = asyncio.ensure_future(self._read(acc))
            pending.add_done_callback(lambda _f, key=acc.id: self._inflight.pop(key, None))
        return await asyncio.shield(pending)

    async def _read(self, acc: Account) -> bool:
        upstream = self.gw.upstreams[acc.kind]
        try:
            await self.gw.credentials.fresh(upstream, acc.record)
            _, snapshot = await upstream.models_and_quota(acc.record)
        except NeedsReauth as exc:
            self.gw.pool.needs_reauth(acc, exc.reason)
            return False
        except UpstreamError as exc:
            log.warning("quota reading failed for account %s: %s", acc.record.name, exc)
            if exc.failure is Failure.AUTH_EXPIRED and exc.books:  # renewed before its next use
                self.gw.credentials.mark_stale(acc.id, acc.record.version)
            return False
        except Exception as exc:  # noqa: BLE001 - a reading is a hint; its failure must not fail a request
            log.warning("quota reading failed for account %s: %s", acc.record.name, exc)
            return False
        if snapshot is None:
            return False
        self.gw.pool.apply_quota(acc, snapshot)
        return True

    def soon(self, acc: Account) -> None:
        """Ask the account's quota in the background unless it was read in the last `AFTER_429_GAP` seconds
        (the pool calls this after a 429)."""
        if acc.id in self._inflight or not self.reports(acc):
            return
        if acc.quota is not None and time.time() - acc.quota.checked_at < AFTER_429_GAP:
            return
        task = asyncio.ensure_future(self.refresh(acc))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def recheck(self, lease: Lease) -> bool:
        """Before a lease whose quota cooldown ended unchecked is used: read the quota; whether the account
        may serve now (False: the reading cooled it again). Without a reading the account is used."""
        await self.refresh(lease.account)
        lease.account.recheck.difference_update((lease.key, ACCOUNT_WIDE))  # asked: no second call per request
        return lease.usable()

    async def loop(self) -> None:
        """Every `quota_refresh_seconds`, read the accounts whose last reading is older than that."""
        every = self.gw.settings.quota_refresh_seconds
        while True:
            await asyncio.sleep(min(every, 60.0))
            due = time.time() - every
            accounts = [
                a for a in self.gw.pool.accounts.values()
                if a.record.enabled and a.reauth is None and self.reports(a)
                and (a.quota is None or a.quota.checked_at <= due)
            ]
            if accounts:
                await asyncio.gather(*(self.refresh(a) for a in accounts))

    async def close(self) -> None:
        """Cancel background readings."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
