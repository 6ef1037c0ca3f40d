"""Noticing at once that a client has hung up, so the upstream call made for it stops too."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


class ClientWatch:
    """Listens on the ASGI `receive` channel (once the request body has been read, the next message is
    `http.disconnect`) and cancels the task that created the watch as soon as the client leaves: whatever
    that task awaits (an upstream call, a stream's next chunk) stops within a loop iteration, not at the
    next keepalive or when the upstream answers.

    The task must catch the CancelledError and check `gone` (True: the client left, the cancellation was
    ours; call `settle()` before going on); `stop()` ends the watch. One listener task per request, and no
    work per streamed chunk.
    """

    __slots__ = ("gone", "_task", "_listener")

    def __init__(self, receive: Callable[[], Awaitable[dict]]) -> None:
        self.gone = False
        self._task: asyncio.Task | None = asyncio.current_task()
        self._listener = asyncio.ensure_future(receive())
        self._listener.add_done_callback(self._heard)

    def _heard(self, listener: asyncio.Future) -> None:
        if self._task is None or listener.cancelled() or listener.exception() is not None:
            return
        if listener.result().get("type") == "http.disconnect":
            self.gone = True
            self._task.cancel()

    def settle(self) -> None:
        """After catching the CancelledError this watch caused: clear the task's cancellation request."""
        if self._task is not None:
            self._task.uncancel()
        self.stop()

    def stop(self) -> None:
        """Stop watching (the answer is complete, or another watch takes over)."""
        self._task = None
        self._listener.cancel()
