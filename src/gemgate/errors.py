"""One error taxonomy for the whole gateway.

Upstreams raise `UpstreamError` (classified, with retry hints); the pool decides what to do with it.
Everything a client sees is a `GatewayError`, which each dialect renders in its own wire format.
"""

from __future__ import annotations

from enum import StrEnum

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
    `reason` the google.rpc ErrorInfo reason where there was one; `confirmed` whether an UNCLEAR failure was
    shown to be the account's (another account served the same request). The message is redacted of secrets.
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
    ) -> None:
        self.message = redact(message)
        super().__init__(self.message)  # str() and repr() of the error show only the redacted text
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
        """The error as the client sees it. The request's own failures (and unclear ones nobody served, but
        an unexplained 401, which is never the client's) keep the upstream's status, message and google.rpc
        status; account and service failures become the gateway's view (502 account rejected, 429, 503, 504)
        prefixed with what happened; a model the upstream does not know is 404 model_not_found."""
        if self.cause is Cause.REQUEST or (self.cause is Cause.UNCLEAR and self.failure is not Failure.AUTH_EXPIRED):
            status = self.status if self.status and 400 <= self.status < 500 else 400
            return GatewayError(status, self.message, upstream=True, rpc_status=self.rpc_status)
        status, text = _CLIENT_VIEW[self.failure]
        message = f"{text}: {self.message}" if text else self.message
        if self.failure is Failure.NOT_FOUND:  # the upstream does not know the model (OpenAI: model_not_found)
            return GatewayError(404, message, param="model", code="model_not_found", upstream=True)
        return GatewayError(status, message, retry_after=self.retry_after, upstream=True)


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
    it instead of the one named from `status`). Each dialect renders it in its own wire format.
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
    ) -> None:
        self.message = redact(message)
        super().__init__(self.message)
        self.status = status
        self.param = param
        self.code = code
        self.retry_after = retry_after
        self.upstream = upstream
        self.close = close
        self.rpc_status = rpc_status

    def headers(self) -> dict[str, str]:
        """HTTP headers that go with the error: Retry-After in whole seconds (at least 1) when known,
        `Connection: close` when the connection ends with this answer."""
        headers = {"Connection": "close"} if self.close else {}
        if self.retry_after is not None:
            headers["Retry-After"] = str(max(1, int(self.retry_after + 0.999)))
        return headers


def bad_request(message: str, param: str | None = None) -> GatewayError:
    """A 400 naming the request field (`param`, a dotted path such as "messages[2].content") to fix."""
    return GatewayError(400, message, param=param)


__all__ = ["Failure", "GatewayError", "Scope", "UpstreamError", "bad_request", "redact"]
