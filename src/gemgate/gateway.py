"""The running gateway's state: settings, store, pool, catalogue, upstreams, caches; started and stopped once."""

from __future__ import annotations

import asyncio
import logging

from .auth import KeyRing
from .config import Settings
from .errors import UpstreamError, UpstreamKind
from .media import MediaFetcher
from .models import Catalog
from .pool import Pool
from .signatures import SignatureCache
from .store import Store, open_store
from .upstreams import build_upstreams
from .upstreams.base import Upstream

log = logging.getLogger("gemgate")


class Gateway:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.catalog = Catalog(settings.aliases)
        self.keys = KeyRing(settings.client_keys)
        self.signatures = SignatureCache()
        self.upstreams: dict[str, Upstream] = build_upstreams(settings)
        self.media = MediaFetcher(settings)
        self.store: Store | None = None
        self.pool: Pool | None = None
        self._tasks: list[asyncio.Task] = []

    async def start(self) -> None:
        self.store = await open_store(self.settings)
        self.pool = Pool(
            self.store,
            default_cooldown=self.settings.default_cooldown_seconds,
            not_found_cooldown=self.settings.not_found_cooldown_seconds,
        )
        for upstream in self.upstreams.values():
            await upstream.start()
        await self.media.start()
        await self.pool.load()
        await self.reload_keys()
        await self.discover_models()
        self._tasks = [
            asyncio.create_task(self._sync_loop()),
            asyncio.create_task(self._discovery_loop()),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.pool is not None:
            await self.pool.flush()
        for upstream in self.upstreams.values():
            await upstream.close()
        await self.media.close()
        if self.store is not None:
            await self.store.close()

    async def reload_keys(self) -> None:
        self.keys.load(await self.store.list_client_keys())

    async def discover_models(self) -> None:
        """Ask each account which models it serves; the catalogue is their union plus aliases."""
        pool = self.pool
        accounts = [a for a in pool.accounts.values() if a.record.enabled]

        async def one(acc):
            upstream = self.upstreams.get(acc.kind)
            if upstream is None:
                return acc, None
            try:
                return acc, await upstream.list_models(acc.record)
            except Exception as exc:  # noqa: BLE001 - any failure leaves the old list in place
                return acc, exc

        served: dict[str, dict[str, dict]] = {}
        for acc, result in await asyncio.gather(*(one(a) for a in accounts)):
            if isinstance(result, list):
                ids = [m["name"].removeprefix("models/") for m in result]
                if acc.served != frozenset(ids):
                    acc.served = frozenset(ids)
                    acc.record.models = ids
                    await self.store.set_account_models(acc.id, ids)
                for resource in result:
                    served.setdefault(acc.kind, {})[resource["name"].removeprefix("models/")] = resource
            elif result is not None:
                log.warning("model discovery failed for account %s: %s", acc.record.name, result)
                if isinstance(result, UpstreamError) and result.kind in (
                    UpstreamKind.FORBIDDEN,
                    UpstreamKind.AUTH_EXPIRED,
                ):
                    pool.disable(acc, f"{result.kind}: {result.message}"[:300])
        # Accounts whose discovery failed keep their last known list (from the store); one never
        # discovered offers its upstream's well-known models until discovery succeeds.
        for acc in pool.accounts.values():
            upstream = self.upstreams.get(acc.kind)
            known = acc.served if acc.served is not None else (upstream.fallback_models if upstream else ())
            for model_id in known:
                served.setdefault(acc.kind, {}).setdefault(model_id, {"name": f"models/{model_id}"})
        self.catalog.replace(served)
        pool.invalidate()

    async def _sync_loop(self) -> None:
        known = set(self.pool.accounts)
        while True:
            await asyncio.sleep(self.settings.state_sync_seconds)
            try:
                await self.pool.sync()
                await self.reload_keys()
                if set(self.pool.accounts) != known:  # accounts added or removed: ask the new ones
                    known = set(self.pool.accounts)
                    await self.discover_models()
            except Exception:
                log.exception("state sync failed")

    async def _discovery_loop(self) -> None:
        while True:
            # An account whose models are still unknown (upstream down at start) is asked again soon.
            undiscovered = any(a.served is None and a.record.enabled for a in self.pool.accounts.values())
            await asyncio.sleep(
                min(30.0, self.settings.models_refresh_seconds)
                if undiscovered
                else self.settings.models_refresh_seconds
            )
            try:
                await self.discover_models()
            except Exception:
                log.exception("model discovery failed")
