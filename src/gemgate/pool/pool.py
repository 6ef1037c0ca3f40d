"""The account pool: round-robin selection, cooldowns from upstream hints, failover bookkeeping.

Selection never touches the store; state changes are written behind, in order, by one task,
and the store is polled so accounts added or re-enabled from the command line show up.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Iterable

from ..errors import Cause, Failure, GatewayError, Scope, UpstreamError
from ..catalog import ModelSpec
from ..store import HealthRecord, Store
from .account import ACCOUNT_WIDE, Account, Cooldown, now

log = logging.getLogger("gemgate.pool")



def no_usable_account(model: str) -> GatewayError:
    """The 503 (code no_usable_account) for a model whose every account is disabled or needs re-auth. It names
    no account and no reason: those are the operator's business (`gemgate accounts list`), not the caller's."""
    return GatewayError(
        503,
        f"No usable account for model '{model}': every account that serves it is disabled or needs re-auth. "
        "The gateway's operator can see why with `gemgate accounts list` and put one back with "
        "`gemgate accounts enable`.",
        code="no_usable_account",
    )

class Lease:
    """The use of one account for one attempt; report how it went with `success` or `failure`."""

    __slots__ = ("account", "model", "capability", "_pool")

    def __init__(self, pool: Pool, account: Account, model: str, capability: str = "generate") -> None:
        self._pool = pool
        self.account = account
        self.model = model
        self.capability = capability

    def success(self) -> None:
        """The attempt worked: count the request; the account's run of confirmed unexplained failures ends."""
        acc = self.account
        acc.requests += 1
        acc.last_used = now()
        acc.strikes = 0

    def failure(self, error: UpstreamError) -> None:
        """The attempt failed: the pool books it (cooldown, not-found, disable) by its kind and cause."""
        self._pool.record_failure(self.account, self.model, error, self.capability)

    def confirm(self, error: UpstreamError) -> None:
        """An UNCLEAR failure of this attempt turned out to be the account's (another account then served
        the same request): book it now (see `Pool.record_failure`)."""
        error.confirmed = True
        self._pool.record_failure(self.account, self.model, error, self.capability, counted=True)


