"""`gemgate accounts add-apikey`: official Gemini API keys."""

from __future__ import annotations

from typing import Annotated

import typer

from ... import admin
from ...cli.common import ConfigOpt, NameOpt, ProxyOpt, console, run_admin


def register(accounts: typer.Typer) -> None:
    """Add this kind's commands to `gemgate accounts`."""

    @accounts.command("add-apikey")
    def add_apikey(
        key: Annotated[str, typer.Argument(help="A Gemini API key")],
        name: NameOpt = None,
        proxy: ProxyOpt = None,
        config: ConfigOpt = None,
    ) -> None:
        """Add an official Gemini API key to the pool."""
        view = run_admin(config, lambda store: admin.add_account(store, "gemini-api", name, {"api_key": key}, proxy))
        console.print(f"added {view.kind} account '{view.name}'")
