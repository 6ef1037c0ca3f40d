"""One error taxonomy for the whole gateway.

Upstreams raise `UpstreamError` (classified, with retry hints); the pool decides what to do with it.
Everything a client sees is a `GatewayError`, which each dialect renders in its own wire format.
"""

from __future__ import annotations

import math
from enum import StrEnum

import orjson

from .disclosure import for_client, for_client_json
from .redaction import redact


class Failure(StrEnum):
    """What kind of failure an upstream call met; the pool decides what each means for the account."""

    RATE_LIMITED = "rate_limited"
    QUOTA_EXHAUSTED = "quota_exhausted"
    CAPACITY = "capacity"
    AUTH_EXPIRED = "auth_expired"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    BAD_REQUEST = "bad_request"
    TRANSIENT = "transient"
    MALFORMED = "malformed"
    TIMEOUT = "timeout"


class Scope(StrEnum):
    """Whether a failure concerns one model on the account or the whole account."""

    MODEL = "model"
    ACCOUNT = "account"


class Cause(StrEnum):
    """Who caused an upstream failure, which decides what the pool may do about it.

    ACCOUNT: the account's key, rights, quota or rate (Google's ErrorInfo reason or message says so): booked on
    the account (cooldown, not-found memory, re-auth, disable) and tried on another account.
    REQUEST: the request itself (bad argument, a resource it names that this key cannot use): nothing is
    booked and no other account is tried; the client gets the upstream's status and message.
    SERVICE: passing trouble of the service (5xx, overload, timeout, unusable answer): tried elsewhere, only
    the upstream's own retry hint is booked.
    UNCLEAR: only the status is known (no reason): tried on another account, and booked on this account
    only if another account then serves the same request (`UpstreamError.confirmed`); otherwise it was most
    likely the request, and the client gets the upstream's status. One client cannot change account state
    with it, because every account answers such a request alike.
    """

    ACCOUNT = "account"
    REQUEST = "request"
    SERVICE = "service"
    UNCLEAR = "unclear"


# Who causes each kind when the classifier says nothing more (transport errors, malformed answers).
_DEFAULT_CAUSE: dict[Failure, Cause] = {
    Failure.RATE_LIMITED: Cause.ACCOUNT,
    Failure.QUOTA_EXHAUSTED: Cause.ACCOUNT,
    Failure.AUTH_EXPIRED: Cause.ACCOUNT,
    Failure.FORBIDDEN: Cause.ACCOUNT,
    Failure.NOT_FOUND: Cause.ACCOUNT,
    Failure.BAD_REQUEST: Cause.REQUEST,
    Failure.CAPACITY: Cause.SERVICE,
    Failure.TRANSIENT: Cause.SERVICE,
    Failure.MALFORMED: Cause.SERVICE,
    Failure.TIMEOUT: Cause.SERVICE,
}


class UpstreamError(Exception):
    """A classified upstream failure, raised by upstreams and judged by the pool.

    `failure` says what happened; `cause` who caused it (default by kind, see `Cause`); `retry_after` is the
    upstream's own hint in seconds (None: none given); `scope` whether it concerns one model or the whole
    account; `status` the upstream HTTP status; `rpc_status` its google.rpc code name ("PERMISSION_DENIED");
    `reason` the google.rpc ErrorInfo reason where there was one; `details` the google.rpc.Status `details`
    as Google sent them (RetryInfo, QuotaFailure, Help, ...); `confirmed` whether an UNCLEAR failure was
    shown to be the account's (another account served the same request). The message and details are
    redacted of secrets.
    """

    def __init__(
        self,
        failure: Failure,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        scope: Scope = Scope.MODEL,
        reason: str | None = None,
        cause: Cause | None = None,
        rpc_status: str | None = None,
        details: list | None = None,
    ) -> None:
        self.message = redact(message)
        super().__init__(self.message)  # str() and repr() of the error show only the redacted text
        self.details = redact_json(details) if details else None
        self.failure = failure
        self.status = status
        self.retry_after = retry_after
        self.scope = scope
        self.reason = reason
        self.cause = cause or _DEFAULT_CAUSE[failure]
        self.rpc_status = rpc_status
        self.confirmed = False

    @property
    def retryable(self) -> bool:
        """Worth trying on another account (before anything reached the client): all but the request's own."""
        return self.cause is not Cause.REQUEST

    @property
    def books(self) -> bool:
        """Whether the pool may book it on the account: not the request's own, and an unclear one only once
        confirmed."""
        return self.cause in (Cause.ACCOUNT, Cause.SERVICE) or (self.cause is Cause.UNCLEAR and self.confirmed)

    def to_gateway(self) -> GatewayError:
        """The error as the client sees it (`_client_view`), remembering the upstream `failure` it came from
        (APIs with their own error codes, the bridge's, name it)."""
        out = self._client_view()
        out.failure = self.failure
        return out

    def _client_view(self) -> GatewayError:
        """The error as the client sees it. The request's own failures (and unclear ones nobody served, but
        an unexplained 401, which is never the client's) keep the upstream's status, message and google.rpc
        status; a refused account credential is the gateway's 502; other failures keep Google's 429 or 5xx
        status (else the gateway's view: 504 timeout, 502 unusable answer), with the message prefixed with
        what happened; a model the upstream does not know is 404 model_not_found. Whenever Google's answer is
        passed on, its google.rpc status, message and details go along for Google-shaped dialects. What the
        client sees names no account, e-mail, project or link (`disclosure.for_client`); a refused account
        says only that, with Google's reason code."""
        said = for_client(self.message)  # no account name, e-mail, project or link (disclosure.py)
        details = for_client_json(self.details) if self.details else None
        google = {"rpc_status": self.rpc_status, "details": details, "google_message": said}
        if self.cause is Cause.REQUEST or (self.cause is Cause.UNCLEAR and self.failure is not Failure.AUTH_EXPIRED):
            status = self.status if self.status and 400 <= self.status < 500 else 400
            return GatewayError(status, said, upstream=True, **google)
        status, text = _CLIENT_VIEW[self.failure]
        message = f"{text}: {said}" if text else said
        if self.failure is Failure.NOT_FOUND:  # the upstream does not know the model (OpenAI: model_not_found)
            return GatewayError(404, message, param="model", code="model_not_found", upstream=True, **google)
        if self.failure in (Failure.AUTH_EXPIRED, Failure.FORBIDDEN):
            # The account's credential was refused: Google's 401/403 would tell the client its own key is bad.
            # Why (a ban, a verification link, a project) is the operator's, in `accounts list` and the log.
            why = f" ({self.reason})" if self.reason and self.reason.isupper() else ""
            message = (f"{text}{why}; the gateway's operator can see why with `gemgate accounts list`")
            return GatewayError(status, message, retry_after=self.retry_after, upstream=True)
        if self.status is not None and (self.status == 429 or self.status >= 500):
            status = self.status  # what Google said (500 INTERNAL stays 500, a 429 for capacity stays 429)
        if status != self.status:  # the gateway's own view (408 -> 504, 499 -> 502): Google's code name would not fit
            return GatewayError(status, message, retry_after=self.retry_after, upstream=True)
        return GatewayError(status, message, retry_after=self.retry_after, upstream=True, **google)


