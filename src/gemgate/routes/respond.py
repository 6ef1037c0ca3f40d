"""Turning a generation into an HTTP response, the same way for every dialect.

A streaming answer waits briefly for the upstream's first chunk so a failure can still get its proper
status code; if the upstream stays silent longer, the 200 is committed and keepalives fill every
silence (failover goes on meanwhile), and any later failure is sent as an in-stream error event.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import orjson
from starlette.requests import Request
from starlette.responses import Response

from ..errors import GatewayError, UpstreamError
from ..gateway import Gateway
from ..pipeline import Opened
from .stream_body import StreamBody

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


async def _frames(task: asyncio.Future, render: Callable[[Opened], AsyncIterator[bytes]], fmt: StreamFormat):
    try:
        try:
            opened: Opened = await task  # while the upstream is silent, StreamBody sends keepalives
        except (UpstreamError, GatewayError) as exc:
            yield fmt.error_frame(_as_gateway(exc)) + fmt.error_tail
            return
        try:
            async for data in render(opened):
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
) -> Response | StreamBody:
    interval = gw.settings.keepalive_seconds
    task = asyncio.ensure_future(opening)
    await asyncio.wait({task}, timeout=interval)
    if task.done() and task.exception() is not None:
        err = _as_gateway(task.exception())
        if err is None:
            raise task.exception()
        return error_response(err)
    return StreamBody(_frames(task, render, fmt), fmt.media_type, fmt.keepalive, interval, SSE_HEADERS)
