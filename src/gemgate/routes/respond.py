"""Turning a generation into an HTTP response, the same way for every dialect.

A streaming answer waits briefly for the upstream's first chunk so a failure can still get its proper
status code; if the upstream stays silent longer, the 200 is committed and keepalives flow until it
speaks (failover goes on meanwhile), and any later failure is sent as an in-stream error event.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from ..errors import GatewayError, UpstreamError
from ..gateway import Gateway
from ..pipeline import Opened

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


@dataclass(frozen=True)
class StreamFormat:
    media_type: str
    keepalive: bytes
    error_frame: Callable[[GatewayError], bytes]
    # Some formats (a JSON array) need bytes after an error frame to stay well-formed.
    error_tail: bytes = b""


def json_response(obj: object, status: int = 200, headers: dict | None = None) -> Response:
    return Response(orjson.dumps(obj), status_code=status, headers=headers, media_type="application/json")


def gateway(request: Request) -> Gateway:
    return request.app.state.gateway


async def read_json(request: Request) -> object:
    body = await request.body()
    if not body:
        raise GatewayError(400, "The request body is empty; send a JSON object")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise GatewayError(400, f"The request body is not valid JSON: {exc}") from None


def _as_gateway(exc: BaseException) -> GatewayError | None:
    if isinstance(exc, GatewayError):
        return exc
    if isinstance(exc, UpstreamError):
        return exc.to_gateway()
    return None


class _Failed:
    __slots__ = ("exc",)

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


_END = object()


async def with_keepalive(source: AsyncIterator[bytes], interval: float, keepalive: bytes) -> AsyncIterator[bytes]:
    """`source`'s frames, with `keepalive` whenever it stays silent for `interval` seconds.

    A pump task reads `source` into a small queue, so a timeout never interrupts the upstream read.
    """
    queue: asyncio.Queue = asyncio.Queue(maxsize=8)

    async def pump() -> None:
        try:
            async for data in source:
                await queue.put(data)
        except Exception as exc:  # handed to the consumer, which frames it
            await queue.put(_Failed(exc))
        else:
            await queue.put(_END)

    task = asyncio.create_task(pump())
    try:
        while True:
            try:
                async with asyncio.timeout(interval):
                    item = await queue.get()
            except TimeoutError:
                yield keepalive
                continue
            if item is _END:
                return
            if isinstance(item, _Failed):
                raise item.exc
            yield item
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def _body(task: asyncio.Future, render: Callable[[Opened], AsyncIterator[bytes]], fmt: StreamFormat, interval: float):
    try:
        while not task.done():  # the upstream is still silent: keep the connection alive, failover goes on
            yield fmt.keepalive
            await asyncio.wait({task}, timeout=interval)
        exc = task.exception()
        if exc is not None:
            err = _as_gateway(exc)
            if err is None:
                raise exc
            yield fmt.error_frame(err) + fmt.error_tail
            return
        opened: Opened = task.result()
        try:
            async for data in with_keepalive(render(opened), interval, fmt.keepalive):
                yield data
        except (UpstreamError, GatewayError) as exc:
            yield fmt.error_frame(_as_gateway(exc)) + fmt.error_tail
        finally:
            await opened.rest.aclose()
    finally:
        if not task.done():
            task.cancel()  # the client went away: stop the upstream call too


async def stream_response(
    gw: Gateway,
    opening: Awaitable[Opened],
    render: Callable[[Opened], AsyncIterator[bytes]],
    fmt: StreamFormat,
    error_response: Callable[[GatewayError], Response],
) -> Response:
    interval = gw.settings.keepalive_seconds
    task = asyncio.ensure_future(opening)
    await asyncio.wait({task}, timeout=interval)
    if task.done() and task.exception() is not None:
        err = _as_gateway(task.exception())
        if err is None:
            raise task.exception()
        return error_response(err)
    return StreamingResponse(_body(task, render, fmt, interval), media_type=fmt.media_type, headers=SSE_HEADERS)
