"""StreamBody: keepalives fill silences, a leaving client stops the stream (and so the upstream call)."""

from __future__ import annotations

import asyncio

from starlette.responses import Response

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


# the first keepalive is due `interval` after the request arrived (issue 6 §9), not after two intervals


class Timed(Client):
    def __init__(self) -> None:
        super().__init__()
        self.at: list[tuple[float, dict]] = []

    async def send(self, message):
        await super().send(message)
        self.at.append((asyncio.get_running_loop().time(), message))


async def test_silent_since_brings_the_first_keepalive_forward():
    loop = asyncio.get_running_loop()
    client = Timed()
    arrived = loop.time() - 0.3  # the request waited 0.3 s for a first chunk before the 200 was committed
    body = StreamBody(frames([b"a"], 0.5), "text/event-stream", b":k", 0.3, silent_since=arrived)
    task = asyncio.ensure_future(run(body, client))
    await task
    first_keepalive = next(t for t, m in client.at if m.get("body") == b":k")
    assert first_keepalive - arrived < 0.3 + 0.1, "due at once: the silence is already an interval long"
    assert client.bodies.count(b":k") >= 2, "then every interval"


async def _first_keepalive_after(interval: float, opening, waited: float = 0.0) -> tuple[float, Timed]:
    """Seconds from the request's arrival (`waited` seconds ago) to the first keepalive byte, or the error
    response's status if opening fails before the stream is committed."""
    from gemgate.dialects.base import StreamFormat
    from gemgate.http.respond import stream_response

    class Reply:
        stream_format = StreamFormat("text/event-stream", b": keepalive\n\n")

        def stream_error(self, err):
            return b"error"

    loop = asyncio.get_running_loop()
    started = loop.time() - waited
    client = Timed()
    response = await stream_response(
        opening, lambda opened: frames([b"data"], 0), Reply(), interval, lambda err: Response(status_code=err.status),
        lambda err, status=None: None, started,
    )
    if not isinstance(response, StreamBody):  # the error response: its status
        return response.status_code, client
    await asyncio.wait_for(response({"type": "http"}, client.receive, client.send), 5)
    first = next(t for t, m in client.at if m.get("body") == b": keepalive\n\n")
    return first - started, client


class _Opened:
    class rest:
        @staticmethod
        async def aclose():
            pass


async def _silent(seconds: float):
    await asyncio.sleep(seconds)
    return _Opened()


async def test_silent_upstream_first_keepalive_at_one_interval():
    elapsed, client = await _first_keepalive_after(0.3, _silent(0.8))
    assert 0.25 <= elapsed < 0.45, f"first keepalive {elapsed:.2f}s after the request; interval 0.3s"
    assert b"data" in client.bodies


async def test_time_before_the_stream_counts_towards_the_first_keepalive():
    # parsing and media fetching took 0.2 s of a 0.3 s interval
    elapsed, _ = await _first_keepalive_after(0.3, _silent(0.8), waited=0.2)
    assert 0.25 <= elapsed < 0.45, f"first keepalive {elapsed:.2f}s after the request; interval 0.3s"


async def test_fast_failure_keeps_its_status():
    from gemgate.errors import GatewayError

    async def failing():
        await asyncio.sleep(0.05)
        raise GatewayError(429, "slow down")

    status, _ = await _first_keepalive_after(0.3, failing())
    assert status == 429
