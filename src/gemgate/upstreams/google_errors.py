"""Classify Google API error bodies (google.rpc.Status) into the gateway's taxonomy."""

from __future__ import annotations

import re

import orjson

from ..errors import Scope, UpstreamError, Failure

_DURATION = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(ms|s)?\s*$")
_GO_DURATION = re.compile(r"^\s*(?:(\d+)h)?(?:(\d+)m(?!s))?(?:([0-9]*\.?[0-9]+)(ms|s))?\s*$")
_RETRY_IN_TEXT = re.compile(r"retry in ([0-9]*\.?[0-9]+)\s*(ms|s)", re.IGNORECASE)


def parse_duration(text: str | None) -> float | None:
    """Seconds from a Google duration string: "34.4s", "539.477544ms" (google.protobuf.Duration JSON, as in
    RetryInfo.retryDelay, e.g. ../shared/fixtures/gemini-api/
    vercel__ai__packages_google_src___fixtures___google-429-retry-info.json), and Go-style "2h37m22.776s"
    as Code Assist's quotaResetDelay carries (reference/antigravity.md). None for a missing or unparseable
    value."""
    if not text:
        return None
    m = _DURATION.match(str(text))
    if m:
        value = float(m.group(1))
        return value / 1000 if m.group(2) == "ms" else value
    g = _GO_DURATION.match(str(text))
    if not g or not any(g.groups()):
        return None
    hours, minutes, amount, unit = g.groups()
    seconds = float(amount or 0) / (1000 if unit == "ms" else 1)
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + seconds


def _error_object(body: bytes) -> dict:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return {}
    if isinstance(data, list) and data:  # Code Assist streams wrap errors in a one-element array
        data = data[0]
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        return data["error"]
    return {}


def classify(status: int, body: bytes) -> UpstreamError:
    """The UpstreamError for a non-200 answer (or an in-stream `{"error": ...}`) with a google.rpc.Status body.

    `retry_after` (seconds) from RetryInfo.retryDelay, ErrorInfo.metadata.quotaResetDelay or "retry in Ns" in
    the message. 429 -> CAPACITY (MODEL_CAPACITY_*), QUOTA_EXHAUSTED (reason, or a *PerDay* quotaId) or
    RATE_LIMITED; 400 API_KEY_INVALID / FAILED_PRECONDITION and 402/403 -> FORBIDDEN (account); other
    400 -> BAD_REQUEST; 401 -> AUTH_EXPIRED (account); 404 -> NOT_FOUND; 408/504 -> TIMEOUT; 503 -> CAPACITY;
    other 5xx and 499 -> TRANSIENT. Sources: reference/codeassist-and-gemini-api.md §B2 (status table,
    QuotaFailure, RetryInfo, "Please retry in"), reference/antigravity.md (MODEL_CAPACITY_*, quotaResetDelay).
    """
    err = _error_object(body)
    message = str(err.get("message") or body[:300].decode(errors="replace") or f"HTTP {status}")
    details = [d for d in err.get("details") or () if isinstance(d, dict)]
    ordered = [str(d["reason"]) for d in details if d.get("reason")]
    reasons = set(ordered)
    reason = ordered[0] if ordered else None  # the first ErrorInfo reason, as Google lists them
    retry_after = None
    quota_ids: list[str] = []
    for d in details:
        type_url = str(d.get("@type", ""))
        if type_url.endswith("RetryInfo"):
            retry_after = parse_duration(d.get("retryDelay"))
        elif type_url.endswith("ErrorInfo") and retry_after is None:
            retry_after = parse_duration((d.get("metadata") or {}).get("quotaResetDelay"))
        elif type_url.endswith("QuotaFailure"):
            quota_ids += [str(v.get("quotaId", "")) for v in d.get("violations") or () if isinstance(v, dict)]
    if retry_after is None:
        m = _RETRY_IN_TEXT.search(message)
        if m:
            retry_after = parse_duration(m.group(1) + m.group(2))

    def make(failure: Failure, scope: Scope = Scope.MODEL) -> UpstreamError:
        return UpstreamError(failure, message, status=status, retry_after=retry_after, scope=scope, reason=reason)

    if status == 429:
        if "MODEL_CAPACITY_EXHAUSTED" in reasons or "MODEL_CAPACITY_EXCEEDED" in reasons:
            return make(Failure.CAPACITY)
        if "QUOTA_EXHAUSTED" in reasons or any("PerDay" in q for q in quota_ids):
            return make(Failure.QUOTA_EXHAUSTED)
        return make(Failure.RATE_LIMITED)
    if status == 400:
        if "API_KEY_INVALID" in reasons or "API key not valid" in message:
            return make(Failure.FORBIDDEN, Scope.ACCOUNT)
        if "FAILED_PRECONDITION" == err.get("status"):
            return make(Failure.FORBIDDEN, Scope.ACCOUNT)
        return make(Failure.BAD_REQUEST)
    if status == 401:
        return make(Failure.AUTH_EXPIRED, Scope.ACCOUNT)
    if status in (402, 403):
        return make(Failure.FORBIDDEN, Scope.ACCOUNT)
    if status == 404:
        return make(Failure.NOT_FOUND)
    if status in (408, 504):
        return make(Failure.TIMEOUT)
    if status == 503:
        return make(Failure.CAPACITY)
    if status >= 500 or status == 499:
        return make(Failure.TRANSIENT)
    return make(Failure.BAD_REQUEST)
