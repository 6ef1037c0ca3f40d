"""Gemini-native endpoints under /v1beta/models and /v1/models (model ids may contain a slash)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import orjson
from starlette.requests import Request
from starlette.responses import Response

from ..dialects.gemini import (
    google_error_body,
    parse_count_tokens,
    parse_embed,
    parse_generate,
    sse_chunk,
    sse_error,
)
from ..errors import GatewayError
from ..pipeline import Opened, generate_whole, open_stream, with_failover
from .respond import StreamFormat, gateway, json_response, read_json, stream_response

SSE = StreamFormat("text/event-stream", b": keepalive\r\n\r\n", sse_error)


def google_error(err: GatewayError) -> Response:
    return json_response(google_error_body(err), err.status, err.headers())


def split_action(path: str) -> tuple[str, str | None]:
    model, sep, action = path.rpartition(":")
    if not sep or "/" in action:
        return path, None
    return model, action


async def _sse(opened: Opened) -> AsyncIterator[bytes]:
    yield sse_chunk(opened.first)
    async for chunk in opened.rest:
        yield sse_chunk(chunk)


def _json_array_format() -> tuple[StreamFormat, object]:
    """The default (non-SSE) stream: one JSON array, written element by element."""
    state = {"open": False}

    async def render(opened: Opened) -> AsyncIterator[bytes]:
        state["open"] = True
        yield b"[" + orjson.dumps(opened.first)
        async for chunk in opened.rest:
            yield b"\n,\r\n" + orjson.dumps(chunk)
        yield b"]"

    def error(err: GatewayError) -> bytes:
        body = orjson.dumps(google_error_body(err))
        return (b"\n,\r\n" + body + b"]") if state["open"] else (b"[" + body + b"]")

    return StreamFormat("application/json", b"\n", error), render


async def generate(request: Request, model_name: str, action: str) -> Response:
    gw = gateway(request)
    spec = gw.catalog.resolve(model_name)
    body = parse_generate(await read_json(request), spec)
    if action == "streamGenerateContent":
        if request.query_params.get("alt") == "sse":
            return await stream_response(gw, open_stream(gw, spec, body), _sse, SSE, google_error)
        fmt, render = _json_array_format()
        return await stream_response(gw, open_stream(gw, spec, body), render, fmt, google_error)
    return json_response(await generate_whole(gw, spec, body))


async def unary(request: Request, model_name: str, action: str) -> Response:
    gw = gateway(request)
    spec = gw.catalog.resolve(model_name)
    raw = await read_json(request)
    if action == "countTokens":
        body = parse_count_tokens(raw, spec)
        result = await with_failover(
            gw, spec, lambda up, lease: up.count_tokens(lease.account.record, spec.model, body)
        )
    else:
        batch = action == "batchEmbedContents"
        body = parse_embed(raw, spec, batch=batch)
        result = await with_failover(
            gw, spec, lambda up, lease: up.embed(lease.account.record, spec.model, body, batch=batch)
        )
    return json_response(result)


_ACTIONS = {
    "generateContent": generate,
    "streamGenerateContent": generate,
    "countTokens": unary,
    "embedContent": unary,
    "batchEmbedContents": unary,
}


async def model_action(request: Request) -> Response:
    model_name, action = split_action(request.path_params["rest"])
    try:
        handler = _ACTIONS.get(action or "")
        if handler is None:
            raise GatewayError(
                404,
                f"Unknown method '{action}' on models/{model_name}. Supported: {', '.join(_ACTIONS)}",
            )
        return await handler(request, model_name, action)
    except GatewayError as err:
        return google_error(err)
