"""Gemini-native dialect: a near pass-through of the Gemini API's own JSON.

Requests may use camelCase or snake_case (the Python SDK sends some nested fields in snake_case);
they are normalised to camelCase, except inside free-form values (function arguments, JSON Schemas).
"""

from __future__ import annotations

import orjson

from ..errors import GatewayError, bad_request
from ..models import ModelSpec
from ..thinking import thinking_config
from .validate import expect

# Values under these keys are the client's own data and are passed on verbatim.
_VERBATIM = frozenset(
    {"args", "response", "parametersJsonSchema", "responseJsonSchema", "labels", "default", "example", "enum", "data"}
)
# Keys under these are names chosen by the client; the values are schemas.
_NAMED = frozenset({"properties", "$defs", "definitions"})

_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    413: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


def _camel(key: str) -> str:
    if "_" not in key or key.startswith(("_", "$", "@")):
        return key
    head, *rest = key.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def normalise(value: object) -> object:
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        key = _camel(key)
        if key in _VERBATIM:
            out[key] = item
        elif key in _NAMED and isinstance(item, dict):
            out[key] = {name: normalise(schema) for name, schema in item.items()}
        else:
            out[key] = normalise(item)
    return out


def parse_generate(body: object, spec: ModelSpec) -> dict:
    body = expect(body, dict, "body")
    request = normalise(body)
    request.pop("model", None)  # the model travels in the URL
    contents = request.get("contents")
    if contents is None:
        raise bad_request("'contents' is required: a list of {role, parts} turns", "contents")
    if isinstance(contents, dict):
        request["contents"] = [contents]
    expect(request["contents"], list, "contents")
    apply_spec(request, spec)
    return request


def apply_spec(request: dict, spec: ModelSpec) -> None:
    """What the model name's suffixes ask for (thinking level, search grounding)."""
    if spec.thinking is not None:
        config = thinking_config(spec.model, spec.thinking)
        if config is not None:
            request.setdefault("generationConfig", {})["thinkingConfig"] = config
    if spec.search:
        tools = request.setdefault("tools", [])
        if not any("googleSearch" in t for t in tools if isinstance(t, dict)):
            tools.append({"googleSearch": {}})


def parse_count_tokens(body: object, spec: ModelSpec) -> dict:
    request = normalise(expect(body, dict, "body"))
    inner = request.get("generateContentRequest")
    if isinstance(inner, dict):
        inner["model"] = f"models/{spec.model}"
    elif request.get("contents") is None:
        raise bad_request("'contents' or 'generateContentRequest' is required", "contents")
    return request


def parse_embed(body: object, spec: ModelSpec, *, batch: bool) -> dict:
    request = normalise(expect(body, dict, "body"))
    if batch:
        items = expect(request.get("requests"), list, "requests")
        for i, item in enumerate(items):
            expect(item, dict, f"requests[{i}]")["model"] = f"models/{spec.model}"
    else:
        request.pop("model", None)
        expect(request.get("content"), dict, "content")
    return request


def google_error_body(err: GatewayError) -> dict:
    return {"error": {"code": err.status, "message": err.message, "status": _STATUS_NAMES.get(err.status, "UNKNOWN")}}


def sse_chunk(chunk: dict) -> bytes:
    return b"data: " + orjson.dumps(chunk) + b"\r\n\r\n"


def sse_error(err: GatewayError) -> bytes:
    return sse_chunk(google_error_body(err))
