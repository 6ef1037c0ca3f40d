"""The one SSE parser for response bodies."""

from __future__ import annotations

import json
from typing import Any


def parse_sse(body: bytes | str, *, exact: bool = False) -> list[Any]:
    """The data payloads of an SSE body, JSON-decoded ("[DONE]" is kept as the string).

    With `exact`, first assert Google's framing: every event is one `data: ` line and events end in
    CRLF CRLF.
    """
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    if exact:
        events = [e for e in text.split("\r\n\r\n") if e]
        assert all(e.startswith("data: ") and "\n" not in e for e in events), events
    out = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        for line in block.split("\n"):
            if line.startswith("data: "):
                data = line[6:]
                out.append(data if data == "[DONE]" else json.loads(data))
    return out


def parse_sse_events(body: bytes | str) -> list[tuple[str | None, Any]]:
    """(event name, JSON data) of every SSE event with data (Anthropic's framing: `event:` then `data:`)."""
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    out = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        name, data = None, None
        for line in block.split("\n"):
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data = json.loads(line[6:])
        if data is not None:
            out.append((name, data))
    return out
