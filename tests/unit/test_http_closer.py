"""The transport a request's cycle writes through (http.server._Closer): writes of one event-loop turn go out
as one send at its end, in order; nothing is sent once the connection was refused or is closing."""

from __future__ import annotations

import asyncio

from gemgate.http.server import _Closer


class _Transport:
    def __init__(self) -> None:
        self.sent: list[bytes] = []
        self.closing = False

    def write(self, data: bytes) -> None:
        self.sent.append(data)

    def is_closing(self) -> bool:
        return self.closing


class _Protocol:
    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.transport = _Transport()
        self._refused = False


async def test_writes_of_one_turn_are_one_send_in_order():
    protocol = _Protocol()
    closer = _Closer(protocol)
    closer.write(b"HTTP/1.1 200 OK\r\n\r\n")
    closer.write(b"body")
    assert protocol.transport.sent == []
    await asyncio.sleep(0)
    assert protocol.transport.sent == [b"HTTP/1.1 200 OK\r\n\r\nbody"]
    closer.write(b"next")
    await asyncio.sleep(0)
    assert protocol.transport.sent[-1] == b"next"


async def test_flush_sends_at_once_and_a_refused_or_closing_connection_gets_nothing():
    protocol = _Protocol()
    closer = _Closer(protocol)
    closer.write(b"a")
    closer.flush()  # the protocol flushes before writing or closing itself
    assert protocol.transport.sent == [b"a"]
    await asyncio.sleep(0)
    assert protocol.transport.sent == [b"a"]  # the scheduled flush finds nothing left
    closer.write(b"b")
    protocol.transport.closing = True
    await asyncio.sleep(0)
    protocol._refused = True
    closer.write(b"c")
    await asyncio.sleep(0)
    assert protocol.transport.sent == [b"a"]
