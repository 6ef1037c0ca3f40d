"""Read-only shapes the admin operations return: what a CLI table, an admin API or a console shows.

They never hold a credential: no account secret, no client key, no key hash, no proxy password. Texts that
may quote an upstream (last error, reasons) are redacted again when shown: a database written before the
gateway knew a secret may hold it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..redaction import redact
from ..store import AccountRecord, AccountStats, ClientKeyRecord, HealthRecord
from ..upstreams import UPSTREAM_KINDS
from .validate import redact_proxy

ACCOUNT_WIDE = "*"  # the health-record model meaning "every model of this account"


@dataclass(frozen=True)
class CooldownView:
    """One active health record of an account.

    model: the model id, or "*" for the whole account; scope: "account" for "*", else the model id;
    state: "cooling", "quota" (cooling until a quota refills), "not_found" or "needs_reauth"; until: epoch
    seconds, None = until cleared by hand; reason: why.
    """

    model: str
    scope: str
    state: str
    until: float | None
    reason: str


@dataclass(frozen=True)
class QuotaView:
    """One model's quota at the account's latest reading: fraction 0..1 left (None: not reported), reset
    epoch seconds when it refills (None: not reported)."""

    model: str
    fraction: float | None
    reset: float | None


@dataclass(frozen=True)
class AccountView:
    """One account as an operator sees it.

    state: "disabled" (taken out by hand or by the gateway), "needs_reauth", "cooling" or "ok", in that
    precedence. until: epoch seconds when the earliest cooldown ends (None unless cooling, or when it has
    no end). reason: why the state is not ok ("" when ok). proxy: password replaced by "***".
    credential: the kind's safe description of the credential (`Upstream.describe_secret`, gemini-api:
    `AIza…x9Qk`), to tell accounts apart; "" when the kind gives none. warning: the kind's word that the
    credential is near its end, with what to do (`Upstream.credential_warning`); "" for none.
    requests / errors: counters since the account was added; last_used: epoch seconds or None.
    quota: each model's quota at the latest reading, emptiest first (kinds that report quota; () before the
    first reading); quota_checked: when that reading was taken (epoch seconds) or None.
    """

    id: str
    name: str
    kind: str
    state: str
    enabled: bool
    disabled_reason: str | None
    proxy: str | None
    models: tuple[str, ...] | None
    created_at: float
    cooldowns: tuple[CooldownView, ...]
    until: float | None
    reason: str
    requests: int
    errors: int
    last_error: str | None
    last_used: float | None
    credential: str = ""
    quota: tuple[QuotaView, ...] = ()
    quota_checked: float | None = None
    warning: str = ""

    @property
    def lowest_quota(self) -> QuotaView | None:
        """The model with the least quota left (a reported fraction), or None."""
        return next((q for q in self.quota if q.fraction is not None), None)


@dataclass(frozen=True)
class KeyView:
    """One client key without the key or its hash.

    prefix: the first characters of the key ("gg-" and 6 more), to recognise it; created_at /
    revoked_at: epoch seconds (revoked_at None while active); revoked: revoked_at is not None.
    """

    id: str
    name: str
    prefix: str
    created_at: float
    revoked_at: float | None
    revoked: bool


def key_view(record: ClientKeyRecord) -> KeyView:
    """The KeyView of a stored client key record."""
    return KeyView(
        id=record.id,
        name=record.name,
        prefix=record.prefix,
        created_at=record.created_at,
        revoked_at=record.revoked_at,
        revoked=record.revoked_at is not None,
    )


def cooldown_view(h: HealthRecord) -> CooldownView:
    """The CooldownView of a stored health record."""
    return CooldownView(h.model, "account" if h.model == ACCOUNT_WIDE else h.model, h.state, h.until, redact(h.reason))


def _ends(c: CooldownView) -> float:
    return math.inf if c.until is None else c.until


def account_view(
    record: AccountRecord, health: list[HealthRecord], stats: AccountStats | None, now: float
) -> AccountView:
    """Build the view of `record` from its health records (others are ignored) and counters.

    Health records whose `until` (epoch seconds) is at or before `now` are over and left out.
    """
    active = [h for h in health if h.account_id == record.id and (h.until is None or h.until > now)]
    cooldowns = tuple(sorted((cooldown_view(h) for h in active), key=lambda c: (_ends(c), c.model)))
    reauth = [c for c in cooldowns if c.state == "needs_reauth"]
    cooling = [c for c in cooldowns if c.state != "needs_reauth"]
    until = None
    disabled_reason = redact(record.disabled_reason) if record.disabled_reason else record.disabled_reason
    if not record.enabled:
        state, reason = "disabled", disabled_reason or ""
    elif reauth:
        state, reason = "needs_reauth", reauth[0].reason
    elif cooling:
        state, reason, until = "cooling", cooling[0].reason, cooling[0].until
    else:
        state, reason = "ok", ""
    stats = stats or AccountStats()
    return AccountView(
        id=record.id,
        name=record.name,
        kind=record.kind,
        state=state,
        enabled=record.enabled,
        disabled_reason=disabled_reason,
        proxy=redact_proxy(record.proxy),
        models=tuple(record.models) if record.models is not None else None,
        created_at=record.created_at,
        cooldowns=cooldowns,
        until=until,
        reason=reason,
        requests=stats.requests,
        errors=stats.errors,
        last_error=redact(stats.last_error) if stats.last_error else stats.last_error,
        last_used=stats.last_used,
        credential=_describe(record),
        quota=_quota(record),
        quota_checked=record.quota.checked_at if record.quota is not None else None,
        warning=_warning(record, now),
    )


def _quota(record: AccountRecord) -> tuple[QuotaView, ...]:
    if record.quota is None:
        return ()
    views = (QuotaView(m, r.fraction, r.reset) for m, r in record.quota.models.items())
    return tuple(sorted(views, key=lambda q: (q.fraction is None, q.fraction or 0.0, q.model)))


def _warning(record: AccountRecord, now: float) -> str:
    cls = UPSTREAM_KINDS.get(record.kind)
    if cls is None or not isinstance(record.secret, dict):
        return ""
    return redact(cls.credential_warning(record.secret, record.created_at, now).replace("<name>", record.name))


def _describe(record: AccountRecord) -> str:
    cls = UPSTREAM_KINDS.get(record.kind)
    return cls.describe_secret(record.secret) if cls is not None and isinstance(record.secret, dict) else ""
