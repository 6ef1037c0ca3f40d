"""A lean ASGI streaming response with keepalives and disconnect handling.

Starlette's StreamingResponse runs every stream in a task group with a disconnect-listener task;
here one timer fills silences and one plain task watches for the client leaving, so the per-chunk
cost is a single `send`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator


class StreamBody:
    """An ASGI response that commits 200 with `media_type` (and `headers`), sends each of `frames`, fills any
    silence longer than `interval` seconds with the `keepalive` bytes, and cancels itself (so the upstream
    call too) when the client disconnects.

    `silent_since` (event-loop seconds) is when the silence before the first frame began, e.g. the request's
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

    async def __call__(self, scope, receive, send) -> None:
        loop = asyncio.get_running_loop()
        body_task = asyncio.current_task()
        now = loop.time()
        since = now if self.silent_since is None else min(self.silent_since, now)
        state = {"last": since, "open": True, "gone": False}

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

        def client_left(listener: asyncio.Task) -> None:
            if not listener.cancelled() and state["open"]:
                state["gone"] = True
                body_task.cancel()  # stops the upstream call too

        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        timer = [loop.call_later(max(0.0, since + self.interval - now), tick)]
        listener = loop.create_task(receive())
        listener.add_done_callback(client_left)
        try:
            async for data in self.frames:
                state["last"] = loop.time()
                await send({"type": "http.response.body", "body": data, "more_body": True})
            state["open"] = False
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except asyncio.CancelledError:
            if not state["gone"]:
                raise
        finally:
            state["open"] = False
            timer[0].cancel()
            listener.cancel()
            await self.frames.aclose()
