"""Reading server-sent events from an aiohttp response body, events up to a size limit."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp

_ENDINGS = (b"\n", b"\r")


class EventTooLarge(ValueError):
    """An event (or a line) grew past the limit before it ended; `limit` is in bytes."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"an event larger than {limit} bytes")
        self.limit = limit


async def sse_data(response: aiohttp.ClientResponse, limit: int | None = None) -> AsyncIterator[bytes]:
    """Yield the data of each event (consecutive `data:` lines joined with newlines, one leading space
    dropped), as the SSE spec reads it
    (html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation): lines end in CRLF,
    LF or CR, and a blank line ends an event.

    The body is read in whatever pieces arrive and split here, so an event or line may be as large as `limit`
    bytes (aiohttp's `readline` refuses lines over its buffer limit, and a large inline image is one such line);
    the cost is linear in the body. Raises EventTooLarge when the event under way passes `limit` (None: no
    limit), having dropped what it held, and whatever reading the body raises (aiohttp.ClientError,
    asyncio.TimeoutError).
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
        else:
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
        if limit is not None and len(partial) + sum(map(len, data)) > limit:
            partial = data = piece = lines = None  # what this frame held is not kept alive by the traceback
            raise EventTooLarge(limit)
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
