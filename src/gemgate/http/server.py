"""The HTTP server under the app: uvicorn with httptools, bounded request heads, and errors in the caller's format.

uvicorn's httptools protocol has no limit on the request line and headers (a 2 MB header was read and handed
to the app), and answers a request it cannot parse in plain text. `BoundedHttpTools` counts the head as it
arrives and refuses it past `limits.header_bytes`: 414 for a request line, 431 for headers, each a JSON error
in the shape of the dialect the path belongs to, with `Connection: close` (the rest is not read). (h11's
`h11_max_incomplete_event_size` would bound it too, but answers a plain-text 400 and costs more per request.)
Neither bounds time: a head that trickles in, or a body that stops arriving, held its connection (and, with a
client key, its request) for ever. Heads get `limits.head_seconds` from their first byte, bodies
`limits.body_idle_seconds` without a byte: then a 408 in the caller's format and the connection closed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import orjson
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ..config import Settings
from ..errors import GatewayError
from .budget import READ_TIMEOUT
from .departure import DEPARTURE

# (path, error) -> the error's JSON body in the caller's shape (app.Routes.shape_for, by path)
ErrorBody = Callable[[str, GatewayError], dict]


class HeadTooLarge(Exception):
    """Raised from a parser callback when the request head passes the limit (httptools wraps it in an
    HttpParserCallbackError, which uvicorn answers through `send_400_response`)."""


class BoundedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol with a bound on the request head (`header_bytes`, the request line plus
    every header as `name: value\\r\\n`), on the time a head or body may take (`head_seconds`,
    `body_idle_seconds`) and JSON error answers (`error_body`). Subclassed per app by
    `server_config`; the cost is an addition per read and one call per request."""

    header_bytes = 64 * 1024
    head_seconds = 20.0
    body_idle_seconds = 30.0
    error_body: ErrorBody | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._raw = 0  # bytes received since a head was last complete: what the parser may be holding
        self._measure = False  # a read large enough to complete an oversized head: measure it when complete
        self._refusal: GatewayError | None = None
        self._closer = _Closer(self)
        self._refused = False
        self._draining = 0  # after a refusal: bytes still read and dropped before the connection closes
        self._timer: asyncio.TimerHandle | None = None  # the head's deadline, or the body's idle check
        self._timing_head = False  # what `_timer` watches
        self._last_read = 0.0  # loop time of the last read while a body was arriving
        self._watches: set = set()  # http.departure.ClientWatch es of this connection's requests in flight
        self._lost = False

    def data_received(self, data: bytes) -> None:
        """Feed the parser; a head still incomplete after more than the limit is refused (414 while the request
        line is, 431 after it). Only reads and complete heads are looked at: no cost per header."""
        if self._refused:
            self._draining -= len(data)
            if self._draining <= 0:
                self.transport.close()
            else:
                self._last_read = self.loop.time()
            return
        self._raw += len(data)
        self._measure = self._raw > self.header_bytes
        super().data_received(data)
        if "method" in getattr(self, "scope", ()):  # the current request's head is complete (on_headers_complete)
            self._raw = 0
        elif self._raw > self.header_bytes and not self._refused and not self.transport.is_closing():
            self._refusal = self._too_large(431 if getattr(self, "headers", None) else 414)
            self.send_400_response("")
        if not self._refused:
            self._watch()

    def _watch(self) -> None:
        """After a read: time the head under way, or the body under way, or nothing (a request that arrived
        whole in one read, the usual case, costs no timer)."""
        cycle = self.cycle
        if self._raw:
            if self._timer is None or not self._timing_head:
                self._stop_timer()
                self._timing_head = True
                self._timer = self.loop.call_later(self.head_seconds, self._timed_out)
        elif cycle is not None and cycle.more_body and not cycle.response_complete:
            self._last_read = self.loop.time()
            if self._timer is None:
                self._timing_head = False
                self._timer = self.loop.call_later(self.body_idle_seconds, self._timed_out)
        elif self._timer is not None:
            self._stop_timer()

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _timed_out(self) -> None:
        """The head took longer than head_seconds, or the body went body_idle_seconds without a byte: 408. A
        head is answered here; a body's 408 is raised to the app reading it (http.budget), which answers it in
        the caller's format and closes. Time the app left the body unread (reading paused) does not count."""
        self._timer = None
        if self._refused or self.transport.is_closing():
            return
        if self._timing_head:
            self._refusal = self._timeout("request line and headers", self.head_seconds, "head_seconds")
            self.send_400_response("")
            return
        cycle = self.cycle
        if cycle is None or not cycle.more_body or cycle.response_complete:
            return
        if self.flow.read_paused:  # the app has not taken what arrived: not the client's stall
            self._last_read = self.loop.time()
        idle = self.loop.time() - self._last_read
        if idle < self.body_idle_seconds:
            self._timer = self.loop.call_later(self.body_idle_seconds - idle, self._timed_out)
            return
        if cycle.response_started:
            self._closer.flush()
            self.transport.close()
            return
        cycle.scope[READ_TIMEOUT] = self._timeout("request body", self.body_idle_seconds, "body_idle_seconds")
        cycle.message_event.set()
        # An app that is not reading the body never sees it: the connection goes after a grace period.
        self.loop.call_later(GRACE_SECONDS, lambda: cycle.response_complete or self.close_after_answer())

    def _timeout(self, what: str, seconds: float, setting: str) -> GatewayError:
        return GatewayError(
            408,
            f"The {what} did not arrive in time ({seconds:g} s, limits.{setting}); send it promptly",
            code="request_timeout",
            close=True,
        )

    def connection_lost(self, exc: Exception | None) -> None:
        """The connection is gone: no timer outlives it, and every request still answering it is told."""
        self._stop_timer()
        self._lost = True
        super().connection_lost(exc)
        watches, self._watches = self._watches, set()
        for watch in watches:
            watch.client_left()

    def watch(self, watch) -> None:
        """Tell `watch` (an http.departure.ClientWatch) when the connection is lost (at once, soon, if it is).
        Reading resumes, as uvicorn's `receive` does before waiting for the disconnect: a paused transport
        would not see the client close."""
        if self._lost:
            self.loop.call_soon(watch.client_left)
            return
        self._watches.add(watch)
        self.flow.resume_reading()

    def unwatch(self, watch) -> None:
        """Stop telling `watch`."""
        self._watches.discard(watch)

    def on_headers_complete(self) -> None:
        """The head is complete: refused if it is over the limit, else the request goes to the app (its body
        is bounded there, by limits.body_bytes); the request's cycle closes the connection through `_Closer`."""
        if self._measure:
            line = len(self.url)
            if line + sum(len(name) + len(value) + 4 for name, value in self.headers) > self.header_bytes:
                self._refusal = self._too_large(414 if line > self.header_bytes else 431)
                raise HeadTooLarge
        super().on_headers_complete()
        if self.cycle is not None:
            self.cycle.transport = self._closer
            self.cycle.scope[DEPARTURE] = self  # http.departure.ClientWatch: told here when the client leaves

    def _too_large(self, status: int) -> GatewayError:
        what = "request line (method and URL)" if status == 414 else "request line and headers"
        return GatewayError(
            status,
            f"The {what} are larger than this gateway's limit of {self.header_bytes} bytes (limits.header_bytes)",
            code="request_header_too_large" if status == 431 else "uri_too_long",
            close=True,
        )

    def send_400_response(self, msg: str) -> None:
        """Answer a request refused before the app saw it (too large, or not HTTP uvicorn can parse) with a JSON
        error in the caller's shape, and close the connection."""
        self._closer.flush()  # an answer queued for a request pipelined before this one goes first
        err, self._refusal, self._refused = self._refusal, None, True
        if err is None:
            err = GatewayError(400, f"The request is not valid HTTP/1.1 ({msg.rstrip('.')})", close=True)
        url = getattr(self, "url", b"")
        path = url.split(b"?", 1)[0].decode("latin-1") if url else "/"
        body = orjson.dumps(self.error_body(path, err)) if self.error_body else err.message.encode()
        head = [b"HTTP/1.1 %d %s\r\n" % (err.status, _REASONS.get(err.status, b"Error"))]
        for name, value in self.server_state.default_headers:
            head.append(name + b": " + value + b"\r\n")
        for name, value in err.headers().items():
            if name != "Connection":  # always closed below
                head.append(f"{name.lower()}: {value}\r\n".encode("latin-1"))
        head.append(b"content-type: application/json\r\ncontent-length: %d\r\nconnection: close\r\n\r\n" % len(body))
        self.transport.write(b"".join(head) + body)
        self._linger()

    def close_after_answer(self) -> None:
        """Close the connection for the current cycle: at once, or lingering when a complete answer went out
        before the request's body was read (a 413, a 503: `Connection: close`)."""
        self._closer.flush()
        cycle = self.cycle
        if cycle is not None and cycle.response_complete and cycle.more_body and not self.transport.is_closing():
            self._linger()
        else:
            self.transport.close()

    def _linger(self) -> None:
        """End the connection after an answer sent before the request was read to its end. Closing with unread
        bytes makes the kernel send a RST, which can destroy the answer before the client reads it (clients
        send their whole request first): half-close, then read and drop up to DRAIN_BYTES while they keep
        coming (DRAIN_IDLE_SECONDS between reads, DRAIN_SECONDS in all), as web servers do (nginx's
        lingering_close)."""
        self._refused = True
        if not self.transport.can_write_eof():
            self.transport.close()
            return
        self.transport.write_eof()
        self._draining = DRAIN_BYTES
        self._last_read = start = self.loop.time()
        self.flow.resume_reading()

        def check() -> None:
            """Close once the client has been silent for DRAIN_IDLE_SECONDS (it has sent all it meant to) or
            after DRAIN_SECONDS in all; a client still sending on a loaded machine keeps its answer."""
            now = self.loop.time()
            if self.transport.is_closing():
                return
            if now - self._last_read >= DRAIN_IDLE_SECONDS or now - start >= DRAIN_SECONDS:
                self.transport.close()
            else:
                self.loop.call_later(min(DRAIN_IDLE_SECONDS, DRAIN_SECONDS - (now - start)), check)

        self.loop.call_later(DRAIN_IDLE_SECONDS, check)


