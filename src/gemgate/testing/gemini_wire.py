"""Byte-level framing of the Gemini API, matched to recorded Google responses.

* SSE: ``data: <one-line JSON>\\r\\n\\r\\n`` with Google's ``"key": value`` spacing
  and no space after commas (louter raw capture).
* Non-streamed bodies and errors: pretty JSON, two-space indent.
* Google's JSON escapes ``<``, ``>`` and ``&`` as ``\\u003c`` etc. (louter capture).
"""

from __future__ import annotations

import json
import time
from typing import Any

JSON_CONTENT_TYPE = "application/json; charset=UTF-8"
SSE_CONTENT_TYPE = "text/event-stream"
ARRAY_SEPARATOR = "\n,\r\n"

_HTML_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def one_line_json(value: Any) -> str:
    # Those three characters only ever occur inside JSON strings, so a blind replace is safe.
    return json.dumps(value, ensure_ascii=False, separators=(",", ": ")).translate(_HTML_SAFE)


def pretty_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2).translate(_HTML_SAFE)


def sse_event(value: Any) -> bytes:
    return f"data: {one_line_json(value)}\r\n\r\n".encode("utf-8")


def json_array_pieces(chunks: list[Any]) -> list[bytes]:
    """The alt-less stream: ``[`` chunk ``\\n,\\r\\n`` chunk ... ``]``, written piece by piece."""
    if not chunks:
        return [b"[]"]
    pieces = [("[" if i == 0 else ARRAY_SEPARATOR) + pretty_json(c) for i, c in enumerate(chunks)]
    pieces[-1] += "]"
    return [p.encode("utf-8") for p in pieces]


def google_headers(started: float) -> dict[str, str]:
    """The response headers every recorded Google answer carries."""
    return {
        "Vary": "Origin, X-Origin, Referer",
        "Server": "scaffolding on HTTPServer2",
        "X-XSS-Protection": "0",
        "X-Frame-Options": "SAMEORIGIN",
        "X-Content-Type-Options": "nosniff",
        "Server-Timing": f"gfet4t7; dur={int((time.monotonic() - started) * 1000)}",
    }
