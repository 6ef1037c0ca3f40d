"""The account pool: round-robin selection, cooldowns from upstream hints, failover bookkeeping.

Selection never touches the store; state changes are written behind, in order, by one task,
and the store is polled so accounts added or re-enabled from the command line show up.
"""

from __future__ import annotations

import asyncio
import logging
import math
from datetime import datetime, timezone
from collections.abc import Callable, Iterable

from ..disclosure import ACCOUNT_DETAILS, for_client
from ..errors import Cause, Failure, GatewayError, Scope, UpstreamError
from ..catalog import ModelSpec
from ..store import HealthRecord, QuotaSnapshot, Store
from .account import ACCOUNT_WIDE, ESCALATION, FAILURE, READING, Account, Cooldown, now
from .shared import adopt_quota, take_in

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
    """The use of one account for one attempt; report how it went with `success` or `failure`. `recheck`: a
    quota cooldown of this (account, model) ended unchecked; ask the upstream's quota before using it."""

    __slots__ = ("account", "model", "capability", "recheck", "_pool")

    def __init__(self, pool: Pool, account: Account, model: str, capability: str = "generate") -> None:
        self._pool = pool
        self.account = account
        self.model = model
        self.capability = capability
        self.recheck = account.needs_recheck(self.key)

    @property
    def key(self) -> str:
        """The (model, capability) state key the pool keeps this lease's account state under (`state_key`)."""
        return state_key(self.model, self.capability)

    def usable(self) -> bool:
        """Whether the account may serve the lease's model now (after a quota re-check cooled it again: not)."""
        return self.account.blocked_until(self.key, now()) is None

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

    Cooldowns come from the upstream's retry hints (default `default_cooldown` seconds, at most `quota_recheck`)
    and expire by themselves; a not-found model cools for `not_found_cooldown` seconds on that account. Quota (kinds in
    `quota_kinds`, see `apply_quota`): a model whose reading is 0 cools until its reset, at most
    `quota_recheck` seconds; a quota cooldown that ends is re-checked before use (`Lease.recheck`);
    `escalate_models` models cooled by quota 429s within `escalate_window` seconds cool the whole account.
    An account-caused FORBIDDEN disables at once; an unexplained one (status only, see errors.Cause.UNCLEAR), even once
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
        quota_kinds: frozenset[str] = frozenset(),
        quota_recheck: float = 24 * 3600.0,
        escalate_models: int = 3,
        escalate_window: float = 600.0,
    ) -> None:
        self.store = store
        self.default_cooldown = default_cooldown
        self.not_found_cooldown = not_found_cooldown
        self.strikes_to_disable = strikes_to_disable
        self.quota_kinds = quota_kinds
        self.quota_recheck = quota_recheck
        self.escalate_models = escalate_models
        self.escalate_window = escalate_window
        # Called with an account whose quota reading is out of date (a 429 said so); the gateway asks again.
        self.on_quota_stale: Callable[[Account], None] | None = None
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

    def serves(self, spec: ModelSpec, kind: str) -> bool:
        """Whether an account of `kind` is configured for `spec` (usable now or not)."""
        return bool(self._candidate_list((spec.model, spec.kinds, frozenset({kind})), spec, frozenset({kind})))

    def acquire(
        self, spec: ModelSpec, kinds: frozenset[str] | None = None, tried: Iterable[str] = (), capability: str = "generate",
        pinned: str | None = None,
    ) -> Lease:
        """The next account that can serve `spec` now, of one of `kinds` (None: any), skipping `tried` ids;
        the `pinned` account id first when it is among them and can serve now (affinity: it holds the upstream
        conversation the request continues), without moving the round-robin turn.

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
        if pinned is not None and pinned not in tried:
            acc = self.accounts.get(pinned)
            if acc is not None and acc in cands and not (acc.missing and acc.missing_reason(key_state, t)) \
                    and acc.blocked_until(key_state, t) is None:
                return Lease(self, acc, spec.model, capability)
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
                nxt = start + i + 1
                if n > 1 and acc.quota is not None and self._fuller(cands[nxt % n], acc, key_state, tried, t):
                    acc, nxt = cands[nxt % n], nxt + 1
                self._rr[key] = nxt % n
                return Lease(self, acc, spec.model, capability)
            earliest = min(earliest, until)
            reasons.append(self._why(acc, key_state))
        if earliest == math.inf and not_found is not None:
            # A fact about (account, model), not a rate limit: every account that could serve it said so.
            raise GatewayError(404, for_client(not_found), param="model", code="model_not_found", upstream=True)
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
    def _fuller(other: Account, acc: Account, key: str, tried: set[str], t: float) -> bool:
        """Whether `other` (the next in turn) has more of `key`'s quota left than `acc` and may serve
        now: one look ahead, so selection stays O(1) while preferring accounts with more left (equal or unknown
        quota leaves plain round-robin)."""
        mine, theirs = acc.remaining(key), other.remaining(key)
        if mine is None or theirs is None or theirs <= mine or other.id in tried:
            return False
        return not (other.missing and other.missing_reason(key, t)) and other.blocked_until(key, t) is None

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
        capability) missing on the account; passing faults cool only as `_cool_passing` says; forbidden
        disables the account (a confirmed unexplained one after `strikes_to_disable` in a row); auth-expired is
        left to the credential lifecycle."""
        self.register_details()  # a project discovered since the accounts were loaded
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
            # No hint cools longer than a quota cooldown may last (an upstream's 10^20 s is not a reason to
            # drop the account for good); the client is told the same wait.
            delay = min(max(0.0, delay), self.quota_recheck)
            if error.retry_after is not None:
                error.retry_after = delay
            scope = ACCOUNT_WIDE if error.scope is Scope.ACCOUNT else state_key(model, capability)
            reports = acc.kind in self.quota_kinds
            quota = FAILURE if kind is Failure.QUOTA_EXHAUSTED and reports else None
            self.cool(acc, scope, delay, f"{kind}: {error.message}"[:200], quota=quota)
            if quota and scope != ACCOUNT_WIDE:
                self._escalate(acc, scope)
            if reports and kind is not Failure.CAPACITY and self.on_quota_stale is not None:
                self.on_quota_stale(acc)  # the reading that let it be chosen is out of date
        elif kind in (Failure.TRANSIENT, Failure.TIMEOUT, Failure.MALFORMED):
            self._cool_passing(acc, model, capability, error)
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

    def _cool_passing(self, acc: Account, model: str, capability: str, error: UpstreamError) -> None:
        """Book a passing fault (TRANSIENT, TIMEOUT, MALFORMED): the service's only by the upstream's own
        retry hint (errors.Cause.SERVICE); one the upstream says is the account's (its onboarding not finished,
        say) cools it for the hint, else `default_cooldown`, so requests go to other accounts meanwhile instead
        of trying it first each time. The reason is the error's message, as `accounts list` shows it."""
        if error.cause is not Cause.ACCOUNT and error.retry_after is None:
            return
        delay = error.retry_after if error.retry_after is not None else self.default_cooldown
        delay = min(max(0.0, delay), self.quota_recheck)
        scope = ACCOUNT_WIDE if error.scope is Scope.ACCOUNT else state_key(model, capability)
        self.cool(acc, scope, delay, error.message[:300])

    def _escalate(self, acc: Account, model: str) -> None:
        """`model` of `acc` was just cooled by a quota 429: when `escalate_models` distinct models were within
        `escalate_window` seconds and still cool, cool the whole account until the first of them ends.

        Why: Antigravity meters quota per model family, not per model: its 5-hour `remainingFraction`s match
        the family buckets of retrieveUserQuotaSummary ("gemini", "3p": a pool shared by the family,
        reference/antigravity.md §7.1-7.2), and an empty weekly bucket pins every model of the family at 0
        (§7.2). One exhausted model is a model's problem; several distinct ones in a short time mean the
        shared bucket is empty, and trying each remaining model first costs one failed request apiece (the
        "retry storm" CLIProxyAPI avoids with one attempt per credential per round, §10). Three, not two:
        Antigravity-Manager locks QUOTA_EXHAUSTED per model only (§8.3), and two models of different
        families can run out independently. It ends with the first of them, and is re-checked then."""
        t = now()
        acc.quota_hits[model] = t
        for m, at in list(acc.quota_hits.items()):
            cd = acc.cooldowns.get(m)
            if t - at > self.escalate_window or cd is None or cd.quota is None or cd.until <= t:
                del acc.quota_hits[m]
        if len(acc.quota_hits) < self.escalate_models:
            return
        models = sorted(acc.quota_hits)
        until = min(acc.cooldowns[m].until for m in models)
        acc.quota_hits.clear()
        reason = (f"quota exhausted on {len(models)} models ({', '.join(models)}) within "
                  f"{int(self.escalate_window)} s: the whole account cools")
        self.cool(acc, ACCOUNT_WIDE, until - t, reason[:300], quota=ESCALATION)

    def apply_quota(self, acc: Account, snapshot: QuotaSnapshot) -> None:
        """Take a quota reading of `acc`: kept for display and for preferring fuller accounts (written behind
        to the store, so other instances and `gemgate accounts list` see it). A model at 0 cools until its
        reset (at most `quota_recheck` seconds; `default_cooldown` when Google gave no future reset) with the
        reason "quota exhausted until …"; a model with quota left loses the cooldown an earlier reading gave
        it. Cooldowns 429s booked (and their escalation) stay until they end: Google's own refusal beats a
        reading that may lag (§7.2: a pinned 5h bucket can show 100 % while requests fail)."""
        acc.quota = acc.record.quota = snapshot
        self._writes.put_nowait(self.store.set_account_quota(acc.id, snapshot))
        t = now()
        for model, reading in snapshot.models.items():
            acc.recheck.discard(model)
            cd = acc.cooldowns.get(model)
            if reading.fraction == 0:
                reset = reading.reset if reading.reset is not None and reading.reset > t else None
                until = min(reset or t + self.default_cooldown, t + self.quota_recheck)
                if cd is None or cd.until < until:
                    self.cool(acc, model, until - t, _exhausted(reset), quota=READING)
            elif reading.fraction is not None and cd is not None and cd.quota == READING:
                self.lift(acc, model)

    def lift(self, acc: Account, model: str) -> None:
        """End `acc`'s cooldown for `model` ("*": the account-wide one) now."""
        acc.cooldowns.pop(model, None)
        log.info("account %s: cooldown for %s lifted (quota reading)", acc.record.name, model)
        self._writes.put_nowait(self.store.clear_health(acc.id, model))

    def mark_missing(self, acc: Account, model: str, message: str) -> None:
        """The upstream says `acc` does not serve `model` (for one capability: see `state_key`): skip it
        for that for `not_found_cooldown` seconds, and answer 404 with `message` when no other account can."""
        until = now() + self.not_found_cooldown
        acc.missing[model] = Cooldown(until, message[:300])
        log.info("account %s: model %s not found upstream", acc.record.name, model)
        self._writes.put_nowait(self.store.put_health(HealthRecord(acc.id, model, "not_found", until, message[:300])))

    def needs_reauth(self, acc: Account, reason: str) -> None:
        """Take the account out of rotation until its credential is replaced or it is re-enabled."""
        reason = reason.replace("<name>", acc.record.name)  # the advice names this account's own commands
        acc.reauth = reason[:300]
        log.warning("account %s needs re-auth: %s", acc.record.name, reason)
        self._writes.put_nowait(self.store.put_health(HealthRecord(acc.id, ACCOUNT_WIDE, "needs_reauth", None, reason)))

    def reauthed(self, acc: Account) -> None:
        """The account's credential was replaced (e.g. its cookie file re-exported): back in rotation."""
        acc.reauth = None
        self._candidates.clear()
        log.info("account %s: new credential, re-auth mark lifted", acc.record.name)
        self._writes.put_nowait(self.store.clear_health(acc.id, ACCOUNT_WIDE))

    def cool(self, acc: Account, model: str, seconds: float, reason: str, quota: str | None = None) -> None:
        """`acc` may not serve `model` (a `state_key`; "*": anything) for `seconds`; `quota`: until a quota
        refills (where that was learnt, see `Cooldown`), stored as state "quota" so any instance re-checks
        it when it ends."""
        until = now() + max(0.0, seconds)
        acc.cooldowns[model] = Cooldown(until, reason, quota)
        acc.recheck.discard(model)
        log.info("account %s cooling for %s until %s (%.0f s): %s", acc.record.name, model,
                 datetime.fromtimestamp(until, timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ"), seconds, reason)
        state = "cooling" if quota is None else "quota"
        self._writes.put_nowait(self.store.put_health(HealthRecord(acc.id, model, state, until, reason)))

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
        self.register_details()

    def register_details(self) -> None:
        """Tell `disclosure` every account's name, e-mail and project, which no client error may show."""
        ACCOUNT_DETAILS.set(f"pool-{id(self)}", [
            v for a in self.accounts.values()
            for v in (distinctive(a.record.name), a.record.secret.get("email"), a.record.secret.get("project_id"))
        ])

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
                adopt_quota(old, rec.quota)
                take_in(old, by_account.get(rec.id, ()))
                fresh.append(old)
                continue
            acc = Account(rec)
            take_in(acc, by_account.get(rec.id, ()))
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

    async def sync(self, elsewhere: bool = False) -> None:
        """One round: write what is pending, then take in changes made elsewhere: a new account version (the
        command line) reloads; `elsewhere` (the store says someone else wrote) takes in the cooldowns, marks
        and quota readings other instances sharing the store recorded, which bump no version."""
        await self.flush()
        versions = await self.store.account_versions()
        if versions != {a.id: a.record.version for a in self.accounts.values()}:
            await self.load()
        elif elsewhere:
            by_account: dict[str, list[HealthRecord]] = {a: [] for a in self.accounts}
            for h in await self.store.list_health():
                by_account.setdefault(h.account_id, []).append(h)
            quotas = await self.store.account_quotas()
            for acc in self.accounts.values():
                adopt_quota(acc, quotas.get(acc.id))
                take_in(acc, by_account[acc.id])
            self._candidates.clear()


def state_key(model: str, capability: str) -> str:
    """What per-model account state (a not-found, a model-scoped cooldown) is kept under: what the upstream
    said it is about. The model for generation, "model (capability)" otherwise: Google meters each method
    apart (its 429s name the metric, e.g. quotaMetric "generate_content_free_tier_requests" with quotaId
    "GenerateRequestsPerMinutePerProjectPerModel", reference/codeassist-and-gemini-api.md; embeddings have
    their own "embed content input tokens per minute", cloud.google.com/vertex-ai/generative-ai/docs/quotas),
    and a model may serve one method and not another."""
    return model if capability == "generate" else f"{model} ({capability})"


def distinctive(name: str) -> str | None:
    """An account name worth scrubbing from client errors: one no ordinary word is ("ada-at-example.com",
    "key-2", a name of 12 or more letters); None for one like "empty", which would blank that word in every
    message (names reach messages only through advice the client never sees: this is the second line)."""
    return name if len(name) >= 12 or any(not c.isalpha() for c in name) else None


def _exhausted(reset: float | None) -> str:
    """The cooldown reason of a model whose quota reading is 0."""
    if reset is None:
        return "quota exhausted (no reset time given; asked again soon)"
    return "quota exhausted until " + datetime.fromtimestamp(reset, timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")
