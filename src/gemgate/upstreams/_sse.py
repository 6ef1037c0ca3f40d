"""Reading server-sent events from an aiohttp response body."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp


async def sse_data(response: aiohttp.ClientResponse) -> AsyncIterator[bytes]:
    """Yield the data of each event (consecutive `data:` lines joined with newlines, one leading space
    dropped), as the SSE spec reads it
    (html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation).
    Raises whatever reading the body raises (aiohttp.ClientError, asyncio.TimeoutError)."""
    lines: list[bytes] = []
    async for raw in response.content:
        line = raw.rstrip(b"\r\n")
        if not line:
            if lines:
                yield b"\n".join(lines)
                lines = []
            continue
        if line.startswith(b"data:"):
            value = line[5:]
            lines.append(value[1:] if value.startswith(b" ") else value)
        # other fields (event:, id:, comments) carry nothing for Google streams
    if lines:
        yield b"\n".join(lines)
