"""One error taxonomy for the whole gateway.

Upstreams raise `UpstreamError` (classified, with retry hints); the pool decides what to do with it.
Everything a client sees is a `GatewayError`, which each dialect renders in its own wire format.
"""

from __future__ import annotations

import re
from enum import StrEnum


class UpstreamKind(StrEnum):
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
    MODEL = "model"
    ACCOUNT = "account"


# Kinds worth trying on another account before the first byte reaches the client.
RETRYABLE = frozenset(
    {
        UpstreamKind.RATE_LIMITED,
        UpstreamKind.QUOTA_EXHAUSTED,
        UpstreamKind.CAPACITY,
        UpstreamKind.AUTH_EXPIRED,
        UpstreamKind.FORBIDDEN,
        UpstreamKind.NOT_FOUND,
        UpstreamKind.TRANSIENT,
        UpstreamKind.MALFORMED,
        UpstreamKind.TIMEOUT,
    }
)


class UpstreamError(Exception):
    def __init__(
        self,
        kind: UpstreamKind,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        scope: Scope = Scope.MODEL,
        reason: str | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = redact(message)
        self.status = status
        self.retry_after = retry_after
        self.scope = scope
        self.reason = reason

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE

    def to_gateway(self) -> GatewayError:
        status, text = _CLIENT_VIEW[self.kind]
        message = f"{text}: {self.message}" if text else self.message
        return GatewayError(status, message, retry_after=self.retry_after, upstream=True)


_CLIENT_VIEW: dict[UpstreamKind, tuple[int, str]] = {
    UpstreamKind.RATE_LIMITED: (429, "Upstream rate limit"),
    UpstreamKind.QUOTA_EXHAUSTED: (429, "Upstream quota exhausted"),
    UpstreamKind.CAPACITY: (503, "Upstream model overloaded"),
    UpstreamKind.AUTH_EXPIRED: (502, "Upstream account rejected the request"),
    UpstreamKind.FORBIDDEN: (502, "Upstream account rejected the request"),
    UpstreamKind.NOT_FOUND: (404, ""),
    UpstreamKind.BAD_REQUEST: (400, ""),
    UpstreamKind.TRANSIENT: (502, "Upstream error"),
    UpstreamKind.MALFORMED: (502, "Upstream returned an unusable response"),
    UpstreamKind.TIMEOUT: (504, "Upstream timed out"),
}


class GatewayError(Exception):
    """An error as the client sees it: an HTTP status and a message that says what to fix."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        retry_after: float | None = None,
        upstream: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = redact(message)
        self.param = param
        self.code = code
        self.retry_after = retry_after
        self.upstream = upstream

    def headers(self) -> dict[str, str]:
        if self.retry_after is None:
            return {}
        return {"Retry-After": str(max(1, int(self.retry_after + 0.999)))}


def bad_request(message: str, param: str | None = None) -> GatewayError:
    return GatewayError(400, message, param=param)


# Google API keys, OAuth access/refresh tokens, gemgate client keys, web cookies.
_SECRET_PATTERNS = re.compile(
    r"AIza[0-9A-Za-z_\-]{20,}|ya29\.[0-9A-Za-z_\-\.]+|1//[0-9A-Za-z_\-]{20,}|gg-[0-9A-Za-z_\-]{16,}"
    r"|(?<=key=)[^&\s\"']+"
)


def redact(text: str) -> str:
    return _SECRET_PATTERNS.sub("[redacted]", text) if text else text
