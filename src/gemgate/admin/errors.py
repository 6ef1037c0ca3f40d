"""The one exception type admin operations raise: its message says what to fix and never holds a secret."""

from __future__ import annotations

from ..redaction import redact


class AdminError(Exception):
    """An admin operation was refused. `message` is fit to show to the operator as is.

    Raised for invalid input (bad name, unknown kind, malformed proxy, missing secret field).
    Subclasses narrow it down for callers that map errors to statuses (an HTTP API: 400 / 404 / 409).
    """

    def __init__(self, message: str) -> None:
        self.message = redact(message)  # a refusal may quote the upstream
        super().__init__(self.message)


class NotFound(AdminError):
    """No account or client key matches the given id, name or prefix."""


class Conflict(AdminError):
    """The change clashes with existing state: a name already taken, or a reference that matches several keys."""


class Malformed(AdminError):
    """The credential is not shaped like its kind's credentials (`Upstream.secret_problem`); an operator
    adding a test credential on purpose can skip that check."""
