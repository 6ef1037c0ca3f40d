"""Running the real gateway (uvicorn, real HTTP on loopback) against the fakes, for tests."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from pathlib import Path

import uvicorn

from gemgate import admin
from gemgate.app import create_app
from gemgate.config import Settings
from gemgate.http.server import server_config
from gemgate.sandbox import sandbox_settings, seed_api_key_accounts
from gemgate.store import AccountRecord, open_store

from .http import Reply, post

CLIENT_KEY = "test-client-key"
API_KEYS = ["fake-key-alpha", "fake-key-beta"]  # the accounts a test gateway is seeded with


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class GatewayThread:
    """A gateway on a loopback port, in a thread with its own event loop."""

    def __init__(self, data_dir: Path, upstream_url: str, api_keys: list[str], **overrides) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.key = CLIENT_KEY
        base = sandbox_settings(data_dir, upstream_url, self.port, CLIENT_KEY)
        # the media fetcher as a served gateway has it (the SSRF guard), not the sandbox's loopback-only one
        tuned = {"keepalive_seconds": 1.0, "state_sync_seconds": 0.3, "default_cooldown_seconds": 30,
                 "fetch_loopback_only": False}
        merged = {**base.model_dump(exclude_unset=True), **tuned, **overrides}
        merged["upstreams"] = dict(base.upstreams)  # a kind's section overridden keeps the other kinds'
        for kind, section in overrides.get("upstreams", {}).items():  # sections add to the fake's base_url
            merged["upstreams"][kind] = {**base.upstreams.get(kind, {}), **section}
        self.settings = Settings(**merged)
        self.api_keys = api_keys
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def gateway(self):
        return self.app.state.gateway

    def _seed(self) -> None:
        asyncio.run(seed_api_key_accounts(self.settings, self.api_keys, prefix="acct"))

    def start(self) -> GatewayThread:
        self._seed()
        self.app = create_app(self.settings)
        config = server_config(self.app, self.settings, host="127.0.0.1", port=self.port, log_level="warning",
                               access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("gateway did not start")
            time.sleep(0.02)
        return self

    def read_store(self, op):
        """`await op(store)` on a store opened (and closed) for the call, from the test's thread."""

        async def run():
            store = await open_store(self.settings)
            try:
                return await op(store)
            finally:
                await store.close()

        return asyncio.run(run())

    def add_accounts(self, kind: str, secrets: dict[str, dict], proxies: dict[str, str] | None = None) -> None:
        """Store accounts of `kind` (name -> secret; `proxies`: name -> the account's own proxy URL)."""

        async def add(store) -> None:
            for name, secret in secrets.items():
                await store.add_account(AccountRecord(id=uuid.uuid4().hex[:12], name=name, kind=kind, secret=secret,
                                                      proxy=(proxies or {}).get(name)))

        self.read_store(add)

    def accounts(self) -> dict[str, admin.AccountView]:
        """Every account's view, by name, as `gemgate accounts list` shows it (from the store, which the
        gateway writes behind within `state_sync_seconds`)."""
        return {v.name: v for v in self.read_store(admin.list_accounts)}

    def wait_state(self, name: str, state: str, timeout: float = 10) -> admin.AccountView:
        """The account's view once it is in `state`; AssertionError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            view = self.accounts()[name]
            if view.state == state or time.monotonic() > deadline:
                assert view.state == state, (view.state, view.reason)
                return view
            time.sleep(0.05)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)

    def __enter__(self) -> GatewayThread:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def chat(gw, body, **kw) -> Reply:
    """POST a Chat Completions request to a gateway with its client key."""
    return post(f"{gw.url}/v1/chat/completions", body, key=gw.key, **kw)
