"""An upstream that answers every streamGenerateContent with bytes a test chooses: for events the fake Gemini
API never sends (invalid UTF-8, JSON that is not an object, chunks of the wrong shape)."""

from __future__ import annotations

import asyncio

from aiohttp import web

from gemgate.testing.fake_server import FakeServer


class RawUpstream(FakeServer):
    """POST …:streamGenerateContent answers 200 text/event-stream with `body` (set it before each request);
    anything else is a 404, so the gateway falls back to its well-known models. It waits `delay` seconds before
    answering, and reads each request body without keeping it."""

    def __init__(self, body: bytes = b"", delay: float = 0.0) -> None:
        super().__init__()
        self.body = body
        self.delay = delay

    def build_app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._answer)
        return app

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        await request.read()
        if request.method != "POST" or not request.path.endswith(":streamGenerateContent"):
            return web.Response(status=404, text="not here")
        await asyncio.sleep(self.delay)
        return web.Response(body=self.body, headers={"Content-Type": "text/event-stream"})
