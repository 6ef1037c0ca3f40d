"""A cap on the bytes of request bodies the gateway holds at once, so concurrent large bodies cannot exhaust memory.

A request's body stays alive, in one form or another (bytes, parsed JSON, the upstream request), until its
answer is complete: measured, 24 concurrent 24 MiB chat bodies grew the process by about 1.8 GB, some three
times the bytes sent. `limits.body_bytes` bounds one body; this bounds their sum.
"""

from __future__ import annotations

from ..errors import GatewayError

# Bodies declared (Content-Length) up to this size are neither counted nor refused: ordinary requests never wait
# behind large ones and pay nothing here; their total is bounded by the number of connections.
SMALL_BODY = 1024 * 1024


def busy(limit: int) -> GatewayError:
    """The 503 for a body that would take the bodies in flight past `limit` bytes."""
    return GatewayError(
        503,
        f"The gateway is holding as many large request bodies as it may ({limit} bytes, "
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


class BodyBudget:
    """Pure ASGI middleware: a request's body is counted against `limit` bytes from its first read (the declared
    Content-Length at once, then whatever arrives beyond it) until its answer is complete. A body that would
    take the total past `limit` makes the read raise GatewayError 503 (Retry-After, Connection: close),
    answered in the caller's format by the handler reading it; nothing is read first. Requests other than
    POST, and bodies declared at most SMALL_BODY, pass untouched."""

    def __init__(self, app, limit: int) -> None:
        self.app = app
        self.limit = limit
        self.held = 0  # bytes of the bodies being read or served now

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or 0 <= _declared(scope["headers"]) <= SMALL_BODY:
            return await self.app(scope, receive, send)
        taken = 0  # this request's share of `held`
        seen = -1  # body bytes received so far; -1 before the first read

        def take(total: int) -> None:
            nonlocal taken
            more = total - taken
            if more <= 0:
                return
            if total > SMALL_BODY and self.held + more > self.limit:
                raise busy(self.limit)
            self.held += more
            taken = total

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

        try:
            await self.app(scope, counted, send)
        finally:
            self.held -= taken
