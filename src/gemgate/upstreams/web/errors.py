"""The web app's failures in the gateway's taxonomy (reference/gemini-web-protocol.md §1.5, §4).

Cooldown lengths (seconds) are settings of the kind (`GeminiWebSettings`), passed in; the codes and their meanings are the
reference's, each with its source there.
"""

from __future__ import annotations

from ...errors import Cause, Failure, GatewayError, Scope, UpstreamError

USAGE_LIMIT = 1037  # UsageLimitExceededError in gemini_webapi 2.1.1: the model's usage limit (§4.1)
MODEL_INCONSISTENT = 1050  # ModelInvalidError: model differs from the conversation's (§3.7, §4.1)
MODEL_UNAVAILABLE = 1052  # ModelInvalidError: model header invalid or model unavailable (§4.1)
IP_BLOCKED = 1060  # TemporarilyBlockedError: IP temporarily blocked (§4.1)
ACCOUNT_RATE = 1095  # per-account rate limit of about a minute (Mag1cFall protocol.md, §4.1)
ACCOUNT_RATE_SECONDS = 60.0
ATTACHMENT_REJECTED = 1100  # the attachment tuple's shape, or an anonymous session referencing an upload (§4.1)
TRANSIENT_CODES = {1013: "a passing failure", 1155: "an empty rejection"}  # §4.1: 2.1.1 retries 1013; zexadev 1155


class ModelInconsistent(UpstreamError):
    """Error 1050: the model differs from the one the continued conversation used (§3.7); the turn is then
    sent again as a new conversation. The client's view names the `model` parameter (the bridge's
    MODEL_INVALID, not a body mistake)."""

    def _client_view(self) -> GatewayError:
        view = super()._client_view()
        view.param = "model"
        return view


def blocked(label: str, why: str, seconds: float) -> UpstreamError:
    """Google's "sorry" page, an HTTP 429 or error 1060: the account's address is blocked for a while, so the
    whole account (and so its proxy) cools down."""
    return UpstreamError(
        Failure.RATE_LIMITED, f"{label} temporarily blocked this account's address ({why})",
        retry_after=seconds, scope=Scope.ACCOUNT, status=429, cause=Cause.ACCOUNT,
    )


def usage_limit(label: str, seconds: float, until: str = "") -> UpstreamError:
    """Error 1037: the account's usage limit for the model; that model rests `seconds` (`until`: when it ends,
    as the usage RPC said, for the message)."""
    when = f", until {until}" if until else ""
    return UpstreamError(
        Failure.QUOTA_EXHAUSTED, f"{label}: this account reached its usage limit for the model (error 1037{when})",
        retry_after=seconds, scope=Scope.MODEL, status=429, cause=Cause.ACCOUNT,
    )


def in_band_error(code: int, label: str, settings) -> UpstreamError:
    """The UpstreamError for a BardErrorInfo code in a StreamGenerate or batchexecute part (§4.1); `settings`
    (GeminiWebSettings) gives the cooldowns."""
    if code == USAGE_LIMIT:
        return usage_limit(label, settings.usage_limit_cooldown_seconds)
    if code == MODEL_UNAVAILABLE:
        return UpstreamError(
            Failure.NOT_FOUND, f"{label}: the model is not available to this account (error 1052)",
            status=404, cause=Cause.ACCOUNT,
        )
    if code == MODEL_INCONSISTENT:
        return ModelInconsistent(
            Failure.BAD_REQUEST, f"{label}: the model differs from the one the conversation used (error 1050)",
            status=400, cause=Cause.REQUEST,
        )
    if code == IP_BLOCKED:
        return blocked(label, "error 1060", settings.blocked_cooldown_seconds)
    if code == ACCOUNT_RATE:
        return UpstreamError(
            Failure.RATE_LIMITED, f"{label}: too many requests from this account (error 1095)",
            retry_after=ACCOUNT_RATE_SECONDS, scope=Scope.ACCOUNT, status=429, cause=Cause.ACCOUNT,
        )
    if code == ATTACHMENT_REJECTED:
        return UpstreamError(Failure.BAD_REQUEST, f"{label} rejected the request's attachment (error 1100)",
                             status=400, cause=Cause.UNCLEAR)
    what = TRANSIENT_CODES.get(code, "an error it did not explain")
    return UpstreamError(Failure.TRANSIENT, f"{label} answered with {what} (error {code})")


def frame_error(status: int, label: str) -> UpstreamError:
    """An in-band `["er", …]` frame of a StreamGenerate body, its status at [5] (reference §4.1 "In-band protocol
    error frame"; Mag1cFall docs/protocol.md §5: `er[5]` is the code, and a 401/403 there means the session must
    be renewed, as over HTTP): 401/403 AUTH_EXPIRED, 429 a rate limit of the account, anything else TRANSIENT."""
    if status in (401, 403):
        return UpstreamError(Failure.AUTH_EXPIRED, f"{label} refused the account's session in its answer ({status})",
                             status=status, scope=Scope.ACCOUNT)
    if status == 429:
        return UpstreamError(Failure.RATE_LIMITED, f"{label}: too many requests from this account (in-band 429)",
                             retry_after=ACCOUNT_RATE_SECONDS, scope=Scope.ACCOUNT, status=429, cause=Cause.ACCOUNT)
    return UpstreamError(Failure.TRANSIENT, f"{label} answered with a protocol error frame ({status})")


def is_xsrf_rejection(status: int, body: bytes) -> bool:
    """A 400 whose body carries the "xsrf" marker: the `at` token is stale or absent (§1.5)."""
    return status == 400 and b"xsrf" in body.lower()


def http_error(label: str, status: int, body: bytes, location: str | None, settings) -> UpstreamError:
    """A non-200 answer: a redirect to /sorry/ or a 429 is a block (§1.5); 401/403 the cookies' refusal; 5xx
    Google's passing trouble; any other redirect one no Google page makes (TRANSIENT)."""
    if status == 429 or (location and "/sorry/" in location) or (300 <= status < 400 and b"/sorry/" in body):
        return blocked(label, "Google's 'sorry' page" if status != 429 else "HTTP 429", settings.blocked_cooldown_seconds)
    if 300 <= status < 400:
        return UpstreamError(Failure.TRANSIENT, f"{label} answered with a redirect (HTTP {status}), which is not followed")
    if status in (401, 403):
        return UpstreamError(Failure.AUTH_EXPIRED, f"{label} refused the account's cookies (HTTP {status})",
                             status=status, scope=Scope.ACCOUNT)
    if status == 400:
        return UpstreamError(Failure.BAD_REQUEST, f"{label} refused the request (HTTP 400)", status=400,
                             cause=Cause.UNCLEAR)
    return UpstreamError(Failure.TRANSIENT, f"{label} answered HTTP {status}", status=status)
