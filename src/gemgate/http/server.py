"""The HTTP server under the app: uvicorn with httptools, bounded request heads, and errors in the caller's format.

uvicorn's httptools protocol has no limit on the request line and headers (a 2 MB header was read and handed
to the app), and answers a request it cannot parse in plain text. `BoundedHttpTools` counts the head as it
arrives and refuses it past `limits.header_bytes`: 414 for a request line, 431 for headers, each a JSON error
in the shape of the dialect the path belongs to, with `Connection: close` (the rest is not read). (h11's
`h11_max_incomplete_event_size` would bound it too, but answers a plain-text 400 and costs more per request.)
"""

from __future__ import annotations

from collections.abc import Callable

import orjson
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ..config import Settings
from ..errors import GatewayError

# (path, error) -> the error's JSON body in the caller's shape (app.Routes.shape_for, by path)
ErrorBody = Callable[[str, GatewayError], dict]


class HeadTooLarge(Exception):
    """Raised from a parser callback when the request head passes the limit (httptools wraps it in an
    HttpParserCallbackError, which uvicorn answers through `send_400_response`)."""


class BoundedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol with a bound on the request head (`header_bytes`, the request line plus
    every header as `name: value\\r\\n`) and JSON error answers (`error_body`). Subclassed per app by
    `server_config`; the cost is an addition per read and one call per request."""

    header_bytes = 64 * 1024
    error_body: ErrorBody | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._raw = 0  # bytes received since a head was last complete: what the parser may be holding
        self._measure = False  # a read large enough to complete an oversized head: measure it when complete
        self._refusal: GatewayError | None = None
        self._closer = _Closer(self)
        self._refused = False
        self._draining = 0  # after a refusal: bytes still read and dropped before the connection closes

    def data_received(self, data: bytes) -> None:
        """Feed the parser; a head still incomplete after more than the limit is refused (414 while the request
        line is, 431 after it). Only reads and complete heads are looked at: no cost per header."""
        if self._refused:
            self._draining -= len(data)
            if self._draining <= 0:
                self.transport.close()
            return
        self._raw += len(data)
        self._measure = self._raw > self.header_bytes
        super().data_received(data)
        if "method" in getattr(self, "scope", ()):  # the current request's head is complete (on_headers_complete)
            self._raw = 0
        elif self._raw > self.header_bytes and not self._refused and not self.transport.is_closing():
            self._refusal = self._too_large(431 if getattr(self, "headers", None) else 414)
            self.send_400_response("")

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
        err, self._refusal, self._refused = self._refusal, None, True
        if err is None:
            err = GatewayError(400, f"The request is not valid HTTP/1.1 ({msg.rstrip('.')})", close=True)
        url = getattr(self, "url", b"")
        path = url.split(b"?", 1)[0].decode("latin-1") if url else "/"
        body = orjson.dumps(self.error_body(path, err)) if self.error_body else err.message.encode()
        head = [b"HTTP/1.1 %d %s\r\n" % (err.status, _REASONS.get(err.status, b"Error"))]
        for name, value in self.server_state.default_headers:
            head.append(name + b": " + value + b"\r\n")
        head.append(b"content-type: application/json\r\ncontent-length: %d\r\nconnection: close\r\n\r\n" % len(body))
        self.transport.write(b"".join(head) + body)
        self._linger()

    def close_after_answer(self) -> None:
        """Close the connection for the current cycle: at once, or lingering when a complete answer went out
        before the request's body was read (a 413, a 503: `Connection: close`)."""
        cycle = self.cycle
        if cycle is not None and cycle.response_complete and cycle.more_body and not self.transport.is_closing():
            self._linger()
        else:
            self.transport.close()

    def _linger(self) -> None:
        """End the connection after an answer sent before the request was read to its end. Closing with unread
        bytes makes the kernel send a RST, which can destroy the answer before the client reads it (clients
        send their whole request first): half-close, then read and drop up to DRAIN_BYTES for up to
        DRAIN_SECONDS, as web servers do (nginx's lingering_close)."""
        self._refused = True
        if not self.transport.can_write_eof():
            self.transport.close()
            return
        self.transport.write_eof()
        self._draining = DRAIN_BYTES
        self.flow.resume_reading()
        self.loop.call_later(DRAIN_SECONDS, self.transport.close)


class _Closer:
    """The transport as a request's cycle sees it: writes go straight through; closing asks the protocol, which
    lingers when the request was not read to its end."""

    __slots__ = ("_protocol",)

    def __init__(self, protocol: BoundedHttpTools) -> None:
        self._protocol = protocol

    def write(self, data: bytes) -> None:
        """Write to the connection."""
        self._protocol.transport.write(data)

    def is_closing(self) -> bool:
        """Whether the connection is closing."""
        return self._protocol.transport.is_closing()

    def close(self) -> None:
        """Close the connection, lingering if the request was not read to its end."""
        self._protocol.close_after_answer()


DRAIN_BYTES = 64 * 1024 * 1024
DRAIN_SECONDS = 2.0
_REASONS = {400: b"Bad Request", 414: b"URI Too Long", 431: b"Request Header Fields Too Large"}


def server_config(app, settings: Settings, **kwargs) -> uvicorn.Config:
    """The uvicorn config every gemgate server runs with (serve, sandbox, tests): httptools with the head
    bounded by `settings.limits.header_bytes`, errors shaped by `app.state.error_body` (path, GatewayError)
    -> dict. `kwargs` go to uvicorn.Config (host, port, log_level, loop, ...)."""
    protocol = type(
        "GemgateHttp",
        (BoundedHttpTools,),
        {"header_bytes": settings.limits.header_bytes, "error_body": staticmethod(app.state.error_body)},
    )
    return uvicorn.Config(app, http=protocol, **kwargs)
