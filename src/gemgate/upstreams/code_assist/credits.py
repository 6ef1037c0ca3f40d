"""Paying with Google One AI credits once an account's free quota is exhausted (reference/antigravity.md §7.3):
the envelope field `enabledCreditTypes: ["GOOGLE_ONE_AI"]` (`enabled_credit_types` for the Gemini CLI) makes
Code Assist take the request from the credits. As CLIProxyAPI and the Gemini CLI do, it is sent only after a
429 QUOTA_EXHAUSTED (CLIProxyAPI: "credits only as a last resort once every free auth is exhausted"; the Gemini
CLI: for overage-eligible models), never on every request (Antigravity-Manager's choice, §12 [disputed]).

An account pays once its own setting (`credits` in its credential) or else its profile's says so. Once the
quota is gone, the (account, model) goes straight to credits until the quota's reset; an empty balance
(INSUFFICIENT_G1_CREDITS_BALANCE, terminal per §7.3 and the Gemini CLI) ends that, and the request fails with
the quota's own error, so the pool cools the account until the reset.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from ...errors import Failure, UpstreamError
from ...store import QuotaReading, QuotaSnapshot
from .profiles import Profile

T = TypeVar("T")
EMPTY_BALANCE = "INSUFFICIENT_G1_CREDITS_BALANCE"
# How long an exhausted quota without a reset time keeps an account on credits before free use is tried again.
DEFAULT_HOLD_SECONDS = 3600.0


def enabled(secret: dict, profile: Profile) -> bool:
    """Whether the account may pay with credits: its own `credits` setting, else the profile's."""
    own = secret.get("credits")
    return own if isinstance(own, bool) else profile.credits


def past_free_quota(snapshot: QuotaSnapshot) -> QuotaSnapshot:
    """The quota reading of an account that pays with credits: a model whose free quota is gone still serves
    (from the credits), so its fraction is reported as unknown rather than 0, which would cool the account
    (`Pool.apply_quota`); the reset time stays."""
    return QuotaSnapshot(snapshot.checked_at, {
        model: QuotaReading(None, r.reset) if r.fraction == 0 else r for model, r in snapshot.models.items()})


class CreditBook:
    """Which (account id, model) pairs pay with credits now, until when (epoch seconds). In memory: after a
    restart the first request finds the quota exhausted again and starts paying again."""

    def __init__(self) -> None:
        self._until: dict[tuple[str, str], float] = {}

    def paying(self, account_id: str, model: str) -> bool:
        """Whether the pair's free quota is known to be gone (so credits are asked for at once)."""
        until = self._until.get((account_id, model))
        if until is not None and until <= time.time():
            del self._until[(account_id, model)]
            return False
        return until is not None

    async def call(self, account_id: str, model: str, allowed: bool, attempt: Callable[[bool], Awaitable[T]]) -> T:
        """`attempt(credits)`: without credits first (unless the quota is known to be gone); when `allowed` and
        the answer is QUOTA_EXHAUSTED, once more with credits. Raises the quota's UpstreamError when the
        credits are empty too, any other UpstreamError as it comes."""
        key = (account_id, model)
        paying = allowed and self.paying(account_id, model)
        try:
            return await attempt(paying)
        except UpstreamError as err:
            if paying and err.reason == EMPTY_BALANCE:
                self._until.pop(key, None)
                raise UpstreamError(Failure.QUOTA_EXHAUSTED, f"{err.message} (the free quota is exhausted too)",
                                    status=429, retry_after=DEFAULT_HOLD_SECONDS, reason=EMPTY_BALANCE) from None
            if paying or not allowed or err.failure is not Failure.QUOTA_EXHAUSTED:
                raise
            quota = err
        try:
            result = await attempt(True)
        except UpstreamError as err:
            if err.reason == EMPTY_BALANCE:
                raise quota from None  # no credits either: the quota's error cools the account until its reset
            raise
        self._until[key] = time.time() + (quota.retry_after or DEFAULT_HOLD_SECONDS)
        return result
