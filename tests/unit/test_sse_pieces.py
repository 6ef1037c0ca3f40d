"""`sse_data` reads events however the body is cut into pieces, with any line ending the SSE spec allows
(CRLF, LF, CR) and any event size (issue 7 §5: aiohttp's readline refused lines over 512 KiB)."""

from __future__ import annotations

import random

import pytest

from gemgate.upstreams._sse import sse_data


class _Content:
    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = pieces

    async def iter_any(self):
        for piece in self.pieces:
            yield piece


class _Response:
    def __init__(self, pieces: list[bytes]) -> None:
        self.content = _Content(pieces)


async def events(pieces: list[bytes]) -> list[bytes]:
    return [e async for e in sse_data(_Response(pieces))]


STREAM = (
    b": a comment\r\n"
    b"data: {\"a\": 1}\r\n\r\n"
    b"event: message\nid: 7\ndata:{\"b\": 2}\ndata:  two spaces\n\n"
    b"data: cr only\r\rdata\r\n\r\n"
    b"retry: 10\r\n\r\n"
    b"data: last, unterminated"
)
EXPECTED = [b'{"a": 1}', b'{"b": 2}\n two spaces', b"cr only", b"", b"last, unterminated"]


async def test_whole_body():
    assert await events([STREAM]) == EXPECTED


async def test_every_split_into_two_pieces():
    for cut in range(len(STREAM) + 1):
        assert await events([STREAM[:cut], STREAM[cut:]]) == EXPECTED, cut


@pytest.mark.parametrize("seed", range(30))
async def test_random_pieces(seed):
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(1, len(STREAM)), rng.randint(2, 20)))
    pieces = [STREAM[a:b] for a, b in zip([0, *cuts], [*cuts, len(STREAM)])]
    assert await events(pieces) == EXPECTED


async def test_one_byte_pieces():
    assert await events([bytes([b]) for b in STREAM]) == EXPECTED


async def test_an_event_of_megabytes_in_small_pieces():
    big = b"data: " + b"x" * (8 * 1024 * 1024) + b"\r\n\r\ndata: next\r\n\r\n"
    pieces = [big[i:i + 16384] for i in range(0, len(big), 16384)]
    assert await events(pieces) == [b"x" * (8 * 1024 * 1024), b"next"]
