"""Noticing at once that a client has hung up, so the upstream call made for it stops too."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


# scope key: the connection's departure notices (http.server.BoundedHttpTools puts itself there): an object with
# `watch(w)` and `unwatch(w)` that calls `w.client_left()` when the connection is lost.
DEPARTURE = "gemgate.departure"


class ClientWatch:
    """Cancels the task that created the watch as soon as the client leaves: whatever that task awaits (an
    upstream call, a stream's next chunk) stops within a loop iteration, not at the next keepalive or when the
    upstream answers.

    Under gemgate's own HTTP protocol (`scope[DEPARTURE]`) the connection tells the watch when it is lost: no
    task and no work per request beyond a set insertion. Under any other ASGI server it listens on the
    `receive` channel instead (once the request body has been read, the next message is `http.disconnect`),
    with one listener task per request.

    The task must catch the CancelledError and check `gone` (True: the client left, the cancellation was
    ours; call `settle()` before going on); `stop()` ends the watch. No work per streamed chunk.
    """

    __slots__ = ("gone", "_task", "_listener", "_departure")

    def __init__(self, receive: Callable[[], Awaitable[dict]], scope: dict | None = None) -> None:
        self.gone = False
        self._task: asyncio.Task | None = asyncio.current_task()
        self._departure = scope.get(DEPARTURE) if scope is not None else None
        if self._departure is not None:
            self._listener = None
            self._departure.watch(self)
        else:
            self._listener = asyncio.ensure_future(receive())
            self._listener.add_done_callback(self._heard)

    def _heard(self, listener: asyncio.Future) -> None:
        if listener.cancelled() or listener.exception() is not None:
            return
        if listener.result().get("type") == "http.disconnect":
            self.client_left()

    def client_left(self) -> None:
        """The client hung up: cancel the watched task (once; nothing after `stop`)."""
        if self._task is not None and not self.gone:
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
        if self._listener is not None:
            self._listener.cancel()
        elif self._departure is not None:
            self._departure.unwatch(self)
