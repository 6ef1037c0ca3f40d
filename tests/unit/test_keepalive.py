"""Keepalives between chunks, error hand-over, and cancellation reaching the upstream reader."""

from __future__ import annotations

import asyncio

import pytest

from gemgate.errors import UpstreamError, UpstreamKind
from gemgate.routes.respond import with_keepalive


async def source(items, pause):
    for item in items:
        await asyncio.sleep(pause)
        yield item


async def test_silence_between_chunks_is_filled():
    out = [x async for x in with_keepalive(source([b"a", b"b"], 0.25), 0.1, b":k")]
    assert out[0] == b":k" and out.count(b":k") >= 3
    assert [x for x in out if x != b":k"] == [b"a", b"b"]


async def test_fast_source_gets_no_keepalives():
    out = [x async for x in with_keepalive(source([b"a", b"b", b"c"], 0), 1.0, b":k")]
    assert out == [b"a", b"b", b"c"]


async def test_errors_reach_the_consumer():
    async def failing():
        yield b"a"
        raise UpstreamError(UpstreamKind.TRANSIENT, "broke")

    got = []
    with pytest.raises(UpstreamError):
        async for x in with_keepalive(failing(), 1.0, b":k"):
            got.append(x)
    assert got == [b"a"]


async def test_closing_the_consumer_cancels_the_reader():
    cancelled = asyncio.Event()

    async def endless():
        try:
            while True:
                await asyncio.sleep(0.01)
                yield b"x"
        finally:
            cancelled.set()

    stream = with_keepalive(endless(), 1.0, b":k")
    assert await anext(stream) == b"x"
    await stream.aclose()
    await asyncio.wait_for(cancelled.wait(), 1)
