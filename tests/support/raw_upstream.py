"""An upstream that answers every streamGenerateContent with bytes a test chooses: for events the fake Gemini
API never sends (invalid UTF-8, JSON that is not an object, chunks of the wrong shape)."""

from __future__ import annotations

from aiohttp import web

from gemgate.testing.fake_server import FakeServer


class RawUpstream(FakeServer):
    """POST …:streamGenerateContent answers 200 text/event-stream with `body` (set it before each request);
    anything else is a 404, so the gateway falls back to its well-known models."""

    def __init__(self) -> None:
        super().__init__()
        self.body = b""

    def build_app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._answer)
        return app

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        await request.read()
        if request.method != "POST" or not request.path.endswith(":streamGenerateContent"):
            return web.Response(status=404, text="not here")
        return web.Response(body=self.body, headers={"Content-Type": "text/event-stream"})
