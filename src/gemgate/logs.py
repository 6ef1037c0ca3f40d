"""Logging setup; every record that reaches a handler passes through secret redaction, traceback included."""

from __future__ import annotations

import logging

from .redaction import redact

# Loggers whose handlers uvicorn installs itself (uvicorn.config.LOGGING_CONFIG): guarded after it has.
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")
_formatter = logging.Formatter()


class RedactingFilter(logging.Filter):
    """Rewrites a record's message, and its formatted traceback, with `redaction.redact`.

    Attached to handlers, not loggers: a logger's filters never see records of its child loggers.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Always True (never drops a record); replaces msg/args (and exc_text) by the redacted text."""
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = _formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def guard_handlers(*logger_names: str) -> None:
    """Add the redacting filter to every handler of these loggers (once each)."""
    for name in logger_names:
        for handler in logging.getLogger(name).handlers:
            if not any(isinstance(f, RedactingFilter) for f in handler.filters):
                handler.addFilter(RedactingFilter())


def setup_logging(level: str = "info") -> None:
    """Send the "gemgate" logger tree to stderr through the redacting filter at `level` ("debug" … "critical",
    case-insensitive; ValueError for another name); it does not propagate to the root logger. Warnings of
    other libraries (asyncio, aiohttp) reach stderr through a redacting root handler too. Call
    `guard_handlers(*UVICORN_LOGGERS)` once uvicorn has set up its own.
    """
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger("gemgate")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False
    top = logging.getLogger()
    if not any(getattr(h, "gemgate", False) for h in top.handlers):
        others = logging.StreamHandler()
        others.gemgate = True  # type: ignore[attr-defined] - marks the one this function added
        others.setFormatter(handler.formatter)
        others.addFilter(RedactingFilter())
        top.addHandler(others)
