"""One error taxonomy for the whole gateway.

Upstreams raise `UpstreamError` (classified, with retry hints); the pool decides what to do with it.
Everything a client sees is a `GatewayError`, which each dialect renders in its own wire format.
"""

from __future__ import annotations

import re
from enum import StrEnum


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


# Kinds worth trying on another account before the first byte reaches the client.
RETRYABLE = frozenset(
    {
        Failure.RATE_LIMITED,
        Failure.QUOTA_EXHAUSTED,
        Failure.CAPACITY,
        Failure.AUTH_EXPIRED,
        Failure.FORBIDDEN,
        Failure.NOT_FOUND,
        Failure.TRANSIENT,
        Failure.MALFORMED,
        Failure.TIMEOUT,
    }
)


class UpstreamError(Exception):
    """A classified upstream failure, raised by upstreams and judged by the pool.

    `failure` says what happened; `retry_after` is the upstream's own hint in seconds (None: none given);
    `scope` whether it concerns one model or the whole account; `status` the upstream HTTP status;
    `reason` the google.rpc ErrorInfo reason where there was one. The message is redacted of secrets.
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
    ) -> None:
        super().__init__(message)
        self.failure = failure
        self.message = redact(message)
        self.status = status
        self.retry_after = retry_after
        self.scope = scope
        self.reason = reason

    @property
    def retryable(self) -> bool:
        """Worth trying on another account (before anything reached the client)."""
        return self.failure in RETRYABLE

    def to_gateway(self) -> GatewayError:
        """The error as the client sees it: a status and a message prefixed with what happened."""
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
    `close` whether the connection is closed after the answer (the request body was not read to its end).
    Each dialect renders it in its own wire format.
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
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = redact(message)
        self.param = param
        self.code = code
        self.retry_after = retry_after
        self.upstream = upstream
        self.close = close

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


# Google API keys, OAuth access/refresh tokens, gemgate client keys, web cookies.
_SECRET_PATTERNS = re.compile(
    r"AIza[0-9A-Za-z_\-]{20,}|ya29\.[0-9A-Za-z_\-\.]+|1//[0-9A-Za-z_\-]{20,}|gg-[0-9A-Za-z_\-]{16,}"
    r"|(?<=key=)[^&\s\"']+"
)


def redact(text: str) -> str:
    """`text` with Google API keys, OAuth tokens, gemgate client keys and `key=` values replaced."""
    return _SECRET_PATTERNS.sub("[redacted]", text) if text else text
