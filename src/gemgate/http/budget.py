"""A cap on the bytes of request bodies and fetched media the gateway holds at once, so concurrent large
requests cannot exhaust memory.

A request's body stays alive, in one form or another (bytes, parsed JSON, the upstream request), until its
answer is complete: measured, 24 concurrent 24 MiB chat bodies grew the process by about 1.8 GB, some three
times the bytes sent. Media fetched for a request (http.media) lives as long, so it is counted in the same
budget (issue 7 round 2: ten 19 MiB images from one 1.4 KB request took the process to 876 MB).
`limits.body_bytes` bounds one body; this bounds their sum.
"""

from __future__ import annotations

import asyncio
from contextvars import ContextVar

from ..errors import GatewayError

# A request whose body (its bytes plus the estimate of its parsed form) stays within this is never refused:
# ordinary requests never wait behind large ones; their total is bounded by the number of connections.
SMALL_BODY = 256 * 1024
# Estimated bytes, in units of body bytes, one JSON object or array costs once parsed and translated: measured,
# a 0.95 MiB chat body of 31,000 objects grew the process by about 20 MB (~650 B each, and a body byte costs
# about 3: `limits.bodies_in_flight_bytes`).
CONTAINER_COST = 200
# An upload whose reservation stays: at least PROGRESS bytes every STALL_SECONDS (256 KiB/s).
PROGRESS = 1024 * 1024
STALL_SECONDS = 4.0
# scope keys: the request's `charge(bytes)` (read_json adds the parsed estimate), and the GatewayError set by
# the HTTP protocol when the body stopped arriving (http.server: limits.body_idle_seconds).
CHARGE = "gemgate.charge"
READ_TIMEOUT = "gemgate.read_timeout"


def busy(limit: int) -> GatewayError:
    """The 503 for a body or fetched media that would take the bytes in flight past `limit`."""
    return GatewayError(
        503,
        f"The gateway is holding as many large request bodies and fetched media as it may ({limit} bytes, "
        "limits.bodies_in_flight_bytes); retry shortly",
        retry_after=1,
        close=True,
    )


def charge(scope: dict, estimate: int) -> None:
    """Add `estimate` bytes (the parsed form of the body) to the request's share of the budget; raises
    GatewayError 503 as a body read does. No-op outside BodyBudget."""
    take = scope.get(CHARGE)
    if take is not None:
        take(estimate)


class _Hold:
    """One request's share of the budget: `taken` bytes counted, `kept` of them not reclaimable (received,
    or the parsed estimate), `moved` the loop time its upload last passed PROGRESS more bytes."""

    __slots__ = ("taken", "kept", "mark", "moved")

    def __init__(self, now: float) -> None:
        self.taken = self.kept = self.mark = 0
        self.moved = now


class Ledger:
    """One request's share of a BodyBudget: `take` adds bytes (503 `busy` when the budget would pass its
    limit), and the middleware gives the whole share back when the answer is complete."""

    __slots__ = ("budget", "taken")

    def __init__(self, budget: BodyBudget) -> None:
        self.budget = budget
        self.taken = 0

    def take(self, more: int, *, check: bool = True) -> None:
        """Count `more` bytes as held by this request; raises GatewayError 503 first if that passes the
        limit (unless `check` is off: small bodies are always admitted)."""
        self.budget.admit(more, check)
        self.taken += more

    def carried(self, size: int) -> Ledger:
        """A ledger of its own holding `size` bytes this request holds now (so not checked again), for work that
        outlives the request (a background run): the holder gives them back with `release` when it ends."""
        kept = Ledger(self.budget)
        kept.take(size, check=False)
        return kept

    def release(self) -> None:
        """Give back everything this ledger took (a carried ledger, once its work ends)."""
        self.budget.held -= self.taken
        self.taken = 0


# The ledger of the request being served (set by BodyBudget for every POST), for bytes the handler gets
# later than its body: media fetched from URLs. None outside a request.
LEDGER: ContextVar[Ledger | None] = ContextVar("gemgate_ledger", default=None)


class BodyBudget:
    """Pure ASGI middleware: a POST's body is counted against `limit` bytes from its first read until its answer
    is complete: its declared Content-Length at once (so concurrent uploads are admitted or refused before
    they are read), then whatever arrives beyond it, plus the estimate of its parsed form (`charge`). Every
    POST also gets a `Ledger` in `LEDGER` for what its handler holds besides the body (fetched media), given
    back with the body's share.

    The part of a declaration not yet received is a reservation that lapses when the upload stops moving
    (less than PROGRESS bytes in STALL_SECONDS): a stalled or trickling upload holds only what it sent, and
    is refused like any body if it resumes when the budget is full. A request whose count would pass
    SMALL_BODY and take the total past `limit` makes the read raise GatewayError 503 (Retry-After,
    Connection: close), answered in the caller's format by the handler reading it. A body that stopped
    arriving (READ_TIMEOUT set in the scope by the HTTP protocol) makes the read raise that error (408).
    Other methods pass untouched."""

    def __init__(self, app, limit: int) -> None:
        self.app = app
        self.limit = limit
        self.held = 0  # bytes of the bodies being read or served now
        self.holds: set[_Hold] = set()  # requests whose reservation may lapse
        self.loop_time = None

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            return await self.app(scope, receive, send)
        if self.loop_time is None:
            self.loop_time = asyncio.get_running_loop().time
        hold = _Hold(self.loop_time())

        def take(total: int) -> None:
            more = total - hold.taken
            if more <= 0:
                return
            self.admit(more, total > SMALL_BODY)
            hold.taken = total

        def charge_estimate(estimate: int) -> None:
            take(hold.kept + estimate)
            hold.kept += estimate

        async def counted() -> dict:
            if hold.taken == 0 and hold.kept == 0:
                declared = _declared(scope["headers"])
                if declared > SMALL_BODY:
                    take(declared)
                    self.holds.add(hold)
            message = await receive()
            if message["type"] == "http.request":
                body = message.get("body", b"")
                if body:
                    hold.kept += len(body)
                    if hold.kept - hold.mark >= PROGRESS:
                        hold.mark, hold.moved = hold.kept, self.loop_time()
                    take(hold.kept)
                elif READ_TIMEOUT in scope:
                    raise scope[READ_TIMEOUT]
                if not message.get("more_body", False):
                    self.holds.discard(hold)
            return message

        scope[CHARGE] = charge_estimate
        ledger = Ledger(self)
        token = LEDGER.set(ledger)
        try:
            await self.app(scope, counted, send)
        finally:
            LEDGER.reset(token)
            self.holds.discard(hold)
            self.held -= hold.taken + ledger.taken

    def admit(self, more: int, check: bool = True) -> None:
        """Count `more` bytes as held; with `check`, raises GatewayError 503 (`busy`) first when that passes
        the limit even after stalled uploads' reservations lapse."""
        if check and self.held + more > self.limit and not self._reclaimed(more):
            raise busy(self.limit)
        self.held += more

    def _reclaimed(self, more: int) -> bool:
        """Lapse the reservations of uploads that stopped moving; whether `more` bytes now fit."""
        stalled = self.loop_time() - STALL_SECONDS
        for other in self.holds:
            if other.moved < stalled and other.taken > other.kept:
                self.held -= other.taken - other.kept
                other.taken = other.kept
        return self.held + more <= self.limit


def _declared(headers: list[tuple[bytes, bytes]]) -> int:
    """The Content-Length; 0 when absent (a chunked body) or malformed (read_body refuses it)."""
    for name, value in headers:
        if name == b"content-length":
            return int(value) if value.isdigit() else 0
    return 0
