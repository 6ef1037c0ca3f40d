"""A cap on the bytes of request bodies and fetched media the gateway holds at once, so concurrent large
requests cannot exhaust memory.

A request's body stays alive, in one form or another (bytes, parsed JSON, the upstream request), until its
answer is complete: measured, 24 concurrent 24 MiB chat bodies grew the process by about 1.8 GB, some three
times the bytes sent. Media fetched for a request (http.media) lives as long, so it is counted in the same
budget (issue 7 round 2: ten 19 MiB images from one 1.4 KB request took the process to 876 MB).
`limits.body_bytes` bounds one body; this bounds their sum.
"""

from __future__ import annotations

from contextvars import ContextVar

from ..errors import GatewayError

# Bodies declared (Content-Length) up to this size are neither counted nor refused: ordinary requests never wait
# behind large ones and pay nothing here; their total is bounded by the number of connections.
SMALL_BODY = 1024 * 1024


def busy(limit: int) -> GatewayError:
    """The 503 for a body or fetched media that would take the bytes in flight past `limit`."""
    return GatewayError(
        503,
        f"The gateway is holding as many large request bodies and fetched media as it may ({limit} bytes, "
        "limits.bodies_in_flight_bytes); retry shortly",
        retry_after=1,
        close=True,
    )


def _declared(headers: list[tuple[bytes, bytes]]) -> int:
    """The Content-Length; -1 when absent (a chunked body), 0 when malformed (read_body refuses it)."""
    for name, value in headers:
        if name == b"content-length":
            return int(value) if value.isdigit() else 0
    return -1


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
        budget = self.budget
        if check and budget.held + more > budget.limit:
            raise busy(budget.limit)
        budget.held += more
        self.taken += more


# The ledger of the request being served (set by BodyBudget for every POST), for bytes the handler gets
# later than its body: media fetched from URLs. None outside a request.
LEDGER: ContextVar[Ledger | None] = ContextVar("gemgate_ledger", default=None)


class BodyBudget:
    """Pure ASGI middleware: a request's body is counted against `limit` bytes from its first read (the declared
    Content-Length at once, then whatever arrives beyond it) until its answer is complete. A body that would
    take the total past `limit` makes the read raise GatewayError 503 (Retry-After, Connection: close),
    answered in the caller's format by the handler reading it; nothing is read first. Requests other than
    POST, and bodies declared at most SMALL_BODY, pass uncounted. Every POST gets a `Ledger` in `LEDGER` for
    what its handler holds besides the body (fetched media), given back with the body's share."""

    def __init__(self, app, limit: int) -> None:
        self.app = app
        self.limit = limit
        self.held = 0  # bytes of the bodies being read or served now

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            return await self.app(scope, receive, send)
        ledger = Ledger(self)
        token = LEDGER.set(ledger)
        try:
            if 0 <= _declared(scope["headers"]) <= SMALL_BODY:
                return await self.app(scope, receive, send)
            await self.app(scope, self._counted(scope, receive, ledger), send)
        finally:
            LEDGER.reset(token)
            self.held -= ledger.taken

    @staticmethod
    def _counted(scope, receive, ledger: Ledger):
        """`receive` counting the body against `ledger`: the declared length at the first read, then whatever
        arrives beyond it."""
        body = 0  # this body's bytes counted so far
        seen = -1  # body bytes received so far; -1 before the first read

        def take(total: int) -> None:
            nonlocal body
            if total > body:
                ledger.take(total - body, check=total > SMALL_BODY)
                body = total

        async def counted() -> dict:
            nonlocal seen
            if seen < 0:
                seen = 0
                take(max(0, _declared(scope["headers"])))
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                take(seen)
            return message

        return counted
