"""Command line: serve, sandbox, keys, accounts."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Optional, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from . import __version__, admin
from .config import Settings, load_settings
from .store import Store, open_store

app = typer.Typer(help="gemgate: Gemini access as OpenAI, Gemini and Anthropic APIs.", no_args_is_help=True)
keys_app = typer.Typer(help="Client keys that callers of the gateway present.", no_args_is_help=True)
accounts_app = typer.Typer(help="Upstream accounts in the pool.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(accounts_app, name="accounts")
console = Console()
T = TypeVar("T")

ConfigOpt = Annotated[Optional[Path], typer.Option("--config", "-c", help="TOML config file")]


def _settings(config: Path | None, **overrides: object) -> Settings:
    try:
        return load_settings(config, **overrides)
    except FileNotFoundError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None


def _with_store(settings: Settings, fn):
    async def run():
        store = await open_store(settings)
        try:
            return await fn(store)
        finally:
            await store.close()

    return asyncio.run(run())


def _admin(config: Path | None, op: Callable[[Store], Awaitable[T]]) -> T:
    """Run one admin operation on the configured store; an AdminError becomes a red message and exit 1."""
    try:
        return _with_store(_settings(config), op)
    except admin.AdminError as exc:
        console.print(f"[red]{escape(exc.message)}[/red]")
        raise typer.Exit(1) from None


def _startup_report(settings: Settings, accounts: list[admin.AccountView], key_count: int) -> None:
    kinds = Counter(a.kind for a in accounts if a.enabled)
    by_kind = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) or "none"
    console.print(f"gemgate {__version__}")
    console.print(f"listening on http://{settings.host}:{settings.port}")
    console.print(f"accounts: {by_kind}")
    console.print(f"client keys: {key_count}")
    if not accounts:
        console.print("[yellow]No accounts yet: add one with `gemgate accounts add-apikey KEY`.[/yellow]")


@app.command()
def serve(
    config: ConfigOpt = None,
    host: Annotated[Optional[str], typer.Option(help="Address to bind (default 127.0.0.1)")] = None,
    port: Annotated[Optional[int], typer.Option(help="Port to listen on (default 8080)")] = None,
) -> None:
    """Run the gateway."""
    import uvicorn

    from .app import create_app
    from .logs import setup_logging

    settings = _settings(config, host=host, port=port)
    setup_logging(settings.log_level)

    async def prepare(store: Store):
        """(new client key or None, account views, number of active client keys)."""
        new_key = await admin.ensure_client_key(store, settings.client_keys)
        keys = len(settings.client_keys) + len(await admin.list_keys(store, include_revoked=False))
        return new_key, await admin.list_accounts(store), keys

    new_key, accounts, key_count = _with_store(settings, prepare)
    _startup_report(settings, accounts, key_count)
    if new_key:
        console.print(
            "[bold yellow]No client key existed, so one was created. It is shown only this once:[/bold yellow]\n"
            f"  {new_key}\n"
            "Clients send it as 'Authorization: Bearer <key>' (or x-api-key / x-goog-api-key)."
        )
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        log_level=settings.log_level,
        access_log=False,
    )


@app.command()
def sandbox(
    port: Annotated[int, typer.Option(help="Gateway port")] = 8080,
    api_key: Annotated[str, typer.Option("--api-key", help="Client key the sandbox accepts")] = "sandbox",
    host: Annotated[str, typer.Option(help="Address to bind")] = "127.0.0.1",
) -> None:
    """Run the gateway against the built-in fake Google upstreams: fully offline, for trying every API."""
    from .logs import setup_logging
    from .sandbox import run_sandbox

    setup_logging("warning")
    try:
        asyncio.run(run_sandbox(host, port, api_key, lambda url: console.print(f"gemgate sandbox ready: {url}")))
    except KeyboardInterrupt:
        pass


# keys


@keys_app.command("create")
def keys_create(
    name: Annotated[Optional[str], typer.Option(help="A label")] = None, config: ConfigOpt = None
) -> None:
    """Create a client key; it is printed once and stored only as a hash."""
    view, key = _admin(config, lambda store: admin.create_key(store, name))
    console.print(f"created client key '{view.name}' (id {view.id}); it is shown only this once:")
    print(key)


@keys_app.command("list")
def keys_list(config: ConfigOpt = None) -> None:
    """List client keys (names and prefixes, never the keys)."""
    views = _admin(config, lambda store: admin.list_keys(store, include_revoked=True))
    table = Table("id", "name", "prefix", "created", "revoked")
    for k in views:
        table.add_row(k.id, k.name, k.prefix + "…", _when(k.created_at), _when(k.revoked_at) if k.revoked else "")
    console.print(table)


@keys_app.command("revoke")
def keys_revoke(
    key: Annotated[str, typer.Argument(help="id, name or prefix of the key (or the key itself)")],
    config: ConfigOpt = None,
) -> None:
    """Revoke a client key; a running server stops accepting it within seconds."""
    view = _admin(config, lambda store: admin.revoke_key(store, key))
    console.print(f"revoked '{escape(view.name)}' (id {view.id})")


# accounts


@accounts_app.command("add-apikey")
def accounts_add_apikey(
    key: Annotated[str, typer.Argument(help="A Gemini API key")],
    name: Annotated[Optional[str], typer.Option(help="A label (default: derived from the key)")] = None,
    proxy: Annotated[Optional[str], typer.Option(help="HTTP proxy URL for this account")] = None,
    config: ConfigOpt = None,
) -> None:
    """Add an official Gemini API key to the pool."""
    view = _admin(config, lambda store: admin.add_account(store, "gemini-api", name, {"api_key": key}, proxy))
    console.print(f"added {view.kind} account '{view.name}'")


_STATE_STYLE = {"ok": "green", "cooling": "yellow", "needs_reauth": "red", "disabled": "red"}


@accounts_app.command("list")
def accounts_list(config: ConfigOpt = None) -> None:
    """Show every account with its state, cooldowns and counters."""
    views = _admin(config, admin.list_accounts)
    table = Table("name", "kind", "state", "cooldown until", "reason", "requests", "last error")
    for v in views:
        state = v.state
        if v.state == "cooling":
            state = f"cooling ({v.cooldowns[0].scope})"  # the cooldown that ends first
        table.add_row(
            v.name,
            v.kind,
            f"[{_STATE_STYLE[v.state]}]{escape(state)}[/]",
            _when(v.until),
            escape(v.reason),
            str(v.requests),
            escape(v.last_error or ""),
        )
    console.print(table)


@accounts_app.command("remove")
def accounts_remove(name: str, config: ConfigOpt = None) -> None:
    """Remove an account from the pool."""
    view = _admin(config, lambda store: admin.remove_account(store, name))
    console.print(f"removed '{view.name}'")


@accounts_app.command("enable")
def accounts_enable(name: str, config: ConfigOpt = None) -> None:
    """Enable an account and clear its cooldowns."""
    view = _admin(config, lambda store: admin.enable_account(store, name))
    console.print(f"enabled '{view.name}'")


@accounts_app.command("disable")
def accounts_disable(
    name: str,
    reason: Annotated[str, typer.Option(help="Why, shown in `accounts list`")] = admin.DISABLED_BY_HAND,
    config: ConfigOpt = None,
) -> None:
    """Take an account out of rotation."""
    view = _admin(config, lambda store: admin.disable_account(store, name, reason))
    console.print(f"disabled '{view.name}'")


@accounts_app.command("reset")
def accounts_reset(
    name: str,
    model: Annotated[
        Optional[str], typer.Option(help="Clear only this model's cooldown ('*': the account-wide one)")
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Clear an account's cooldowns (all, or one model's) without enabling or disabling it."""
    cleared = _admin(config, lambda store: admin.reset_cooldowns(store, name, model))
    what = f"cooldown{'s' if len(cleared) != 1 else ''}" + (f" for {escape(model)}" if model else "")
    console.print(f"cleared {len(cleared)} {what} on '{escape(name)}'")


def _when(ts: float | None) -> str:
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S") if ts else ""


def main() -> None:
    """Entry point of the `gemgate` script."""
    app()
