"""The running gateway's state: settings, store, pool, catalogue, upstreams, credentials, signatures and
outcome hooks; started and stopped once, with the loops that keep it in step with the store."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable

from .auth import ClientIdentity, KeyRing
from .catalog import Catalog, ModelSpec
from .config import Settings
from .dialects.base import RenderContext
from .errors import Failure, UpstreamError
from .gemini.signatures import SignatureStore
from .http.media import MediaFetcher
from .outcome import Outcomes
from .pool import Pool
from .quota import QuotaWatch
from .redaction import KNOWN, url_secrets
from .store import Store, open_store
from .upstreams import build_upstreams, kinds_with, remember_accounts
from .upstreams.base import Capability, NeedsReauth, Upstream
from .upstreams.credentials import CredentialKeeper

log = logging.getLogger("gemgate")

Admission = Callable[[ClientIdentity | None, ModelSpec], None]
PURGE_SECONDS = 3600.0


class Gateway:
    """Everything a request needs at run time. Raises ValueError at construction for invalid
    `[upstreams.<kind>]` sections."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.upstreams: dict[str, Upstream] = build_upstreams(settings.upstreams)
        self.catalog = Catalog(settings.aliases, self.upstreams, settings.limits.model_name_chars,
                               settings.default_model)
        self.keys = KeyRing(settings.client_keys)
        self.media = MediaFetcher(settings)
        self.outcomes = Outcomes()
        # Checks run before an account is acquired (usage limits later); each raises GatewayError to refuse.
        self.admission: list[Admission] = []
        self.store: Store | None = None
        self.pool: Pool | None = None
        self.signatures = SignatureStore(None)
        self.render_context = RenderContext(self.signatures, settings.thoughts_in_content, settings.think_tag)
        self.credentials: CredentialKeeper | None = None
        self.quota = QuotaWatch(self)
        self._kinds_with = {cap: kinds_with(cap, self.upstreams.values()) for cap in Capability}
        self._tasks: list[asyncio.Task] = []
        # Redaction sources of its own: several gateways in one process (tests) do not undo each other's.
        self.secrets_source = f"gateway-{id(self):x}"
        # Secrets the settings hold in plain text: configured client keys, default proxies' passwords.
        proxies = [u.settings.proxy for u in self.upstreams.values()]
        KNOWN.set(self.secrets_source + "-settings", [*settings.client_keys, *(s for p in proxies for s in url_secrets(p))])

    def kinds_with(self, capability: Capability) -> frozenset[str]:
        """The upstream kinds that have `capability`."""
        return self._kinds_with[capability]

    async def preferred_account(self, spec: ModelSpec, request: dict) -> str | None:
        """The account a generation should go to, as the first upstream kind with an account for `spec` that has
        one in mind says (`Upstream.preferred_account`); None: any."""
        for kind in self._kinds_with[Capability.GENERATE]:
            if (spec.kinds is None or kind in spec.kinds) and self.pool is not None and self.pool.serves(spec, kind):
                account = await self.upstreams[kind].preferred_account(spec.model, request)
                if account is not None:
                    return account
        return None

    def admit(self, identity: ClientIdentity | None, spec: ModelSpec) -> None:
        """Run the admission checks (identity and limits) for a request; a check raises GatewayError to refuse."""
        for check in self.admission:
            check(identity, spec)

    async def start(self) -> None:
        """Open the store, start upstreams, load the pool and keys, discover models, start the loops."""
        self.store = await open_store(self.settings)
        self.signatures = SignatureStore(self.store, ttl=self.settings.signature_ttl_seconds)
        self.render_context = RenderContext(
            self.signatures, self.settings.thoughts_in_content, self.settings.think_tag, self.store,
            self.settings.kept_ttl_seconds,
        )
        self.credentials = CredentialKeeper(self.store, self.secrets_source)
        self.pool = Pool(
            self.store,
            default_cooldown=self.settings.default_cooldown_seconds,
            not_found_cooldown=self.settings.not_found_cooldown_seconds,
            quota_kinds=frozenset(k for k, u in self.upstreams.items() if u.reports_quota),
            quota_recheck=self.settings.quota_recheck_seconds,
            escalate_models=self.settings.quota_escalate_models,
            escalate_window=self.settings.quota_escalate_window_seconds,
        )
        self.pool.on_quota_stale = self.quota.soon
        for upstream in self.upstreams.values():
            upstream.attach(self.store, self.media)
            await upstream.start()
            if self.settings.auto_load_env_creds:
                await upstream.import_environment(self.store, os.environ)
        await self.media.start()
        await self.pool.load()
        self._remember_secrets()
        await self.reload_keys()
        await self.discover_models()
        self._tasks = [
            asyncio.create_task(self._sync_loop()),
            asyncio.create_task(self._discovery_loop()),
            asyncio.create_task(self.quota.loop()),
            *(asyncio.create_task(self._upkeep_loop(u)) for u in self.upstreams.values() if u.upkeep_interval()),
        ]

    async def stop(self) -> None:
        """Stop the loops and background runs, write pending state, close everything."""
        await self.render_context.runs.stop()  # first: a run keeps its failure in the store
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.quota.close()
        if self.pool is not None:
            await self.pool.flush()
        for upstream in self.upstreams.values():
            await upstream.close()
        await self.media.close()
        if self.store is not None:
            await self.store.close()
        KNOWN.set(self.secrets_source, ())
        KNOWN.set(self.secrets_source + "-settings", ())

    def _remember_secrets(self) -> None:
        """Every account's secrets are scrubbed from upstream text (accounts added or removed elsewhere too)."""
        remember_accounts((a.record for a in self.pool.accounts.values()), self.secrets_source)

    async def reload_keys(self) -> None:
        """Take the stored client keys (so `keys create/revoke` reach a running server)."""
        self.keys.load(await self.store.list_client_keys())

    async def _models_of(self, acc) -> list[dict] | BaseException | None:
        upstream = self.upstreams.get(acc.kind)
        if upstream is None or Capability.LIST_MODELS not in upstream.capabilities:
            return None
        try:
            await self.credentials.fresh(upstream, acc.record)
            resources, quota = await upstream.models_and_quota(acc.record)
        except Exception as exc:  # noqa: BLE001 - any failure leaves the old list in place
            return exc
        if quota is not None:
            self.pool.apply_quota(acc, quota)
        return resources

    async def discover_models(self) -> None:
        """Ask each account which models it serves; the catalogue is their union plus aliases."""
        pool = self.pool
        accounts = [a for a in pool.accounts.values() if a.record.enabled and a.reauth is None]
        results = await asyncio.gather(*(self._models_of(a) for a in accounts))
        served: dict[str, dict[str, dict]] = {}
        for acc, result in zip(accounts, results):
            if isinstance(result, list):
                ids = [m["name"].removeprefix("models/") for m in result]
                if acc.served != frozenset(ids):
                    acc.served = frozenset(ids)
                    acc.record.models = ids
                    await self.store.set_account_models(acc.id, ids)
                for resource in result:
                    served.setdefault(acc.kind, {})[resource["name"].removeprefix("models/")] = resource
            elif isinstance(result, NeedsReauth):
                pool.needs_reauth(acc, result.reason)
            elif result is not None:
                log.warning("model discovery failed for account %s: %s", acc.record.name, result)
                if isinstance(result, UpstreamError) and result.failure is Failure.FORBIDDEN:
                    pool.disable(acc, f"{result.failure}: {result.message}"[:300])
                elif isinstance(result, UpstreamError) and result.failure is Failure.AUTH_EXPIRED:
                    self.credentials.mark_stale(acc.id, acc.record.version)
        # Accounts whose discovery failed keep their last known list (from the store); one never
        # discovered offers its upstream's well-known models until discovery succeeds.
        for acc in pool.accounts.values():
            upstream = self.upstreams.get(acc.kind)
            known = acc.served if acc.served is not None else (upstream.fallback_models if upstream else ())
            for model_id in known:
                served.setdefault(acc.kind, {}).setdefault(model_id, {"name": f"models/{model_id}"})
        self.catalog.accounts = len(pool.accounts)
        self.catalog.replace(served)
        pool.invalidate()

    async def _sync_loop(self) -> None:
        # Every change_poll_seconds: a cheap "did someone else change the store?"; a full sync when they did,
        # and at least every state_sync_seconds anyway (pending counters, cooldowns that expired).
        known = set(self.pool.accounts)
        purged = synced = time.monotonic()
        poll = max(0.01, min(self.settings.change_poll_seconds, self.settings.state_sync_seconds))
        while True:
            await asyncio.sleep(poll)
            try:
                elsewhere = await self.store.changed()
                if time.monotonic() - synced < self.settings.state_sync_seconds and not elsewhere:
                    continue
                synced = time.monotonic()
                await self.pool.sync(elsewhere)
                self._remember_secrets()
                await self.reload_keys()
                if set(self.pool.accounts) != known:  # accounts added or removed: ask the new ones
                    known = set(self.pool.accounts)
                    await self.discover_models()
                if time.monotonic() - purged > PURGE_SECONDS:
                    purged = time.monotonic()
                    await self.store.purge_expired()
            except Exception:
                log.exception("state sync failed")

    async def upkeep(self, upstream: Upstream, now: float | None = None) -> None:
        """One `Upstream.upkeep` round over the kind's enabled accounts; its verdicts go to the pool (needs
        re-auth, or the mark lifted for a replaced credential). `now`: epoch seconds (tests pass their own)."""
        accounts = [a for a in self.pool.accounts.values() if a.kind == upstream.kind and a.record.enabled]
        reauth = frozenset(a.id for a in accounts if a.reauth is not None)
        verdicts = await upstream.upkeep([a.record for a in accounts], reauth, self.credentials, self.store,
                                         time.time() if now is None else now)
        for acc in accounts:
            if acc.id in verdicts:
                reason = verdicts[acc.id]
                if reason is not None:
                    self.pool.needs_reauth(acc, reason)
                elif acc.reauth is not None:
                    self.pool.reauthed(acc)

    async def _upkeep_loop(self, upstream: Upstream) -> None:
        while True:
            await asyncio.sleep(upstream.upkeep_interval())
            try:
                await self.upkeep(upstream)
            except Exception:
                log.exception("%s upkeep failed", upstream.kind)

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
