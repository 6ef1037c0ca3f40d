"""StreamBody: keepalives fill silences, a leaving client stops the stream (and so the upstream call)."""

from __future__ import annotations

import asyncio

from gemgate.http.stream_body import StreamBody


class Client:
    def __init__(self, leave_after: float | None = None) -> None:
        self.sent: list[dict] = []
        self.leave_after = leave_after

    async def receive(self):
        if self.leave_after is None:
            await asyncio.Event().wait()
        await asyncio.sleep(self.leave_after)
        return {"type": "http.disconnect"}

    async def send(self, message):
        self.sent.append(message)

    @property
    def bodies(self) -> list[bytes]:
        return [m["body"] for m in self.sent if m["type"] == "http.response.body"]


async def frames(items, pause):
    for item in items:
        await asyncio.sleep(pause)
        yield item


async def run(body: StreamBody, client: Client) -> None:
    await asyncio.wait_for(body({"type": "http"}, client.receive, client.send), 5)


async def test_silences_are_filled():
    client = Client()
    await run(StreamBody(frames([b"a", b"b"], 0.25), "text/event-stream", b":k", 0.1), client)
    assert client.sent[0]["type"] == "http.response.start" and client.sent[0]["status"] == 200
    data = client.bodies
    assert data[-1] == b"" and client.sent[-1]["more_body"] is False
    assert [x for x in data if x not in (b":k", b"")] == [b"a", b"b"]
    assert data.count(b":k") >= 2
    assert data.index(b":k") < data.index(b"a"), "silence before the first chunk is filled too"


async def test_fast_stream_has_no_keepalives():
    client = Client()
    await run(StreamBody(frames([b"a", b"b", b"c"], 0), "text/event-stream", b":k", 1.0), client)
    assert client.bodies == [b"a", b"b", b"c", b""]


async def test_client_leaving_closes_the_frames():
    closed = asyncio.Event()

    async def endless():
        try:
            while True:
                await asyncio.sleep(0.01)
                yield b"x"
        finally:
            closed.set()

    client = Client(leave_after=0.1)
    await run(StreamBody(endless(), "text/event-stream", b":k", 1.0), client)
    assert closed.is_set()
    assert client.sent[-1].get("more_body") is True, "no clean end is sent to a client that left"


async def test_headers():
    client = Client()
    await run(StreamBody(frames([], 0), "text/event-stream", b":k", 1.0, {"Cache-Control": "no-cache"}), client)
    assert (b"cache-control", b"no-cache") in client.sent[0]["headers"]
