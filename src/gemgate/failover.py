"""Failover: one attempt after another on the pool's accounts (of the kinds that can), each failure booked on
its account, until one answers or the attempts run out; the failure that tells the client most is reported.
A request carrying its own credentials (`gemgate.personal`) gets one attempt and no pool.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from .catalog import ModelSpec
from .errors import Cause, Failure, GatewayError, UpstreamError
from .gateway import Gateway
from .outcome import Outcome
from .personal import PersonalLease, current as personal_account, personal_error
from .pool import Lease, no_usable_account
from .upstreams.base import Capability, NeedsReauth, Upstream

T = TypeVar("T")


async def with_failover(
    gw: Gateway,
    spec: ModelSpec,
    capability: Capability,
    outcome: Outcome,
    attempt: Callable[[Upstream, Lease], Awaitable[T]],
    prefer: frozenset[str] = frozenset(),
    pinned: str | None = None,
) -> T:
    """Run `attempt` on one account after another until one succeeds or `max_attempts` is reached, the
    `pinned` account first when it can serve now (`Pool.acquire`).

    Only accounts whose kind has `capability` are tried; accounts of the `prefer` kinds first while one of
    them can serve (the kinds that issued the thought signatures the request replays: another kind would
    refuse them, `_unsigned_on_refusal`). A failure the request caused ends it at once (no
    other account would answer differently, and none is blamed); an UNCLEAR one is booked on its account
    only when a later account serves the same request (errors.Cause). An account whose credential the pool
    booked as rejected (401) is tried again once, after its refresh. Raises GatewayError: the most
    informative upstream failure as the client sees it, or the pool's own (429 cooling, 503 none usable, 400
    no kind can do it).
    """
    record = personal_account()
    if record is not None:
        return await _personal(gw, record, spec, capability, outcome, attempt)
    kinds = gw.kinds_with(capability)
    if not kinds or (spec.kinds is not None and not kinds & spec.kinds):
        raise GatewayError(400, f"No upstream kind serving '{spec.requested}' supports {capability.value}")
    tried: list[str] = []
    refreshed: set[str] = set()
    failures: list[UpstreamError] = []
    unclear: list[tuple[Lease, UpstreamError]] = []
    for _ in range(max(1, gw.settings.max_attempts)):
        try:
            lease = await _acquire(gw, spec, kinds, prefer, tried, capability.value, pinned)
        except GatewayError:
            if failures:  # what the upstream said beats the pool's own view of it
                raise most_informative(failures).to_gateway() from None
            if tried:  # every account tried was found to need re-auth before anything was sent
                raise no_usable_account(spec.requested) from None
            raise
        account = lease.account
        tried.append(account.id)
        outcome.attempts += 1
        outcome.account, outcome.kind = account.record.name, account.kind
        upstream = gw.upstreams[account.kind]
        try:
            try:
                await gw.credentials.fresh(upstream, account.record)
            except NeedsReauth as exc:
                # The account's own state, found before anything was sent: not this request's failure (and its
                # reason, naming the account, is the operator's). The next account is tried, or the pool says
                # none is usable.
                gw.pool.needs_reauth(account, exc.reason)
                outcome.attempts -= 1
                continue
            result = await attempt(upstream, lease)
        except UpstreamError as err:
            _book(gw, lease, err)
            if err.failure is Failure.AUTH_EXPIRED and err.books and account.id not in refreshed:
                refreshed.add(account.id)  # marked stale by _book: refreshed, then this account once more
                tried.remove(account.id)
            failures.append(err)
            if not err.retryable:
                raise err.to_gateway() from None
            if err.cause is Cause.UNCLEAR:
                unclear.append((lease, err))
            continue
        lease.success()
        for earlier, err in unclear:  # this account served what they refused: it was about them
            _book(gw, earlier, err, confirmed=True)
        return result
    if not failures:
        raise no_usable_account(spec.requested)
    raise most_informative(failures).to_gateway()


async def _personal(
    gw: Gateway, record, spec: ModelSpec, capability: Capability, outcome: Outcome,
    attempt: Callable[[Upstream, Lease], Awaitable[T]],
) -> T:
    """`attempt` once on the account the request carries for itself (`gemgate.personal`): no pool, no
    failover, nothing booked, no credential persisted. Raises GatewayError: 400 when its kind cannot do
    `capability`, else its failure as `personal_error`."""
    if record.kind not in gw.kinds_with(capability):
        raise GatewayError(400, f"The per-request {record.kind} credentials cannot serve {capability.value}")
    outcome.attempts += 1
    outcome.account, outcome.kind = record.name, record.kind
    try:
        return await attempt(gw.upstreams[record.kind], PersonalLease(record, spec.model, capability.value))
    except UpstreamError as err:
        raise personal_error(err) from None


async def _acquire(
    gw: Gateway, spec: ModelSpec, kinds: frozenset[str], prefer: frozenset[str], tried: list[str], capability: str,
    pinned: str | None = None,
) -> Lease:
    """`pool.acquire` (of the `prefer` kinds first, `_preferred`), except that an account whose quota cooldown
    ended unchecked has its quota read first and is passed over when the reading cools it again (each such
    account at most once: it then cools). Raises GatewayError as `Pool.acquire`."""
    while True:
        lease = _preferred(gw, spec, kinds, prefer, tried, capability, pinned)
        if not lease.recheck or await gw.quota.recheck(lease):
            return lease


def _preferred(
    gw: Gateway, spec: ModelSpec, kinds: frozenset[str], prefer: frozenset[str], tried: list[str], capability: str,
    pinned: str | None = None,
) -> Lease:
    """An account of the `prefer` kinds when one can serve now, else of any of `kinds` (a preference, not a
    pin: the pool's errors come from the wider choice)."""
    preferred = kinds & prefer
    if preferred and preferred != kinds:
        try:
            return gw.pool.acquire(spec, preferred, tried, capability, pinned)
        except GatewayError:
            pass  # none of the issuing kind is usable now: another kind, whose refusal the sentinel answers
    return gw.pool.acquire(spec, kinds, tried, capability, pinned)


# Which failure tells a client most when several accounts failed differently: a retry hint first (another
# try may work), then what the model's host said about the model, then passing faults, then account faults.
_INFORMATIVE = (
    Failure.RATE_LIMITED,
    Failure.QUOTA_EXHAUSTED,
    Failure.CAPACITY,
    Failure.NOT_FOUND,
    Failure.TIMEOUT,
    Failure.TRANSIENT,
    Failure.MALFORMED,
    Failure.AUTH_EXPIRED,
    Failure.FORBIDDEN,
    Failure.BAD_REQUEST,
)


def most_informative(failures: list[UpstreamError]) -> UpstreamError:
    """The failure to report when failover ran out: the latest of the best-ranked kind, one that is not only
    about its own account first (an unclear 403 says more about the request than another key's ban)."""
    return min(reversed(failures), key=lambda f: (_INFORMATIVE.index(f.failure), f.cause is Cause.ACCOUNT))


def _book(gw: Gateway, lease: Lease, err: UpstreamError, confirmed: bool = False) -> None:
    """Tell the pool how `lease`'s attempt failed (`confirmed`: an UNCLEAR failure shown to be the account's,
    already counted); a rejected credential the pool books is refreshed before its next use."""
    if confirmed:
        lease.confirm(err)
    else:
        lease.failure(err)
    if err.failure is Failure.AUTH_EXPIRED and err.books:
        gw.credentials.mark_stale(lease.account.id, lease.account.record.version)
