"""What every OpenAI-style dialect shares: error bodies, usage, finish reasons, ids."""

from __future__ import annotations

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
    """`{"error": {"message", "type", "param", "code"}}` as OpenAI sends it
    (platform.openai.com/docs/guides/error-codes): type by status (invalid_request_error, permission_error,
    rate_limit_error, server_error for 5xx); code is the error's own, else e.g. invalid_api_key (401),
    model_not_found (404 on `model`), rate_limit_exceeded (429).
    """
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
    """The OpenAI finish_reason for a Gemini Candidate.finishReason (ai.google.dev/api/generate-content#FinishReason):
    MAX_TOKENS -> "length", safety/recitation/blocklist kinds -> "content_filter", anything else (and None)
    -> "stop", or "tool_calls" when the choice holds tool calls.
    """
    reason = FINISH_REASONS.get(gemini_reason or "STOP", "stop")
    if reason == "stop" and has_tool_calls:
        return "tool_calls"
    return reason


def chat_usage(meta: dict | None) -> dict:
    """OpenAI `usage` from a Gemini `usageMetadata` (tokens): completion_tokens = candidates + thoughts,
    reasoning_tokens = thoughtsTokenCount, cached_tokens = cachedContentTokenCount; zeros when absent.
    """
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
