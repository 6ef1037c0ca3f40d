"""What every OpenAI-style dialect shares: error bodies, usage, finish reasons, ids."""

from __future__ import annotations

import secrets

import orjson

from ...errors import GatewayError

_ERROR_TYPES = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("permission_error", None),
    404: ("invalid_request_error", "model_not_found"),
    413: ("invalid_request_error", "request_too_large"),
    429: ("rate_limit_error", "rate_limit_exceeded"),
}


def openai_error_body(err: GatewayError) -> dict:
    kind, code = _ERROR_TYPES.get(err.status, ("server_error" if err.status >= 500 else "invalid_request_error", None))
    if err.status == 404 and err.code is None and err.param != "model":
        code = "not_found"
    return {"error": {"message": err.message, "type": kind, "param": err.param, "code": err.code or code}}



FINISH_REASONS = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter",
    "IMAGE_PROHIBITED_CONTENT": "content_filter",
    "IMAGE_RECITATION": "content_filter",
    "LANGUAGE": "content_filter",
}


def finish_reason(gemini_reason: str | None, has_tool_calls: bool) -> str:
    reason = FINISH_REASONS.get(gemini_reason or "STOP", "stop")
    if reason == "stop" and has_tool_calls:
        return "tool_calls"
    return reason


def chat_usage(meta: dict | None) -> dict:
    meta = meta or {}
    prompt = int(meta.get("promptTokenCount") or 0)
    thoughts = int(meta.get("thoughtsTokenCount") or 0)
    completion = int(meta.get("candidatesTokenCount") or 0) + thoughts
    total = int(meta.get("totalTokenCount") or prompt + completion)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": total,
        "prompt_tokens_details": {"cached_tokens": int(meta.get("cachedContentTokenCount") or 0)},
        "completion_tokens_details": {"reasoning_tokens": thoughts},
    }


def new_id(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(18).replace("-", "").replace("_", "")[:24]
