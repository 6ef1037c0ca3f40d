"""Model listings. GET /v1/models answers the OpenAI SDK and google-genai (whose 3.x default is /v1)
with one hybrid body that both accept."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import Response

from ..dialects.gemini import google_error_body
from ..errors import GatewayError
from .respond import gateway, json_response

_CREATED = int(time.time())


def _gemini_resource(listed: str, resource: dict) -> dict:
    out = dict(resource)
    out["name"] = f"models/{listed}"
    out.setdefault("displayName", listed)
    out.setdefault("supportedGenerationMethods", ["generateContent", "countTokens"])
    return out


def _openai_entry(listed: str, kind_owner: str = "google") -> dict:
    return {"id": listed, "object": "model", "created": _CREATED, "owned_by": kind_owner}


def _find(request: Request, name: str) -> tuple[str, dict]:
    gw = gateway(request)
    name = name.removeprefix("models/")
    for listed, resource in gw.catalog.entries():
        if listed == name:
            return listed, resource
    raise GatewayError(
        404, f"The model '{name}' does not exist. GET /v1/models lists the models available to you.", param="model"
    )


def _hybrid_error(err: GatewayError) -> Response:
    body = google_error_body(err)
    body["error"].update({"type": "invalid_request_error", "param": err.param, "code": err.status})
    return json_response(body, err.status)


def _page(request: Request, default_size: int | None) -> tuple[list[tuple[str, dict]], dict]:
    """One page of the listing; `pageSize`/`pageToken` as the Gemini API takes them (None: everything)."""
    entries = gateway(request).catalog.entries()
    size_text = request.query_params.get("pageSize")
    try:
        start = int(request.query_params.get("pageToken") or 0)
        size = int(size_text) if size_text else default_size or len(entries) or 1
        size = max(1, min(size, 1000))
    except ValueError:
        raise GatewayError(400, "pageSize and pageToken must be integers", param="pageToken") from None
    extra = {}
    if start + size < len(entries):
        extra["nextPageToken"] = str(start + size)  # omitted on the last page: an empty one makes SDKs loop
    return entries[start : start + size], extra


async def list_hybrid(request: Request) -> Response:
    try:
        entries, extra = _page(request, None)  # OpenAI clients expect the whole list
    except GatewayError as err:
        return _hybrid_error(err)
    return json_response(
        {
            "object": "list",
            "data": [_openai_entry(listed) for listed, _ in entries],
            "models": [_gemini_resource(listed, r) for listed, r in entries],
            **extra,
        }
    )


async def get_hybrid(request: Request) -> Response:
    try:
        listed, resource = _find(request, request.path_params["rest"])
    except GatewayError as err:
        return _hybrid_error(err)
    return json_response({**_gemini_resource(listed, resource), **_openai_entry(listed)})


async def list_gemini(request: Request) -> Response:
    try:
        entries, extra = _page(request, 50)  # the Gemini API's default page size
    except GatewayError as err:
        return json_response(google_error_body(err), err.status)
    return json_response({"models": [_gemini_resource(listed, r) for listed, r in entries], **extra})


async def get_gemini(request: Request) -> Response:
    try:
        listed, resource = _find(request, request.path_params["rest"])
    except GatewayError as err:
        return json_response(google_error_body(err), err.status)
    return json_response(_gemini_resource(listed, resource))
