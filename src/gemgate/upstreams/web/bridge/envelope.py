"""The bridge API's envelopes and error codes (issue 9, "The bridge API": the REST bridge this project replaces).

Success: `{"success": true, "data": {...}, "requestId": "<uuid>", "timestamp": "<ISO-8601>"}`; failure:
`{"success": false, "error": {"code", "message"}, "requestId", "timestamp"}` with exactly the codes and
statuses of `CODES`. `classify` names a gateway error (what the pipeline answers) in those codes.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

from ....errors import Failure, GatewayError
from ....http.body import json_response

# code -> HTTP status (issue 9, exactly these)
CODES: dict[str, int] = {
    "MISSING_GEMINI_CREDENTIALS": 401,
    "INVALID_GEMINI_CREDENTIALS": 401,
    "BRIDGE_AUTH_ERROR": 401,
    "INVALID_BODY": 400,
    "GEMINI_AUTH_ERROR": 401,
    "USAGE_LIMIT_EXCEEDED": 429,
    "MODEL_INVALID": 400,
    "TIMEOUT": 504,
    "TEMPORARILY_BLOCKED": 429,
    "API_ERROR": 502,
    "INTERNAL_ERROR": 500,
}


class BridgeError(Exception):
    """An error the bridge answers itself (before or beside the pipeline): one of `CODES` and a message that
    says what to fix."""

    def __init__(self, code: str, message: str) -> None:
        assert code in CODES, code
        super().__init__(message)
        self.code, self.message = code, message


def request_id() -> str:
    """A fresh request id (a UUID, as the bridge's)."""
    return str(uuid.uuid4())


def timestamp() -> str:
    """Now in ISO-8601 UTC with milliseconds and a `Z` (JavaScript's `toISOString`, the bridge's)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def ok(data: dict, rid: str) -> dict:
    """The success envelope around `data`."""
    return {"success": True, "data": data, "requestId": rid, "timestamp": timestamp()}


def failed(code: str, message: str, rid: str) -> dict:
    """The error envelope."""
    return {"success": False, "error": {"code": code, "message": message}, "requestId": rid, "timestamp": timestamp()}


def classify(err: GatewayError) -> str:
    """The bridge code of a gateway error: the per-request cookies malformed or signed out →
    INVALID_GEMINI_CREDENTIALS; Google's usage limit (1037) → USAGE_LIMIT_EXCEEDED; a block (1060, 1095, the
    "sorry" page, HTTP 429) → TEMPORARILY_BLOCKED; a refused account or none usable → GEMINI_AUTH_ERROR; a model
    the account lacks or that differs from the conversation's (1052, 1050) → MODEL_INVALID; other requests the
    web app refuses (an attachment, a file too large or empty) → INVALID_BODY; timeouts → TIMEOUT;
    the gateway's own limits (429) → USAGE_LIMIT_EXCEEDED; other upstream failures → API_ERROR; other client
    mistakes → INVALID_BODY; the gateway's own faults → INTERNAL_ERROR."""
    failure = err.failure
    if err.code in ("signed_out", "invalid_personal_credentials"):
        return "INVALID_GEMINI_CREDENTIALS"
    if failure is Failure.QUOTA_EXHAUSTED:
        return "USAGE_LIMIT_EXCEEDED"
    if failure is Failure.RATE_LIMITED:
        return "TEMPORARILY_BLOCKED"
    if failure in (Failure.AUTH_EXPIRED, Failure.FORBIDDEN) or err.code in ("personal_credentials", "no_usable_account"):
        return "GEMINI_AUTH_ERROR"
    if failure is Failure.TIMEOUT or err.status in (408, 504):
        return "TIMEOUT"
    if failure is Failure.NOT_FOUND or err.status == 404 or err.param == "model":
        return "MODEL_INVALID"
    if failure is Failure.BAD_REQUEST:  # what the web app cannot take of this request: a file, an attachment
        return "INVALID_BODY"
    if err.status == 429:
        return "USAGE_LIMIT_EXCEEDED"
    if err.upstream or err.status in (502, 503):
        return "API_ERROR"
    if 400 <= err.status < 500:
        return "INVALID_BODY"
    return "INTERNAL_ERROR"


def error_response(code: str, message: str, rid: str, headers: dict[str, str] | None = None):
    """The error envelope as an HTTP response with the code's status and `headers`."""
    return json_response(failed(code, message, rid), CODES[code], headers)


def gateway_error_response(err: GatewayError, rid: str):
    """A gateway error as the bridge's error response; where the message points at the OpenAI model list, the
    bridge's own `GET /api/models` is named instead."""
    message = err.message.replace("GET /v1/models", "GET /api/models")
    code = classify(err)
    return error_response(code, message, rid, err.headers(CODES[code]))  # Retry-After as every dialect gives it


_CHAT_ID = re.compile(r"c_[0-9A-Za-z_-]{1,128}")  # the web app's conversation ids (§3.6, the captures)


def conversation_id(value: str, where: str) -> str:
    """`value` when it has the shape of a conversation id (`c_` and up to 128 letters, digits, `_` or `-`), else
    BridgeError INVALID_BODY naming `where` (and at most 40 characters of the value)."""
    if not _CHAT_ID.fullmatch(value):
        raise BridgeError("INVALID_BODY", f"{where} '{value[:40]}' is not a conversation id (they start with 'c_')")
    return value