_CLIENT_VIEW: dict[Failure, tuple[int, str]] = {
    Failure.RATE_LIMITED: (429, "Upstream rate limit"),
    Failure.QUOTA_EXHAUSTED: (429, "Upstream quota exhausted"),
    Failure.CAPACITY: (503, "Upstream model overloaded"),
    Failure.AUTH_EXPIRED: (502, "Upstream account rejected the request"),
    Failure.FORBIDDEN: (502, "Upstream account rejected the request"),
    Failure.NOT_FOUND: (404, ""),
    Failure.BAD_REQUEST: (400, ""),
    Failure.TRANSIENT: (502, "Upstream error"),
    Failure.MALFORMED: (502, "Upstream returned an unusable response"),
    Failure.TIMEOUT: (504, "Upstream timed out"),
}


class GatewayError(Exception):
    """An error as the client sees it: an HTTP status and a message that says what to fix.

    `param` names the offending request field, `code` a machine-readable code (OpenAI's `code`),
    `retry_after` seconds until a retry may succeed, `upstream` whether it came from an upstream failure,
    `close` whether the connection is closed after the answer (the request body was not read to its end),
    `rpc_status` the upstream's google.rpc code name when its answer is passed on (Google-shaped dialects show
    it instead of the one named from `status`), with Google's own `details` and message (`google_message`,
    without the gateway's prefix). Each dialect renders it in its own wire format.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        retry_after: float | None = None,
        upstream: bool = False,
        close: bool = False,
        rpc_status: str | None = None,
        details: list | None = None,
        google_message: str | None = None,
    ) -> None:
        self.message = redact(message)
        super().__init__(self.message)
        self.details = details
        self.google_message = redact(google_message) if google_message else None
        self.status = status
        self.param = param
        self.code = code
        self.retry_after = retry_after
        self.upstream = upstream
        self.close = close
        self.rpc_status = rpc_status
        self.failure: Failure | None = None  # the upstream failure it came from (set by UpstreamError.to_gateway)

    def headers(self, status: int | None = None) -> dict[str, str]:
        """HTTP headers that go with the error answered with `status` (default `self.status`): Retry-After in
        whole seconds (at least 1) when known (and finite), `Connection: close` when the connection ends with this
        answer, and `x-should-retry: false` on a 4xx that asking again cannot fix (see `should_not_retry`)."""
        headers = {"Connection": "close"} if self.close else {}
        if self.retry_after is not None and math.isfinite(self.retry_after):
            headers["Retry-After"] = str(max(1, int(self.retry_after + 0.999)))
        if should_not_retry(self.status if status is None else status):
            headers["x-should-retry"] = "false"
        return headers


# Statuses the OpenAI and Anthropic SDKs retry on their own (their `shouldRetry`: 408, 409, 429, 5xx).
_RETRYABLE_4XX = frozenset({408, 409, 429})


def should_not_retry(status: int) -> bool:
    """Whether an error answer with this status says `x-should-retry: false`: every 4xx but 408, 409 and 429.

    The OpenAI and Anthropic SDKs (and the clients built on them) read that header before their own status
    rules; without it Claude Code retries a 401 (a wrong key) with backoff for minutes (10 attempts), silent
    in `-p` mode, where with it the run stops at once with "Failed to authenticate" (observed with Claude Code
    2.1.197)."""
    return 400 <= status < 500 and status not in _RETRYABLE_4XX


def redact_json(value: list) -> list:
    """A JSON list (google.rpc.Status details) with every secret `redact` knows removed from its text."""
    try:
        return orjson.loads(redact(orjson.dumps(value).decode()))
    except (TypeError, orjson.JSONDecodeError):
        return []


def internal_error() -> GatewayError:
    """The 500 for a fault in the gateway itself (its traceback is in the server log, never in the answer)."""
    return GatewayError(500, "Internal gateway error; see the server log.")


def bad_request(message: str, param: str | None = None) -> GatewayError:
    """A 400 naming the request field (`param`, a dotted path such as "messages[2].content") to fix."""
    return GatewayError(400, message, param=param)


__all__ = ["Failure", "GatewayError", "Scope", "UpstreamError", "bad_request", "redact"]
