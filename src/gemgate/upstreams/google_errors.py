"""Classify Google API error bodies (google.rpc.Status) into the gateway's taxonomy."""

from __future__ import annotations

import logging
import math
import re
from http import HTTPStatus

import orjson

from ..errors import Cause, Failure, Scope, UpstreamError
from ..redaction import redact

log = logging.getLogger("gemgate.upstream")

_DURATION = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(ms|s)?\s*$")
_GO_DURATION = re.compile(r"^\s*(?:(\d+)h)?(?:(\d+)m(?!s))?(?:([0-9]*\.?[0-9]+)(ms|s))?\s*$")
_RETRY_IN_TEXT = re.compile(r"retry in ([0-9]*\.?[0-9]+)\s*(ms|s)", re.IGNORECASE)


def parse_duration(text: str | None) -> float | None:
    """Seconds from a Google duration string: "34.4s", "539.477544ms" (google.protobuf.Duration JSON, as in
    RetryInfo.retryDelay, e.g. ../shared/fixtures/gemini-api/
    vercel__ai__packages_google_src___fixtures___google-429-retry-info.json), and Go-style "2h37m22.776s"
    as Code Assist's quotaResetDelay carries (reference/antigravity.md). None for a missing or unparseable
    value, and for one too long to be a number of seconds (it overflows to infinity: no hint, not "never")."""
    if not text:
        return None
    m = _DURATION.match(str(text))
    if m:
        value = float(m.group(1))
        return _finite(value / 1000 if m.group(2) == "ms" else value)
    g = _GO_DURATION.match(str(text))
    if not g or not any(g.groups()):
        return None
    hours, minutes, amount, unit = g.groups()
    seconds = float(amount or 0) / (1000 if unit == "ms" else 1)
    return _finite(int(hours or 0) * 3600 + int(minutes or 0) * 60 + seconds)


def _finite(seconds: float) -> float | None:
    try:
        return float(seconds) if math.isfinite(seconds) else None
    except OverflowError:  # an int of hours too big for a float
        return None


