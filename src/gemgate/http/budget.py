"""A cap on the bytes of request bodies the gateway holds at once, so concurrent large bodies cannot exhaust memory.

A request's body stays alive, in one form or another (bytes, parsed JSON, the upstream request), until its
answer is complete: measured, 24 concurrent 24 MiB chat bodies grew the process by about 1.8 GB, some three
times the bytes sent. `limits.body_bytes` bounds one body; this bounds their sum.
"""

from __future__ import annotations

from ..errors import GatewayError

# A request whose body (its bytes plus the estimate of its parsed form) stays within this is never refused:
# ordinary requests never wait behind large ones; their total is bounded by the number of connections.
SMALL_BODY = 256 * 1024
# Estimated bytes, in units of body bytes, one JSON object or array costs once parsed and translated: measured,
# a 0.95 MiB chat body of 31,000 objects grew the process by about 20 MB (~650 B each, and a body byte costs
# about 3: `limits.bodies_in_flight_bytes`).
CONTAINER_COST = 200
# scope keys: the request's `charge(bytes)` (read_json adds the parsed estimate), and the GatewayError set by
# the HTTP protocol when the body stopped arriving (http.server: limits.body_idle_seconds).
CHARGE = "gemgate.charge"
READ_TIMEOUT = "gemgate.read_timeout"


def busy(limit: int) -> GatewayError:
    """The 503 for a body that would take the bodies in flight past `limit` bytes."""
    return GatewayError(
        503,
        f"The gateway is holding as many large request bodies as it may ({limit} bytes, "
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


class BodyBudget:
    """Pure ASGI middleware: a POST's body is counted against `limit` bytes as its bytes arrive (never by the
    declared Content-Length, so a stalled upload holds only what it sent), plus the estimate of its parsed form
    (`charge`), until its answer is complete. A request whose count would pass SMALL_BODY and take the total
    past `limit` makes the read raise GatewayError 503 (Retry-After, Connection: close), answered in the
    caller's format by the handler reading it. A body that stopped arriving (READ_TIMEOUT set in the scope by
    the HTTP protocol) makes the read raise that error (408). Other methods pass untouched."""

    def __init__(self, app, limit: int) -> None:
        self.app = app
        self.limit = limit
        self.held = 0  # bytes of the bodies being read or served now

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            return await self.app(scope, receive, send)
        taken = 0  # this request's share of `held`

        def take(more: int) -> None:
            nonlocal taken
            if taken + more > SMALL_BODY and self.held + more > self.limit:
                raise busy(self.limit)
            self.held += more
            taken += more

        async def counted() -> dict:
            message = await receive()
            if message["type"] == "http.request":
                body = message.get("body", b"")
                if body:
                    take(len(body))
                elif READ_TIMEOUT in scope:
                    raise scope[READ_TIMEOUT]
            return message

        scope[CHARGE] = take
        try:
            await self.app(scope, counted, send)
        finally:
            self.held -= taken
