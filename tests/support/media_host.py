"""A loopback media server for tests of what the media fetcher may do for one request: images of any size,
and fetches that never end, counted while open."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.support.canned import serving
from tests.support.ssrf import PNG


class MediaHost:
    """A loopback media server: /img/<n>[?anything] is a PNG of n bytes; /hold/<i> sends headers then a byte every 0.1 s
    until `release` is set or the client goes (`active` counts such connections); anything else is a 404."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.active = 0
        self.hits = 0
        self.lock = threading.Lock()

    def handler(self):
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with host.lock:
                    host.hits += 1
                if self.path.startswith("/img/"):
                    body = PNG + bytes(int(self.path[5:].partition("?")[0]) - len(PNG))
                    self._head(len(body))
                    try:
                        self.wfile.write(body)
                    except OSError:  # the fetcher gave up on it (a request total passed)
                        pass
                elif self.path.startswith("/hold/"):
                    self._hold()
                else:
                    self.send_error(404)

            def _head(self, length: int) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(length))
                self.end_headers()

            def _hold(self) -> None:
                with host.lock:
                    host.active += 1
                try:
                    self._head(1000)
                    self.wfile.write(PNG)
                    while not host.release.wait(0.1):
                        self.wfile.write(b"\0")
                        self.wfile.flush()
                except OSError:  # the fetcher closed the connection
                    pass
                finally:
                    with host.lock:
                        host.active -= 1

            def log_message(self, *args) -> None:
                pass

        return Handler


@contextmanager
def media_host():
    host = MediaHost()
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), host.handler())) as url:
        host.url = url
        try:
            yield host
        finally:
            host.release.set()  # before the shutdown: held fetches end
