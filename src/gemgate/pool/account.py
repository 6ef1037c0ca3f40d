"""One account as the pool sees it: its record, its cooldowns, and counters not yet written."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from ..store import AccountRecord

ACCOUNT_WIDE = "*"


@dataclass
class Cooldown:
    """Not before `until` (epoch seconds), because of `reason`."""

    until: float
    reason: str


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

    def __post_init__(self) -> None:
        if self.record.models is not None:
            self.served = frozenset(self.record.models)

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
                continue
            until = cd.until if until is None else max(until, cd.until)
        return until

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
