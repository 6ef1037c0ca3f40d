"""Logging setup; every record passes through secret redaction."""

from __future__ import annotations

import logging

from .errors import redact


class RedactingFilter(logging.Filter):
    """Rewrites a record's message with `errors.redact` when it holds an API key, token or client key."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Always True (never drops a record); replaces msg/args by the redacted text when something was redacted."""
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


def setup_logging(level: str = "info") -> None:
    """Send the "gemgate" logger tree to stderr through the redacting filter at `level` ("debug" … "critical",
    case-insensitive; ValueError for another name); it does not propagate to the root logger.
    """
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger("gemgate")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False
