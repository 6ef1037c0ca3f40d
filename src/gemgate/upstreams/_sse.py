"""Reading server-sent events from an aiohttp response body, events of any size."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp

_ENDINGS = (b"\n", b"\r")


async def sse_data(response: aiohttp.ClientResponse) -> AsyncIterator[bytes]:
    """Yield the data of each event (consecutive `data:` lines joined with newlines, one leading space
    dropped), as the SSE spec reads it
    (html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation): lines end in CRLF,
    LF or CR, and a blank line ends an event.

    The body is read in whatever pieces arrive and split here, so an event or line has no size limit (aiohttp's
    `readline` refuses lines over its buffer limit, and a large inline image is one such line); the cost is
    linear in the body. Raises whatever reading the body raises (aiohttp.ClientError, asyncio.TimeoutError).
    """
    data: list[bytes] = []
    partial = bytearray()  # the start of a line whose end has not arrived yet
    skip_lf = False  # the last piece ended in CR: an LF opening the next one belongs to it
    async for piece in response.content.iter_any():
        if skip_lf:
            skip_lf = False
            if piece[:1] == b"\n":
                piece = piece[1:]
        if b"\n" not in piece and b"\r" not in piece:
            partial += piece
            continue
        if partial:
            piece = bytes(partial) + piece
            partial.clear()
        lines = piece.splitlines()
        if piece.endswith(_ENDINGS):
            skip_lf = piece.endswith(b"\r")
        else:
            partial += lines.pop()
        for event in _events(lines, data):
            yield event
    for event in _events([bytes(partial)] if partial else [], data):  # a last line without its ending
        yield event
    if data:
        yield b"\n".join(data)


def _events(lines: list[bytes], data: list[bytes]) -> list[bytes]:
    """The events that `lines` (without their endings) complete; `data` holds the data lines of the event
    under way, before and after."""
    events = []
    for line in lines:
        if not line:
            if data:
                events.append(b"\n".join(data))
                data.clear()
        elif line.startswith(b"data:"):
            data.append(line[6:] if line[5:6] == b" " else line[5:])
        elif line == b"data":
            data.append(b"")
        # other fields (event:, id:, retry:) and comments carry nothing for Google streams
    return events
