"""Run a fake upstream's aiohttp app on loopback, on the caller's loop or in a thread.

Async tests (and `gemgate sandbox`) `await fake.start()` on their own loop;
sync tests use ``with fake.running() as url:`` which owns a private loop thread.
"""

from __future__ import annotations

import asyncio
import threading
from contextlib import contextmanager
from typing import Iterator

from aiohttp import web


def catch_all_app(handler) -> web.Application:
    """An app that sends every method and path to `handler`; bodies up to 64 MiB."""
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_route("*", "/{tail:.*}", handler)
    return app


class FakeServer:
    def __init__(self) -> None:
        self._app: web.Application | None = None
        self._runner: web.AppRunner | None = None
        self.base_url: str | None = None

    def build_app(self) -> web.Application:
        raise NotImplementedError

    @property
    def app(self) -> web.Application:
        if self._app is None:
            self._app = self.build_app()
        return self._app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        if self._runner is not None:
            raise RuntimeError("fake server already started")
        # handler_cancellation: a client hanging up stops the handler, as a real server drops work.
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=0.5, handler_cancellation=True)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        bound_host, bound_port = runner.addresses[0][:2]
        self.base_url = f"http://{bound_host}:{bound_port}"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()
            self._app = None  # an aiohttp app cannot be started twice

    @contextmanager
    def running(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name=f"{type(self).__name__}-loop", daemon=True)
        thread.start()
        try:
            yield asyncio.run_coroutine_threadsafe(self.start(host, port), loop).result(timeout=10)
        finally:
            try:
                asyncio.run_coroutine_threadsafe(self.stop(), loop).result(timeout=10)
            finally:
                loop.call_soon_threadsafe(loop.stop)
                thread.join(timeout=10)
                loop.close()
