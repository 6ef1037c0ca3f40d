"""One account as the pool sees it: its record, its cooldowns, and counters not yet written."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from ..store import AccountRecord, QuotaSnapshot

ACCOUNT_WIDE = "*"
# Where a quota cooldown came from: a failure (Google's 429 said so), a quota reading (fraction 0), or
# several models' failures escalated to the account (Pool.record_failure).
FAILURE, READING, ESCALATION = "failure", "reading", "escalation"


@dataclass
class Cooldown:
    """Not before `until` (epoch seconds), because of `reason`. `quota`: until a quota refills, so its end
    is checked with the upstream before the account serves again (None: an ordinary cooldown; else where it
    came from: FAILURE, READING or ESCALATION)."""

    until: float
    reason: str
    quota: str | None = None


@dataclass
class Account:
    """One account as the pool sees it. `served` is None until discovery told which model ids it serves;
    `reauth` holds why the credential needs the user (None: it does not)."""

    record: AccountRecord
    cooldowns: dict[str, Cooldown] = field(default_factory=dict)  # model or "*" -> cooldown
    missing: dict[str, Cooldown] = field(default_factory=dict)  # model -> upstream's not-found message, until
    served: frozenset[str] | None = None  # model ids, None = unknown yet
    requests: int = 0
    errors: int = 0
    last_error: str | None = None
    last_used: float | None = None
    reauth: str | None = None
    strikes: int = 0  # confirmed unexplained failures in a row (see Pool.strikes_to_disable); a success resets
    quota: QuotaSnapshot | None = None  # the latest quota reading (kinds that report one)
    recheck: set[str] = field(default_factory=set)  # models ("*": all) whose quota cooldown ended unchecked
    quota_hits: dict[str, float] = field(default_factory=dict)  # model -> when a 429 last cooled it for quota
    # (state, model) -> until of the store's marks at the last sync (Pool.take_in): which were cleared elsewhere
    stored: dict[tuple[str, str], float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.record.models is not None:
            self.served = frozenset(self.record.models)
        self.quota = self.record.quota

    def remaining(self, model: str) -> float | None:
        """The fraction of `model`'s quota left at the latest reading; None when not known."""
        reading = self.quota.models.get(model) if self.quota is not None else None
        return reading.fraction if reading is not None else None

    @property
    def id(self) -> str:
        """The account's store id."""
        return self.record.id

    @property
    def kind(self) -> str:
        """The upstream kind name, e.g. "gemini-api"."""
        return self.record.kind

    def serves(self, model: str) -> bool:
        """Whether the account may serve the model id (an undiscovered account may serve any)."""
        return self.served is None or model in self.served

    def blocked_until(self, model: str, now: float) -> float | None:
        """When this account can next serve `model`; None if it can now, inf if never without a hand."""
        if not self.record.enabled or self.reauth is not None:
            return math.inf
        until = None
        for key in (ACCOUNT_WIDE, model):
            cd = self.cooldowns.get(key)
            if cd is None:
                continue
            if cd.until <= now:
                del self.cooldowns[key]  # expired by itself
                if cd.quota is not None:
                    self.recheck.add(key)  # a quota cooldown's end is only a guess: asked before use
                continue
            until = cd.until if until is None else max(until, cd.until)
        return until

    def needs_recheck(self, model: str) -> bool:
        """Whether a quota cooldown for `model` (or the whole account) ended without the quota being asked."""
        return bool(self.recheck) and (model in self.recheck or ACCOUNT_WIDE in self.recheck)

    def missing_reason(self, model: str, now: float) -> str | None:
        """The upstream's not-found message while this account is known not to serve `model`, else None."""
        miss = self.missing.get(model)
        if miss is None:
            return None
        if miss.until <= now:
            del self.missing[model]  # asked again after a while: accounts gain models
            return None
        return miss.reason

    def take_stats(self) -> tuple[int, int, str | None, float | None] | None:
        """(requests, errors, last_error, last_used epoch seconds) counted since the last call, resetting the
        counters; None when there is nothing to write.
        """
        if not (self.requests or self.errors or self.last_error):
            return None
        out = (self.requests, self.errors, self.last_error, self.last_used)
        self.requests = self.errors = 0
        self.last_error = None
        return out


def now() -> float:
    """Epoch seconds."""
    return time.time()
