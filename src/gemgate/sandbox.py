"""`gemgate sandbox`: the fake Google upstreams and a gateway wired to them, in one offline process."""

from __future__ import annotations

import asyncio
import socket
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

import uvicorn

from .app import create_app
from .config import Settings
from .http.server import server_config
from .listen import bind_socket
from .logs import UVICORN_LOGGERS, guard_handlers
from .store import AccountRecord, open_store
from .testing import FakeGeminiAPI

SANDBOX_API_KEYS = ("sandbox-gemini-key-1", "sandbox-gemini-key-2")
SANDBOX_MASTER_KEY = "gemgate-sandbox"  # throwaway data: the CLI reaches it with this key (the ready line says how)


async def seed_api_key_accounts(settings: Settings, api_keys, prefix: str = "sandbox-apikey") -> None:
    """Store one gemini-api account per key (named <prefix>-1, -2, …), skipping names that exist."""
    store = await open_store(settings)
    try:
        existing = {a.name for a in await store.list_accounts()}
        for i, key in enumerate(api_keys, 1):
            name = f"{prefix}-{i}"
            if name not in existing:
                await store.add_account(
                    AccountRecord(id=uuid.uuid4().hex[:12], name=name, kind="gemini-api", secret={"api_key": key})
                )
    finally:
        await store.close()


def sandbox_settings(data_dir: Path, fake_url: str, port: int, api_key: str, host: str = "127.0.0.1") -> Settings:
    """Settings for a sandbox gateway: data in `data_dir`, the fake Gemini API at `fake_url`, one client key
    `api_key`, short keepalive and cooldown (5 s) so failure paths show quickly.
    """
    return Settings(
        host=host,
        port=port,
        data_dir=data_dir,
        master_key=SANDBOX_MASTER_KEY,
        client_keys=[api_key],
        upstreams={"gemini_api": {"base_url": fake_url}},
        keepalive_seconds=5,
        default_cooldown_seconds=5,
    )


async def run_sandbox(
    host: str, port: int, api_key: str, on_ready: Callable[[str, Path], None], sock: socket.socket | None = None
) -> None:
    """Start the fake Gemini API (random local port) and a gateway on host:port with throwaway data; call
    `on_ready(base_url, data_dir)` once it listens, then serve until cancelled (the data is removed then).

    sock: a socket already bound to host:port (`gemgate.listen.bind_socket`); None binds one here, before
    anything starts, raising `CannotListen` (one line saying why, e.g. the port is in use).
    """
    sock = sock if sock is not None else bind_socket(host, port)
    fake = FakeGeminiAPI(api_keys=list(SANDBOX_API_KEYS))
    fake_url = await fake.start("127.0.0.1", 0)
    with tempfile.TemporaryDirectory(prefix="gemgate-sandbox-") as tmp:
        settings = sandbox_settings(Path(tmp), fake_url, port, api_key, host)
        await seed_api_key_accounts(settings, SANDBOX_API_KEYS)
        config = server_config(create_app(settings), settings, host=host, port=port, log_level="warning", access_log=False)
        guard_handlers(*UVICORN_LOGGERS)
        server = uvicorn.Server(config)
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        try:
            while not server.started:
                if serving.done():
                    serving.result()  # surfaces a bind error
                    return
                await asyncio.sleep(0.02)
            on_ready(f"http://{host}:{port}", Path(tmp))
            await serving
        finally:
            server.should_exit = True
            await fake.stop()
            sock.close()
