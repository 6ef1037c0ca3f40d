"""A gateway with gemini-web accounts against the fake gemini.google.com on loopback."""

from __future__ import annotations

import asyncio
import time
import uuid

from gemgate import admin
from gemgate.store import AccountRecord, open_store

from .gateway import GatewayThread


def psid(tag: str) -> str:
    """A `__Secure-1PSID`-shaped value (`g.a000` and 70 more characters) for a test account."""
    return ("g.a000" + tag + "x" * 70)[:76]


def cookie(tag: str, *extra: str) -> str:
    """A Cookie header with the account's 1PSID and a 1PSIDTS."""
    return "; ".join([f"__Secure-1PSID={psid(tag)}", f"__Secure-1PSIDTS=sidts-{tag}-0000000000", *extra])


class WebGateway(GatewayThread):
    """A gateway whose only accounts are gemini-web ones (`secrets`: name -> secret) at the fake `web_url`."""

    def __init__(self, data_dir, web_url: str, secrets: dict[str, dict], api_url: str = "http://127.0.0.1:9",
                 **overrides):
        upstreams = {"gemini_web": {"base_url": web_url, **overrides.pop("web", {})}}
        super().__init__(data_dir, api_url, [], upstreams=upstreams, **overrides)
        self.secrets = secrets

    def _seed(self) -> None:
        async def seed() -> None:
            store = await open_store(self.settings)
            try:
                for name, secret in self.secrets.items():
                    await store.add_account(AccountRecord(id=uuid.uuid4().hex[:12], name=name, kind="gemini-web",
                                                          secret=secret))
            finally:
                await store.close()

        asyncio.run(seed())

    def stored(self, name: str) -> AccountRecord:
        """The account as the store holds it now."""

        async def read():
            store = await open_store(self.settings)
            try:
                return await store.find_account(name)
            finally:
                await store.close()

        return asyncio.run(read())

    def views(self) -> dict[str, admin.AccountView]:
        """Every account's view by name, as `gemgate accounts list` shows it."""

        async def read():
            store = await open_store(self.settings)
            try:
                return await admin.list_accounts(store)
            finally:
                await store.close()

        return {v.name: v for v in asyncio.run(read())}

    def wait_view(self, name: str, check, timeout: float = 15) -> admin.AccountView:
        """The account's view once `check(view)` holds; AssertionError with the last view after `timeout` s."""
        deadline = time.monotonic() + timeout
        while True:
            view = self.views()[name]
            if check(view):
                return view
            assert time.monotonic() < deadline, (view.state, view.reason)
            time.sleep(0.05)
