"""Command line: serve, sandbox, keys, accounts."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from . import __version__
from .auth import create_key
from .config import Settings, load_settings
from .store import AccountRecord, Store, open_store

app = typer.Typer(help="gemgate: Gemini access as OpenAI, Gemini and Anthropic APIs.", no_args_is_help=True)
keys_app = typer.Typer(help="Client keys that callers of the gateway present.", no_args_is_help=True)
accounts_app = typer.Typer(help="Upstream accounts in the pool.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(accounts_app, name="accounts")
console = Console()

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


async def ensure_client_key(store: Store, settings: Settings) -> str | None:
    """Never run open: with no key anywhere, make one and return it so it can be shown once."""
    if settings.client_keys or await store.list_client_keys():
        return None
    _, key = await create_key(store, "initial")
    return key


def _startup_report(settings: Settings, accounts: list[AccountRecord], key_count: int) -> None:
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
        new_key = await ensure_client_key(store, settings)
        keys = len(settings.client_keys) + len(await store.list_client_keys())
        return new_key, await store.list_accounts(), keys

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
    record, key = _with_store(_settings(config), lambda store: create_key(store, name))
    console.print(f"created client key '{record.name}' (id {record.id}); it is shown only this once:")
    print(key)


@keys_app.command("list")
def keys_list(config: ConfigOpt = None) -> None:
    """List client keys (names and prefixes, never the keys)."""
    records = _with_store(_settings(config), lambda store: store.list_client_keys(include_revoked=True))
    table = Table("id", "name", "prefix", "created", "revoked")
    for r in records:
        table.add_row(r.id, r.name, r.prefix + "…", _when(r.created_at), _when(r.revoked_at) if r.revoked_at else "")
    console.print(table)


@keys_app.command("revoke")
def keys_revoke(
    key: Annotated[str, typer.Argument(help="id, name or prefix of the key")], config: ConfigOpt = None
) -> None:
    """Revoke a client key; a running server stops accepting it within seconds."""
    if not _with_store(_settings(config), lambda store: store.revoke_client_key(key)):
        console.print(f"[red]no active client key matches '{key}'[/red]")
        raise typer.Exit(1)
    console.print(f"revoked '{key}'")


# accounts


@accounts_app.command("add-apikey")
def accounts_add_apikey(
    key: Annotated[str, typer.Argument(help="A Gemini API key")],
    name: Annotated[Optional[str], typer.Option(help="A label (default: derived from the key)")] = None,
    proxy: Annotated[Optional[str], typer.Option(help="HTTP proxy URL for this account")] = None,
    config: ConfigOpt = None,
) -> None:
    """Add an official Gemini API key to the pool."""
    record = AccountRecord(
        id=uuid.uuid4().hex[:12],
        name=name or f"apikey-{key[-4:]}",
        kind="gemini-api",
        secret={"api_key": key},
        proxy=proxy,
    )

    async def add(store: Store):
        if await store.find_account(record.name):
            return False
        await store.add_account(record)
        return True

    if not _with_store(_settings(config), add):
        console.print(f"[red]an account named '{record.name}' exists already; pick another --name[/red]")
        raise typer.Exit(1)
    console.print(f"added gemini-api account '{record.name}'")


@accounts_app.command("list")
def accounts_list(config: ConfigOpt = None) -> None:
    """Show every account with its state, cooldowns and counters."""

    async def read(store: Store):
        return await store.list_accounts(), await store.list_health(), await store.get_stats()

    accounts, health, stats = _with_store(_settings(config), read)
    table = Table("name", "kind", "state", "cooldown until", "reason", "requests", "last error")
    now = time.time()
    for acc in accounts:
        cooling = [h for h in health if h.account_id == acc.id and (h.until or 0) > now]
        st = stats.get(acc.id)
        if not acc.enabled:
            state, until, reason = "[red]disabled[/red]", "", acc.disabled_reason or ""
        elif cooling:
            first = min(cooling, key=lambda h: h.until)
            scope = "account" if first.model == "*" else first.model
            state, until, reason = f"[yellow]cooling ({scope})[/yellow]", _when(first.until), first.reason
        else:
            state, until, reason = "[green]ok[/green]", "", ""
        table.add_row(
            acc.name,
            acc.kind,
            state,
            until,
            reason,
            str(st.requests if st else 0),
            (st.last_error or "") if st else "",
        )
    console.print(table)


def _find_or_exit(store: Store, name: str):
    async def find():
        acc = await store.find_account(name)
        if acc is None:
            console.print(f"[red]no account named '{name}'[/red]")
            raise typer.Exit(1)
        return acc

    return find()


@accounts_app.command("remove")
def accounts_remove(name: str, config: ConfigOpt = None) -> None:
    """Remove an account from the pool."""

    async def remove(store: Store):
        acc = await _find_or_exit(store, name)
        await store.remove_account(acc.id)

    _with_store(_settings(config), remove)
    console.print(f"removed '{name}'")


def _set_enabled(name: str, enabled: bool, config: Path | None) -> None:
    async def change(store: Store):
        acc = await _find_or_exit(store, name)
        await store.set_account_enabled(acc.id, enabled, None if enabled else "disabled by hand")
        if enabled:
            await store.clear_health(acc.id)

    _with_store(_settings(config), change)
    console.print(f"{'enabled' if enabled else 'disabled'} '{name}'")


@accounts_app.command("enable")
def accounts_enable(name: str, config: ConfigOpt = None) -> None:
    """Enable an account and clear its cooldowns."""
    _set_enabled(name, True, config)


@accounts_app.command("disable")
def accounts_disable(name: str, config: ConfigOpt = None) -> None:
    """Take an account out of rotation."""
    _set_enabled(name, False, config)


def _when(ts: float | None) -> str:
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S") if ts else ""


def main() -> None:
    app()
