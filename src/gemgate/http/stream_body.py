"""A lean ASGI streaming response with keepalives and disconnect handling.

Starlette's StreamingResponse runs every stream in a task group with a disconnect-listener task;
here one timer fills silences and one `ClientWatch` (the request handler's, carried on) notices the
client leaving, so the per-chunk cost is a single `send`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from .departure import ClientWatch


class StreamBody:
    """An ASGI response that commits 200 with `media_type` (and `headers`), sends each of `frames`, fills any
    silence longer than `interval` seconds with the `keepalive` bytes, and cancels itself (so the upstream
    call too) when the client disconnects.

    `watch`, when set before the response starts, is the ClientWatch already watching this request (the
    handler's); else one is made. `silent_since` (event-loop seconds) is when the silence before the first frame began, e.g. the request's
    arrival: the first keepalive goes out `interval` seconds after it (at once if that is past), not
    `interval` seconds after the 200 is committed. None: the silence starts when the response starts.
    """

    def __init__(
        self,
        frames: AsyncIterator[bytes],
        media_type: str,
        keepalive: bytes,
        interval: float,
        headers: dict[str, str] | None = None,
        silent_since: float | None = None,
    ) -> None:
        self.frames = frames
        self.keepalive = keepalive
        self.interval = interval
        self.silent_since = silent_since
        raw = [(b"content-type", media_type.encode())]
        raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
        self.raw_headers = raw
        self.watch: ClientWatch | None = None  # the request handler's watch, carried on into the stream

    async def __call__(self, scope, receive, send) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        since = now if self.silent_since is None else min(self.silent_since, now)
        state = {"last": since, "open": True}
        watch = self.watch or ClientWatch(receive, scope)  # cancels this task (so the upstream call) if the client leaves

        async def send_keepalive() -> None:
            if state["open"]:
                await send({"type": "http.response.body", "body": self.keepalive, "more_body": True})

        def tick() -> None:
            if not state["open"]:
                return
            if loop.time() - state["last"] >= self.interval * 0.95:
                state["last"] = loop.time()
                loop.create_task(send_keepalive())
            timer[0] = loop.call_later(self.interval, tick)

        timer = [loop.call_later(max(0.0, since + self.interval - now), tick)]
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            async for data in self.frames:
                state["last"] = loop.time()
                await send({"type": "http.response.body", "body": data, "more_body": True})
            state["open"] = False
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except asyncio.CancelledError:
            if not watch.gone:
                raise
            watch.settle()
        finally:
            state["open"] = False
            timer[0].cancel()
            watch.stop()
            await self.frames.aclose()