def _objects(value: object) -> list[dict]:
    """The objects in a JSON list (details, errors, violations); nothing for a value of another type, so an
    odd error body is still classified rather than raising."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _not_google(status: int, body: bytes) -> str:
    """The message for an error answer that is not Google's (no google.rpc.Status message): a proxy's or load
    balancer's page names hosts of the operator's setup, so it goes to the log and the client gets the status."""
    if body:
        # Redacted before it is cut: a cut through a key would leave a piece no rule recognises.
        log.warning("upstream HTTP %s answer that is not a Google error: %s", status,
                    redact(body[:65536].decode(errors="replace"))[:300])
    try:
        phrase = f" {HTTPStatus(status).phrase}"
    except ValueError:
        phrase = ""
    return f"HTTP {status}{phrase} (an answer that is not a Google error; the gateway's log has it)"


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


# ErrorInfo reasons (domain googleapis.com, the google.api.ErrorReason enum in googleapis/google/api/
# error_reason.proto; cloudcode-pa ones from reference/antigravity.md §8.2) that are about the key, its project,
# its credential or its licence: never something a request's content can cause.
_ACCOUNT_REASONS = frozenset(
    {
        "API_KEY_INVALID", "API_KEY_SERVICE_BLOCKED", "API_KEY_HTTP_REFERRER_BLOCKED", "API_KEY_IP_ADDRESS_BLOCKED",
        "API_KEY_ANDROID_APP_BLOCKED", "API_KEY_IOS_APP_BLOCKED", "SERVICE_DISABLED", "BILLING_DISABLED",
        "CONSUMER_INVALID", "CONSUMER_SUSPENDED", "USER_PROJECT_DENIED", "ACCOUNT_STATE_INVALID", "GCP_SUSPENDED",
        "USER_BLOCKED_BY_ADMIN", "ORG_RESTRICTION_VIOLATION", "SERVICE_NOT_VISIBLE", "SECURITY_POLICY_VIOLATED",
        "ACCESS_TOKEN_EXPIRED", "ACCESS_TOKEN_SCOPE_INSUFFICIENT", "ACCESS_TOKEN_TYPE_UNSUPPORTED",
        "CREDENTIALS_MISSING", "SESSION_COOKIE_INVALID", "OVERLOADED_CREDENTIALS",
        "VALIDATION_REQUIRED", "SUBSCRIPTION_REQUIRED", "INSUFFICIENT_G1_CREDITS_BALANCE",
        "UNSUPPORTED_CLIENT",  # the OAuth client is refused for this account's tier (antigravity.md §3.1, §9)
    }
)
# Reasons about something the request names or sends (a resource's project or location, a parameter).
_REQUEST_REASONS = frozenset(
    {"RESOURCE_PROJECT_INVALID", "RESOURCE_USAGE_RESTRICTION_VIOLATED", "LOCATION_POLICY_VIOLATED",
     "SYSTEM_PARAMETER_UNSUPPORTED", "MISSING_ORIGIN"}
)
# Messages that blame the key or account when no reason is given, matched only at the start: Google's messages
# echo request content (names, values) after their opening words, and a client must not be able to write
# "API key" into one to disable an account. "API key not valid…" (reference §B2), "API key expired…", "Your API
# key was reported as leaked…" (403, no details), "Method doesn't allow unregistered callers…" (no key),
# "Permission denied: Consumer '…' has been suspended." (google/generative-ai-docs#356), the Code Assist ToS
# bans "Gemini has been disabled in this account…" / "This service has been disabled in this account…"
# (reference/antigravity.md §8.2).
_ACCOUNT_TEXT = re.compile(
    r"^\s*(?:API key not valid|API key expired|Your API key\b|Method doesn't allow unregistered callers"
    r"|Permission denied: Consumer '[^']*' has been suspended|(?:Gemini|This service) has been disabled in this account)",
    re.IGNORECASE,
)
# Messages naming a resource the request referenced: "You do not have permission to access the File <id> or it
# may not exist." (403; googleapis/python-genai#1218), "CachedContent not found (or permission denied)" (403, as
# clients match it), "tunedModels/…", "cachedContents/…", "files/…", "corpora/…". Matching loosely is safe:
# the request's cause changes no account state.
_RESOURCE_TEXT = re.compile(
    r"\b(?:files|cachedContents|tunedModels|corpora|batches|operations)/\S|\bthe File\b|\bCachedContent\b"
    r"|\btuned model\b",
    re.IGNORECASE,
)
# A 404 about the model itself, anchored like _ACCOUNT_TEXT since it is remembered: "models/<id> is not found
# for API version v1beta, or is not supported for generateContent." (the js-genai recording in fixtures/gemini-api).
_MODEL_NOT_FOUND = re.compile(r"^\s*models/[^\s/]+ is not found\b")


def _blame(reasons: set[str], message: str) -> Cause | None:
    """ACCOUNT or REQUEST when the reason or the message says who; None when only the status is known."""
    if reasons & _ACCOUNT_REASONS or _ACCOUNT_TEXT.search(message):
        return Cause.ACCOUNT
    if reasons & _REQUEST_REASONS or _RESOURCE_TEXT.search(message):
        return Cause.REQUEST
    return None


def classify(status: int, body: bytes) -> UpstreamError:
    """The UpstreamError for a non-200 answer (or an in-stream `{"error": ...}`) with a google.rpc.Status body,
    its `cause` (see errors.Cause) decided from the ErrorInfo reason and the message, never the status alone.

    `retry_after` (seconds) from RetryInfo.retryDelay, ErrorInfo.metadata.quotaResetDelay or "retry in Ns" in
    the message. 429 -> CAPACITY (MODEL_CAPACITY_*, the service's), QUOTA_EXHAUSTED (reason, or a *PerDay*
    quotaId) or RATE_LIMITED (the account's); 402 -> FORBIDDEN (prepaid credit used up, the account's);
    400 -> FORBIDDEN for a key reason (API_KEY_INVALID), FORBIDDEN UNCLEAR for FAILED_PRECONDITION (free tier
    not in this country: the account's, but unproven), else BAD_REQUEST (the request's); 401 -> AUTH_EXPIRED;
    403 -> FORBIDDEN, the account's for a key/project/credential reason or message, the request's for a named
    resource, else UNCLEAR; 404 -> NOT_FOUND, the account's (per model) when the model is not found, the
    request's for a named resource, else UNCLEAR ("Requested entity was not found."); 408/504 -> TIMEOUT;
    503 -> CAPACITY; other 5xx and 499 -> TRANSIENT; other 4xx -> the request's. Sources:
    reference/codeassist-and-gemini-api.md §A4, §B2 (status table, QuotaFailure, RetryInfo, "Please retry in"),
    reference/antigravity.md §8 (MODEL_CAPACITY_*, quotaResetDelay, 403 reasons, "400: do not rotate").
    """
    err = _error_object(body)
    message = str(err.get("message") or _not_google(status, body))
    details = _objects(err.get("details"))
    ordered = [str(d["reason"]) for d in details if d.get("reason")]
    # Code Assist also sends the legacy `errors: [{domain, reason}]` list (reference §A4); its reasons
    # ("forbidden", "rateLimitExceeded") are generic, so they only count when they are one of ours.
    legacy = [str(e.get("reason")) for e in _objects(err.get("errors")) if e.get("reason")]
    reasons = set(ordered) | set(legacy)
    reason = ordered[0] if ordered else None  # the first ErrorInfo reason, as Google lists them
    rpc_status = err.get("status") if isinstance(err.get("status"), str) else None
    retry_after = None
    quota_ids: list[str] = []
    for d in details:
        type_url = str(d.get("@type", ""))
        if type_url.endswith("RetryInfo"):
            retry_after = parse_duration(d.get("retryDelay"))
        elif type_url.endswith("ErrorInfo") and retry_after is None:
            metadata = d.get("metadata")
            retry_after = parse_duration(metadata.get("quotaResetDelay") if isinstance(metadata, dict) else None)
        elif type_url.endswith("QuotaFailure"):
            quota_ids += [str(v.get("quotaId", "")) for v in _objects(d.get("violations"))]
    if retry_after is None:
        m = _RETRY_IN_TEXT.search(message)
        if m:
            retry_after = parse_duration(m.group(1) + m.group(2))

    def make(failure: Failure, scope: Scope = Scope.MODEL, cause: Cause | None = None) -> UpstreamError:
        return UpstreamError(
            failure, message, status=status, retry_after=retry_after, scope=scope, reason=reason, cause=cause,
            rpc_status=rpc_status, details=details or None,
        )

    blame = _blame(reasons, message)
    if status == 429:
        if "MODEL_CAPACITY_EXHAUSTED" in reasons or "MODEL_CAPACITY_EXCEEDED" in reasons:
            return make(Failure.CAPACITY)
        if "QUOTA_EXHAUSTED" in reasons or any("PerDay" in q for q in quota_ids):
            return make(Failure.QUOTA_EXHAUSTED)
        return make(Failure.RATE_LIMITED)
    if status == 402:
        # Prepaid credit used up (reference §B2) is the account's; a 402 that does not say so is UNCLEAR like a
        # bare 403, so one request cannot disable every account it is tried on.
        said = message.lower().startswith(("your prepaid credit", "billing", "payment", "insufficient"))
        return make(Failure.FORBIDDEN, Scope.ACCOUNT, blame or (Cause.ACCOUNT if said else Cause.UNCLEAR))
    if status == 400:
        if blame is Cause.ACCOUNT:
            return make(Failure.FORBIDDEN, Scope.ACCOUNT)
        if rpc_status == "FAILED_PRECONDITION":
            return make(Failure.FORBIDDEN, Scope.ACCOUNT, Cause.UNCLEAR)
        return make(Failure.BAD_REQUEST, cause=Cause.REQUEST)
    if status == 401:
        # A 401 is about credentials, but the plain one (no reason) is also what a misrouted or mangled call
        # gets; unproven, it must not put every account it is retried on into re-auth.
        return make(Failure.AUTH_EXPIRED, Scope.ACCOUNT, Cause.ACCOUNT if blame is Cause.ACCOUNT else Cause.UNCLEAR)
    if status == 403:
        # "The caller does not have permission" without a reason is what Google says both for a key that
        # lost access and for a resource the key cannot use: UNCLEAR, so one request cannot disable accounts.
        return make(Failure.FORBIDDEN, Scope.ACCOUNT, blame or Cause.UNCLEAR)
    if status == 404:
        if _MODEL_NOT_FOUND.search(message):
            return make(Failure.NOT_FOUND, cause=Cause.ACCOUNT)  # about (account, model): remembered
        return make(Failure.NOT_FOUND, cause=Cause.REQUEST if blame is Cause.REQUEST else Cause.UNCLEAR)
    if status in (408, 504):
        return make(Failure.TIMEOUT)
    if status == 503:
        return make(Failure.CAPACITY)
    if status >= 500 or status == 499:
        return make(Failure.TRANSIENT)
    return make(Failure.BAD_REQUEST, cause=Cause.REQUEST)