class _Closer:
    """The transport as a request's cycle sees it: writes made in one turn of the event loop go out together
    at its end (one send instead of one per write: uvicorn writes an answer's head and its body apart, and a
    stream's last event and its end apart; the sends were about a quarter of the gateway's CPU samples under
    load); closing asks the protocol, which lingers when the request was not read to its end."""

    __slots__ = ("_protocol", "_pending")

    def __init__(self, protocol: BoundedHttpTools) -> None:
        self._protocol = protocol
        self._pending: list[bytes] | None = None

    def write(self, data: bytes) -> None:
        """Queue `data` for the end of this loop turn; nothing once the connection was refused (a bad request
        pipelined behind this one was answered and the write side shut: an answer now could not be written,
        and must not raise)."""
        if self._protocol._refused:
            return
        if self._pending is None:
            self._pending = [data]
            self._protocol.loop.call_soon(self.flush)
        else:
            self._pending.append(data)

    def flush(self) -> None:
        """Send what is queued, in order (before anything the protocol writes or closes itself)."""
        pending, self._pending = self._pending, None
        if pending and not self._protocol._refused and not self._protocol.transport.is_closing():
            self._protocol.transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def is_closing(self) -> bool:
        """Whether the connection is closing (or its write side was shut by a refusal)."""
        return self._protocol._refused or self._protocol.transport.is_closing()

    def close(self) -> None:
        """Close the connection, lingering if the request was not read to its end."""
        self._protocol.close_after_answer()