class Pool:
    """The accounts, their health per (account, model), and which one serves next (round-robin).

    Cooldowns come from the upstream's retry hints (default `default_cooldown` seconds) and expire by
    themselves; a not-found model cools for `not_found_cooldown` seconds on that account. An account-caused
    FORBIDDEN disables at once; an unexplained one (status only, see errors.Cause.UNCLEAR), even once
    confirmed, only after `strikes_to_disable` in a row with no success between: another account serving the
    same request shows this account differs, not that it is dead (it may lack a file the other one owns).
    """

    def __init__(
        self,
        store: Store,
        *,
        default_cooldown: float = 60.0,
        not_found_cooldown: float = 3600.0,
        strikes_to_disable: int = 3,
    ) -> None:
        self.store = store
        self.default_cooldown = default_cooldown
        self.not_found_cooldown = not_found_cooldown
        self.strikes_to_disable = strikes_to_disable
        self.accounts: dict[str, Account] = {}
        self._rr: dict[tuple, int] = {}
        self._candidates: dict[tuple, list[Account]] = {}
        self._writes: asyncio.Queue = asyncio.Queue()

    # selection

    def _candidate_list(self, key: tuple, spec: ModelSpec, kinds: frozenset[str] | None) -> list[Account]:
        cands = self._candidates.get(key)
        if cands is None:
            cands = [
                a
                for a in self.accounts.values()
                if (spec.kinds is None or a.kind in spec.kinds)
                and (kinds is None or a.kind in kinds)
                and a.serves(spec.model)
            ]
            self._candidates[key] = cands
        return cands

    def acquire(
        self, spec: ModelSpec, kinds: frozenset[str] | None = None, tried: Iterable[str] = (), capability: str = "generate"
    ) -> Lease:
        """The next account that can serve `spec` now, of one of `kinds` (None: any), skipping `tried` ids.

        `capability` ("generate", "embed", "count_tokens") scopes what upstreams said about a model (not
        found, rate-limited): a model that cannot generate may still embed, and Google meters generateContent,
        countTokens and embedContent apart (see `state_key`), so a generation cooldown leaves countTokens free.

        Raises GatewayError 429 (with Retry-After) when some candidate is only cooling; 404 (with the
        upstream's message) when the others answered that the model does not exist; 503 when none can serve.
        """
        key = (spec.model, spec.kinds, kinds)
        cands = self._candidate_list(key, spec, kinds)
        n = len(cands)
        if n == 0:
            raise GatewayError(
                503, f"No account configured for model '{spec.requested}'. Add one with `gemgate accounts add-apikey`."
            )
        start = self._rr.get(key, 0) % n
        t = now()
        earliest = math.inf
        reasons: list[str] = []
        not_found: str | None = None
        tried = set(tried)
        key_state = state_key(spec.model, capability)
        for i in range(n):
            acc = cands[(start + i) % n]
            if acc.missing:
                missing = acc.missing_reason(key_state, t)
                if missing is not None:
                    not_found = missing
                    continue
            until = acc.blocked_until(key_state, t)
            if until is None:
                if acc.id in tried:
                    continue
                self._rr[key] = (start + i + 1) % n
                return Lease(self, acc, spec.model, capability)
            earliest = min(earliest, until)
            reasons.append(self._why(acc, key_state))
        if earliest == math.inf and not_found is not None:
            # A fact about (account, model), not a rate limit: every account that could serve it said so.
            raise GatewayError(404, not_found, param="model", code="model_not_found", upstream=True)
        if earliest == math.inf:
            if tried:
                raise GatewayError(503, f"Every account for model '{spec.requested}' failed.")
            # Account names and why each is out are the operator's business, not the caller's: logged, not sent.
            log.warning("no usable account for %s: %s", spec.requested, "; ".join(reasons))
            raise no_usable_account(spec.requested)
        raise GatewayError(
            429,
            f"All accounts for model '{spec.requested}' are cooling down; the first is free again in "
            f"{max(1, int(earliest - t + 0.999))} s.",
            retry_after=earliest - t,
            code="all_accounts_cooling",
        )

    @staticmethod
    def _why(acc: Account, key: str) -> str:
        if not acc.record.enabled:
            return f"{acc.record.name}: {acc.record.disabled_reason or 'disabled'}"
        if acc.reauth is not None:
            return f"{acc.record.name}: needs re-auth: {acc.reauth}"
        cd = acc.cooldowns.get(key) or acc.cooldowns.get(ACCOUNT_WIDE)
        return f"{acc.record.name}: {cd.reason if cd else 'cooling'}"

    # outcomes

    def record_failure(
        self, acc: Account, model: str, error: UpstreamError, capability: str = "generate", counted: bool = False
    ) -> None:
        """Book a failed attempt. Every failure counts as an error of the account (`counted`: already was);
        only those it `books` (the account's or the service's, and unclear ones once confirmed) change its
        state: rate limits cool (account, model, capability) or the account; not-found marks (model,
        capability) missing on the account; forbidden
        disables the account (a confirmed unexplained one after `strikes_to_disable` in a row); auth-expired is
        left to the credential lifecycle."""
        if not counted:
            acc.errors += 1
            acc.last_error = f"{error.failure}: {error.message}"[:300]
            acc.last_used = now()
        if not error.books:
            return  # the request's own failure, or not shown to be the account's: nothing to hold against it
        kind = error.failure
        if kind in (Failure.RATE_LIMITED, Failure.QUOTA_EXHAUSTED, Failure.CAPACITY):
            if kind is Failure.CAPACITY and not error.retry_after:
                return  # the model is busy for everyone: not this account's fault
            delay = error.retry_after if error.retry_after is not None else self.default_cooldown
            scope = ACCOUNT_WIDE if error.scope is Scope.ACCOUNT else state_key(model, capability)
            self.cool(acc, scope, delay, f"{kind}: {error.message}"[:200])
        elif kind is Failure.NOT_FOUND:
            self.mark_missing(acc, state_key(model, capability), error.message)
        elif kind is Failure.FORBIDDEN:
            if error.cause is Cause.UNCLEAR:
                acc.strikes += 1
                if acc.strikes < self.strikes_to_disable:
                    return
                reason = f"{kind} ({acc.strikes} unexplained in a row while other accounts served): {error.message}"
                self.disable(acc, reason[:300])
                return
            self.disable(acc, f"{kind}: {error.message}"[:300])

    def mark_missing(self, acc: Account, model: str, message: str) -> None:
        """The upstream says `acc` does not serve `model` (for one capability: see `state_key`): skip it
        for that for `not_found_cooldown` seconds, and answer 404 with `message` when no other account can."""
        until = now() + self.not_found_cooldown
        acc.missing[model] = Cooldown(until, message[:300])
        log.info("account %s: model %s not found upstream", acc.record.name, model)
        self._writes.put_nowait(self.store.put_health(HealthRecord(acc.id, model, "not_found", until, message[:300])))

    def needs_reauth(self, acc: Account, reason: str) -> None:
        """Take the account out of rotation until its credential is replaced or it is re-enabled."""
        acc.reauth = reason[:300]
        log.warning("account %s needs re-auth: %s", acc.record.name, reason)
        self._writes.put_nowait(self.store.put_health(HealthRecord(acc.id, ACCOUNT_WIDE, "needs_reauth", None, reason)))

    def cool(self, acc: Account, model: str, seconds: float, reason: str) -> None:
        """`acc` may not serve `model` (a `state_key`; "*": anything) for `seconds`."""
        until = now() + max(0.0, seconds)
        acc.cooldowns[model] = Cooldown(until, reason)
        log.info("account %s cooling for %s until %.0f: %s", acc.record.name, model, until, reason)
        self._writes.put_nowait(self.store.put_health(HealthRecord(acc.id, model, "cooling", until, reason)))

    def disable(self, acc: Account, reason: str) -> None:
        """Take the account out of rotation until enabled by hand."""
        acc.record.enabled = False
        acc.record.disabled_reason = reason
        acc.record.version += 1
        self._candidates.clear()
        log.warning("account %s disabled: %s", acc.record.name, reason)
        self._writes.put_nowait(self.store.set_account_enabled(acc.id, False, reason))

    # state sync

    def set_accounts(self, accounts: list[Account]) -> None:
        """Replace the accounts."""
        self.accounts = {a.id: a for a in accounts}
        self._candidates.clear()

    def invalidate(self) -> None:
        """Forget cached candidate lists (after model lists changed)."""
        self._candidates.clear()

    async def load(self) -> None:
        """Take accounts and health from the store, keeping what is unchanged in memory."""
        records = await self.store.list_accounts()
        health = await self.store.list_health()
        by_account: dict[str, list[HealthRecord]] = {}
        for h in health:
            by_account.setdefault(h.account_id, []).append(h)
        fresh: list[Account] = []
        for rec in records:
            old = self.accounts.get(rec.id)
            if old is not None and old.record.version == rec.version:
                if rec.models is not None and old.served != frozenset(rec.models):
                    old.record.models = rec.models
                    old.served = frozenset(rec.models)
                fresh.append(old)
                continue
            acc = Account(rec)
            for h in by_account.get(rec.id, ()):
                if h.state == "needs_reauth":
                    acc.reauth = h.reason
                elif h.state == "not_found":
                    acc.missing[h.model] = Cooldown(h.until or math.inf, h.reason)
                else:
                    acc.cooldowns[h.model] = Cooldown(h.until or math.inf, h.reason)
            if old is not None:
                acc.served = old.served if rec.models is None else acc.served
            fresh.append(acc)
        changed = set(self.accounts) != {a.id for a in fresh} or any(
            self.accounts.get(a.id) is not a for a in fresh
        )
        if changed:
            self.set_accounts(fresh)

    async def flush(self) -> None:
        """Write queued state changes in order, then the request counters."""
        while not self._writes.empty():
            coro = self._writes.get_nowait()
            try:
                await coro
            except Exception:  # a failed write must not stop later ones
                log.exception("state write failed")
        for acc in self.accounts.values():
            stats = acc.take_stats()
            if stats is not None:
                await self.store.add_stats(acc.id, *stats)

    async def sync(self) -> None:
        """One round: write what is pending, then take in changes made elsewhere (the command line)."""
        await self.flush()
        versions = await self.store.account_versions()
        if versions != {a.id: a.record.version for a in self.accounts.values()}:
            await self.load()


def state_key(model: str, capability: str) -> str:
    """What per-model account state (a not-found, a model-scoped cooldown) is kept under: what the upstream
    said it is about. The model for generation, "model (capability)" otherwise: Google meters each method
    apart (its 429s name the metric, e.g. quotaMetric "generate_content_free_tier_requests" with quotaId
    "GenerateRequestsPerMinutePerProjectPerModel", reference/codeassist-and-gemini-api.md; embeddings have
    their own "embed content input tokens per minute", cloud.google.com/vertex-ai/generative-ai/docs/quotas),
    and a model may serve one method and not another."""
    return model if capability == "generate" else f"{model} ({capability})"
