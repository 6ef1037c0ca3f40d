"""Every request ends in one outcome record, handed to the hooks (now the access log; later usage,
limits and metrics)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from .auth import ClientIdentity

access_log = logging.getLogger("gemgate.access")


@dataclass(slots=True)
class Outcome:
    """How one request ended.

    Times are seconds: `latency` from the request's arrival to its last byte, `ttfb` to the first upstream
    chunk (None when no chunk came). Token counts come from the upstream's usageMetadata (0 when unknown).
    `account` is the name of the account that served (or last failed) it; `attempts` the accounts tried.
    """

    dialect: str
    operation: str  # generate | stream | count_tokens | embed
    identity: ClientIdentity | None = None
    model: str | None = None
    account: str | None = None
    kind: str | None = None
    attempts: int = 0
    status: int = 200
    error: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    thought_tokens: int = 0
    cached_tokens: int = 0
    latency: float = 0.0
    ttfb: float | None = None

    def tokens_from(self, usage: tuple[int, int, int, int]) -> None:
        """Take (input, output, thought, cached) token counts."""
        self.input_tokens, self.output_tokens, self.thought_tokens, self.cached_tokens = usage


OutcomeHook = Callable[[Outcome], None]


def log_access(outcome: Outcome) -> None:
    """One structured access-log line per request (logger "gemgate.access", level INFO)."""
    if not access_log.isEnabledFor(logging.INFO):
        return
    who = outcome.identity.name if outcome.identity else "-"
    ttfb = f"{outcome.ttfb * 1000:.0f}" if outcome.ttfb is not None else "-"
    access_log.info(
        "client=%s dialect=%s op=%s model=%s account=%s attempts=%d status=%d in=%d out=%d thought=%d cached=%d "
        "ttfb_ms=%s latency_ms=%.0f%s",
        who, outcome.dialect, outcome.operation, outcome.model or "-", outcome.account or "-", outcome.attempts,
        outcome.status, outcome.input_tokens, outcome.output_tokens, outcome.thought_tokens, outcome.cached_tokens,
        ttfb, outcome.latency * 1000, f" error={outcome.error!r}" if outcome.error else "",
    )  # fmt: skip


class Outcomes:
    """The hooks every outcome goes to. A failing hook is logged and never fails the request."""

    def __init__(self, hooks: list[OutcomeHook] | None = None) -> None:
        self.hooks: list[OutcomeHook] = list(hooks or [log_access])

    def emit(self, outcome: Outcome) -> None:
        """Hand the outcome to every hook."""
        for hook in self.hooks:
            try:
                hook(outcome)
            except Exception:  # noqa: BLE001 - bookkeeping must not break serving
                logging.getLogger("gemgate").exception("outcome hook failed")
