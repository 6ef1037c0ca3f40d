"""Anthropic's error shape and status codes.

Body `{"type": "error", "error": {"type", "message"}}` with the types Anthropic documents per status
(docs.anthropic.com/en/api/errors): 400 invalid_request_error, 401 authentication_error, 403 permission_error,
404 not_found_error, 413 request_too_large, 429 rate_limit_error, 500 api_error, 529 overloaded_error. Claude
Code and the anthropic SDK retry 429, 5xx and 529 (client-harness.md §4).
"""

from __future__ import annotations

import orjson

from ...errors import GatewayError

_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}


def anthropic_status(err: GatewayError) -> int:
    """The status Anthropic would answer: 529 when the model is overloaded (Google's capacity 503) or every
    account that serves it is cooling (the pool's `all_accounts_cooling` 429); the error's own otherwise."""
    if err.code == "all_accounts_cooling" or (err.upstream and err.status == 503):
        return 529
    return err.status


def anthropic_error_body(err: GatewayError) -> dict:
    """`{"type": "error", "error": {"type", "message"}}`, the type named from `anthropic_status(err)`: a 4xx
    Anthropic has no name for is invalid_request_error (408, 414, 431 ...), any other 5xx api_error."""
    status = anthropic_status(err)
    kind = _TYPES.get(status) or ("api_error" if status >= 500 else "invalid_request_error")
    return {"type": "error", "error": {"type": kind, "message": err.message}}


def error_event(err: GatewayError) -> bytes:
    """The `event: error` SSE frame that ends a committed stream (the SDK raises APIStatusError on it)."""
    return b"event: error\ndata: " + orjson.dumps(anthropic_error_body(err)) + b"\n\n"
