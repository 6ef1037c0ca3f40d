"""Write a fake upstream's streamed body piece by piece, with the after-first-byte faults of the fake model.

Shared by every fake that streams (Gemini API, Code Assist): the chunk dicts differ, the wire faults
(FAIL/CUT/RESET/STALL-AFTER, see fake_model) do not.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import time
from typing import Any

from aiohttp import web

from gemgate.testing.fake_model import Fault
from gemgate.testing.gemini_wire import json_array_pieces, sse_event

RESET_GRACE = 0.1  # seconds between the last chunk of a RESET-AFTER and the reset


class ConnectionReset(Exception):
    """Raised after RESET-AFTER has torn the connection down: there is nothing left to answer."""


def frame(chunks: list[Any], sse: bool) -> list[bytes]:
    """SSE events, or the pieces of a JSON-array stream."""
    return [sse_event(c) for c in chunks] if sse else json_array_pieces(chunks)


async def write_pieces(request: web.Request, headers: dict, pieces: list[bytes], *, interval: float = 0.0,
                       stall: tuple[int, float] | None = None, reset: bool = False) -> web.StreamResponse:
    """Write `pieces` (200); `stall` = (index, seconds) pauses before that piece; `reset` aborts at the end."""
    response = web.StreamResponse(status=200, headers=headers)
    await response.prepare(request)
    for i, piece in enumerate(pieces):
        if stall is not None and i == stall[0]:
            await asyncio.sleep(stall[1])
        elif i and interval:
            await asyncio.sleep(interval)
        await response.write(piece)
    if stall is not None and stall[0] >= len(pieces):
        await asyncio.sleep(stall[1])
    if reset:
        await reset_connection(request)
        raise ConnectionReset()
    await response.write_eof()
    return response


async def write_with_fault(request: web.Request, headers: dict, chunks: list[Any], fault: Fault,
                           error_body: dict, sse: bool, interval: float = 0.0) -> web.StreamResponse:
    """Stream `fault.after` chunks, then fail as the directive says; `error_body` is what FAIL sends."""
    head = chunks[: fault.after]
    if fault.kind == "FAIL":
        return await write_pieces(request, headers, frame(head + [error_body], sse), interval=interval)
    if fault.kind == "CUT":
        return await write_pieces(request, headers, frame(head, sse), interval=interval)
    pieces = frame(chunks, sse)
    if fault.kind == "RESET":
        return await write_pieces(request, headers, pieces[: fault.after], interval=interval, reset=True)
    return await write_pieces(request, headers, pieces, interval=interval, stall=(fault.after, fault.seconds))


async def reset_connection(request: web.Request) -> None:
    """Abort the TCP connection with a RST, once what was written has left the process."""
    transport = request.transport
    if transport is None:
        return
    deadline = time.monotonic() + 5
    while transport.get_write_buffer_size() and time.monotonic() < deadline:
        await asyncio.sleep(0.005)
    # Give the peer a moment to take in the n chunks: aiohttp, for one, drops data it has buffered but
    # not yet handed out once the reset arrives, and RESET-AFTER promises that n chunks get through.
    await asyncio.sleep(RESET_GRACE)
    sock = transport.get_extra_info("socket")
    if sock is not None:
        # Linger 0: close() sends a RST instead of a FIN, as a dropped upstream connection looks.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
