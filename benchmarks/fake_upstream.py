"""Run gemgate's FakeGeminiAPI alone in this process, for benchmarks.

    python benchmarks/fake_upstream.py --port 0 --api-key k1 --api-key k2

Prints one JSON line ``{"url": "http://127.0.0.1:PORT", "pid": N}`` on stdout once it listens,
then serves until SIGTERM/SIGINT. No artificial delay: the fake model answers at once.
The fake keeps every request it sees for test assertions; here that record is dropped
every second so a long run does not grow the process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys

from gemgate.testing import FakeGeminiAPI


async def serve(host: str, port: int, api_keys: list[str] | None) -> None:
    fake = FakeGeminiAPI(api_keys=api_keys)
    url = await fake.start(host, port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(json.dumps({"url": url, "pid": os.getpid()}), flush=True)
    try:
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=1.0)
            except asyncio.TimeoutError:
                fake.reset()  # forget recorded requests; only tests read them
    finally:
        await fake.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    parser.add_argument("--api-key", action="append", dest="api_keys",
                        help="an accepted key (repeatable); none given accepts any key")
    parser.add_argument("--no-uvloop", action="store_true", help="use the stock asyncio loop")
    args = parser.parse_args(argv)
    run = asyncio.run
    if not args.no_uvloop:
        try:
            import uvloop

            run = uvloop.run
        except ImportError:
            pass
    run(serve(args.host, args.port, args.api_keys))
    return 0


if __name__ == "__main__":
    sys.exit(main())
