"""Turning a generation into a streaming HTTP response, the same way for every dialect.

A streaming answer waits briefly for the upstream's first chunk so a failure can still get its proper
status code; if the upstream stays silent longer, the 200 is committed and keepalives fill every
silence (failover goes on meanwhile), and any later failure is sent as the dialect's in-stream error.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Protocol

from starlette.responses import Response

from ..errors import GatewayError, UpstreamError, internal_error
from .stream_body import StreamBody

log = logging.getLogger("gemgate")

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


class Streamable(Protocol):
    """What the HTTP layer needs of a dialect's reply to stream it."""

    stream_format: object

    def stream_error(self, err: GatewayError) -> bytes:
        """The bytes ending a committed stream with `err` in the dialect's format."""


def as_gateway_error(exc: BaseException) -> GatewayError | None:
    """The client's view of a gateway or upstream error; None for anything else."""
    if isinstance(exc, GatewayError):
        return exc
    if isinstance(exc, UpstreamError):
        return exc.to_gateway()
    return None


def client_gone() -> GatewayError:
    """The outcome of a request whose client hung up before its answer was complete (never sent)."""
    return GatewayError(499, "the client went away")


def as_client_error(exc: Exception, doing: str) -> GatewayError:
    """What the client is told about `exc`: a gateway or upstream error as it is; anything else is a bug,
    logged with its traceback (redacted by the log filter) and answered as a 500."""
    err = as_gateway_error(exc)
    if err is None:
        log.error("unhandled error %s", doing, exc_info=exc)
        err = internal_error()
    drop_frames(exc)
    return err


def drop_frames(exc: BaseException) -> None:
    """Forget the tracebacks of `exc` and of every exception chained to or grouped in it. A traceback holds its
    frames, and their locals (request bodies, fetched media) form a cycle with the exception kept in the frame
    that answers it, freed only when the cyclic collector happens to run: measured, each failed request with
    57 MB of fetched images left some 150 MB behind (issue 7 round 2)."""
    todo, seen = [exc], set()
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        e.__traceback__ = None
        todo += [e.__cause__, e.__context__, *getattr(e, "exceptions", ())]


async def stream_response(
    opening: Awaitable[object],
    render: Callable[[object], AsyncIterator[bytes]],
    reply: Streamable,
    interval: float,
    error_response: Callable[[GatewayError], Response],
    on_end: Callable[..., None],
    started: float | None = None,
    headers: dict[str, str] | None = None,
    on_failure: Callable[[GatewayError], Awaitable[None]] | None = None,
) -> Response | StreamBody:
    """A response for a stream being opened: its error response if opening fails within `interval`
    seconds of `started`, else a committed stream whose frames come from `render(opened)`.

    `started` (event-loop seconds; None: now) is when the request arrived: a silent upstream gets the 200
    committed and the first keepalive sent `interval` seconds after it — once, not after a second interval.
    `on_end(error)` is called once when the response is over (error None: it ended well; with the error
    response's status as a second argument when the stream never opened). `headers` are added
    to a committed stream's own. `on_failure(error)` is awaited before a committed stream's error frame is
    sent (a dialect keeping the failed response, so that it can be read as soon as the client knows).
    """
    loop = asyncio.get_running_loop()
    started = loop.time() if started is None else started
    task = asyncio.ensure_future(opening)
    try:
        await asyncio.wait({task}, timeout=max(0.0, started + interval - loop.time()))
    except asyncio.CancelledError:  # the client left while the upstream was opening
        task.cancel()
        on_end(client_gone())
        raise
    if task.done() and task.exception() is not None:
        err = as_client_error(task.exception(), "opening a stream")
        response = error_response(err)
        on_end(err, response.status_code)  # the status the client got (its dialect's, e.g. Anthropic's 529)
        return response
    fmt = reply.stream_format
    return StreamBody(
        _frames(task, render, reply, on_end, on_failure), fmt.media_type, fmt.keepalive, interval,
        {**SSE_HEADERS, **headers} if headers else SSE_HEADERS, started,
    )


async def _frames(task: asyncio.Future, render, reply: Streamable, on_end, on_failure=None) -> AsyncIterator[bytes]:
    error: GatewayError | None = None
    ended = False  # False in the finally block: the client went away first
    try:
        try:
            opened = await task  # while the upstream is silent, StreamBody sends keepalives
        except Exception as exc:
            error, ended = as_client_error(exc, "opening a stream"), True
            await run_failure_hook(on_failure, error)
            yield reply.stream_error(error)
            return
        frames = render(opened)
        try:
            async for data in frames:
                yield data
            ended = True
        except Exception as exc:  # an upstream failure, or a bug rendering a chunk: the stream still ends well
            error, ended = as_client_error(exc, "streaming"), True
            await run_failure_hook(on_failure, error)
            yield reply.stream_error(error)
        finally:
            await frames.aclose()
            await opened.rest.aclose()
    finally:
        if not task.done():
            task.cancel()  # the client went away: stop the upstream call too
        on_end(error if ended else client_gone())


async def run_failure_hook(on_failure: Callable[[GatewayError], Awaitable[None]] | None, error: GatewayError) -> None:
    """Run `on_failure` (a dialect keeping a failed response); a failure of its own is logged, never raised in
    place of the client's error (a stream's error frame, a background run's outcome)."""
    if on_failure is None:
        return
    try:
        await on_failure(error)
    except Exception:
        log.exception("keeping a failed stream's state")
