"""Reading request bodies and writing JSON responses."""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import Response

from ..errors import GatewayError


def json_response(obj: object, status: int = 200, headers: dict | None = None) -> Response:
    """A JSON response (orjson)."""
    return Response(orjson.dumps(obj), status_code=status, headers=headers, media_type="application/json")


async def read_json(request: Request) -> object:
    """The decoded JSON body; GatewayError 400 when it is empty or not JSON."""
    body = await request.body()
    if not body:
        raise GatewayError(400, "The request body is empty; send a JSON object")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise GatewayError(400, f"The request body is not valid JSON: {exc}") from None
