"""Reading request bodies (bounded in size and nesting) and writing JSON responses."""

from __future__ import annotations

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from ..errors import GatewayError
from .budget import CONTAINER_COST, charge

DEFAULT_MAX_BYTES = 32 * 1024 * 1024
DEFAULT_MAX_DEPTH = 100


def json_response(obj: object, status: int = 200, headers: dict | None = None) -> Response:
    """A JSON response (orjson)."""
    return Response(orjson.dumps(obj), status_code=status, headers=headers, media_type="application/json")


def too_large(limit: int) -> GatewayError:
    """The 413 for a body over `limit` bytes; the connection is closed after it (the rest is not read)."""
    return GatewayError(
        413,
        f"The request body is larger than this gateway's limit of {limit} bytes (limits.body_bytes)",
        code="request_too_large",
        close=True,
    )


async def read_body(request: Request, limit: int = DEFAULT_MAX_BYTES) -> bytes:
    """The raw body, read chunk by chunk and never more than `limit` bytes of it.

    Raises GatewayError 413 when Content-Length announces more than `limit` (before reading anything) or the
    body turns out longer while it is read, 400 for a Content-Length that is not a number, 499 when the client
    hangs up before the body is complete, and what the body budget raises (http.budget: 503, 408).
    """
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isascii() or not declared.strip().isdigit():
            raise GatewayError(400, "The Content-Length header is not a number", close=True)
        if int(declared.strip()[:20]) > limit:
            raise too_large(limit)
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise too_large(limit)
            chunks.append(chunk)
    except ClientDisconnect:
        raise GatewayError(499, "The client went away before its request body was complete") from None
    return b"".join(chunks)


async def read_json(request: Request, limit: int = DEFAULT_MAX_BYTES, depth: int = DEFAULT_MAX_DEPTH) -> object:
    """The decoded JSON body, at most `limit` bytes and `depth` levels of nesting.

    Raises GatewayError 400 when it is empty, not JSON or nested deeper than `depth`, 413 when it is too large,
    and what `read_body` raises. Before parsing, a body of many small objects and arrays is charged to the
    body budget at CONTAINER_COST each (where that is more than its bytes), which may refuse it (503).
    """
    body = await read_body(request, limit)
    if not body:
        raise GatewayError(400, "The request body is empty; send a JSON object")
    # Nesting cannot exceed the number of opening brackets: most bodies skip the walk (a C-speed count).
    brackets = body.count(b"{") + body.count(b"[")
    charge(request.scope, max(0, brackets * CONTAINER_COST - len(body)))  # bytes were counted as they came
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        if "depth limit" not in str(exc):
            raise GatewayError(400, f"The request body is not valid JSON: {exc}") from None
        value = None  # orjson stops at 1024 levels: too deep in any case
    if value is None and body.strip() != b"null" or (brackets > depth and too_deep(value, depth)):
        raise GatewayError(400, f"The request body nests JSON objects and arrays deeper than {depth} levels")
    return value


def too_deep(value: object, depth: int) -> bool:
    """Whether JSON `value` nests objects and arrays more than `depth` levels deep (a scalar is level 0).

    Iterative and linear in the number of containers; it stops at the first path that is too deep.
    """
    if not isinstance(value, (dict, list)):
        return False
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        node, level = stack.pop()
        if level > depth:
            return True
        for child in node.values() if isinstance(node, dict) else node:
            if isinstance(child, (dict, list)):
                stack.append((child, level + 1))
    return False
