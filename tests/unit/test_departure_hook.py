"""ClientWatch told by the connection (gemgate's HTTP protocol puts itself in the scope as DEPARTURE): the
watched task is cancelled when the connection is lost, and a stopped watch is no longer told."""

from __future__ import annotations

import asyncio

import pytest

from gemgate.http.departure import DEPARTURE, ClientWatch


class Connection:
    """The protocol's side of the hook: the watches it would tell on connection loss."""

    def __init__(self) -> None:
        self.watches: set = set()

    def watch(self, watch) -> None:
        self.watches.add(watch)

    def unwatch(self, watch) -> None:
        self.watches.discard(watch)

    def lose(self) -> None:
        for watch in list(self.watches):
            watch.client_left()


async def never() -> dict:  # the receive channel: not used when the connection tells
    raise AssertionError("the watch listened on receive although the connection tells it")


def test_a_lost_connection_cancels_the_watched_task():
    async def main():
        conn = Connection()
        watch = None

        async def handler():
            nonlocal watch
            watch = ClientWatch(never, {DEPARTURE: conn})
            try:
                await asyncio.sleep(30)
            except asyncio.CancelledError:
                assert watch.gone
                watch.settle()
                return "left"
            return "finished"

        task = asyncio.ensure_future(handler())
        await asyncio.sleep(0)
        assert len(conn.watches) == 1
        conn.lose()
        assert await asyncio.wait_for(task, 5) == "left"
        assert not conn.watches  # settle() stops the watch

    asyncio.run(main())


def test_a_stopped_watch_is_not_told():
    async def main():
        conn = Connection()
        watch = ClientWatch(never, {DEPARTURE: conn})
        watch.stop()
        assert not conn.watches
        watch.client_left()  # a late notice changes nothing
        assert not watch.gone
        await asyncio.sleep(0)

    asyncio.run(main())


def test_without_the_hook_the_watch_listens_on_receive():
    async def main():
        heard = asyncio.Event()

        async def receive() -> dict:
            await heard.wait()
            return {"type": "http.disconnect"}

        async def handler():
            watch = ClientWatch(receive, {})
            with pytest.raises(asyncio.CancelledError):
                await asyncio.sleep(30)
            assert watch.gone
            watch.settle()

        task = asyncio.ensure_future(handler())
        await asyncio.sleep(0)
        heard.set()
        await asyncio.wait_for(task, 5)

    asyncio.run(main())