GRACE_SECONDS = 5.0
DRAIN_BYTES = 64 * 1024 * 1024
# nginx's lingering_timeout (5 s between reads) and lingering_time (30 s in all), shorter: a refused
# request's remaining bytes are read and dropped while they keep coming, but not for ever.
DRAIN_IDLE_SECONDS = 2.0
DRAIN_SECONDS = 20.0
_REASONS = {400: b"Bad Request", 408: b"Request Timeout", 414: b"URI Too Long", 431: b"Request Header Fields Too Large"}


def server_config(app, settings: Settings, **kwargs) -> uvicorn.Config:
    """The uvicorn config every gemgate server runs with (serve, sandbox, tests): httptools with the head
    bounded by `settings.limits.header_bytes`, errors shaped by `app.state.error_body` (path, GatewayError)
    -> dict. `kwargs` go to uvicorn.Config (host, port, log_level, loop, ...)."""
    protocol = type(
        "GemgateHttp",
        (BoundedHttpTools,),
        {
            "header_bytes": settings.limits.header_bytes,
            "head_seconds": settings.limits.head_seconds,
            "body_idle_seconds": settings.limits.body_idle_seconds,
            "error_body": staticmethod(app.state.error_body),
        },
    )
    return uvicorn.Config(app, http=protocol, **kwargs)
