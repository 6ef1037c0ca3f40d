"""What every command shares: the typer apps, the console, settings and store access, formatting."""

from __future__ import annotations

import asyncio
import tomllib
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Optional, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Column, Table
from rich.text import Text

from .. import admin
from ..config import Settings, load_settings
from ..store import MasterKeyError, Store, open_store
from ..upstreams import section_settings

# Never the locals in a crash report: they hold keys, proxy URLs and the settings' master key (typer's default
# was True before 0.12).
app = typer.Typer(
    help="gemgate: Gemini access as OpenAI, Gemini and Anthropic APIs.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
keys_app = typer.Typer(help="Client keys that callers of the gateway present.", no_args_is_help=True)
accounts_app = typer.Typer(help="Upstream accounts in the pool.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(accounts_app, name="accounts")
console = Console()
T = TypeVar("T")

ConfigOpt = Annotated[Optional[Path], typer.Option("--config", "-c", help="TOML config file")]
ProxyOpt = Annotated[
    Optional[str],
    typer.Option(help="Proxy URL for this account (http, https or socks5); '-' reads it from stdin"),
]
NameOpt = Annotated[Optional[str], typer.Option(help="A label (default: derived from the credential)")]


def settings_or_exit(config: Path | None, **overrides: object) -> Settings:
    """The settings (file, environment, then `overrides`); a missing or invalid config exits with code 2,
    saying which setting is wrong and why (no traceback)."""
    try:
        settings = load_settings(config, **overrides)
        section_settings(settings.upstreams)
        return settings
    except FileNotFoundError as exc:
        console.print(f"[red]{escape(str(exc))}[/red]")
    except tomllib.TOMLDecodeError as exc:
        console.print(f"[red]the config file is not valid TOML: {escape(str(exc))}[/red]")
    except ValidationError as exc:
        for problem in exc.errors():
            where = ".".join(str(p) for p in problem["loc"]) or "settings"
            console.print(f"[red]setting '{escape(where)}': {escape(problem['msg'])}[/red]")
        console.print("Settings come from the config file and GEMGATE_* variables; see the README's Configuration.")
    except ValueError as exc:  # an [upstreams.<kind>] section (after the two ValueError kinds above)
        console.print(f"[red]{escape(str(exc))}[/red]")
    raise typer.Exit(2)


def with_store(settings: Settings, fn: Callable[[Store], Awaitable[T]]) -> T:
    """Run `fn(store)` on a freshly opened store and close it. A master key that cannot open the stored
    secrets is one red line and exit code 2 (no traceback)."""

    async def run() -> T:
        """Open, run, close."""
        store = await open_store(settings)
        try:
            return await fn(store)
        finally:
            await store.close()

    try:
        return asyncio.run(run())
    except MasterKeyError as exc:
        console.print(f"[red]{escape(str(exc))}[/red]", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


def run_admin(config: Path | None, op: Callable[[Store], Awaitable[T]]) -> T:
    """Run one admin operation on the configured store; an AdminError becomes a red message and exit 1."""
    try:
        return with_store(settings_or_exit(config), op)
    except admin.AdminError as exc:
        console.print(f"[red]{escape(exc.message)}[/red]")
        raise typer.Exit(1) from None


def refreshed_or_exit(config: Path | None, kind: str, secret: dict, proxy: str | None, hint: str = "") -> dict:
    """The credential as the kind's upstream makes it fresh (`refresh_credential`: e.g. a new token and the
    project, or the cookie jar after opening the app), for an `accounts add-… --check`; the secrets are scrubbed
    from whatever Google answers. On failure: what went wrong (and `hint`, what to do instead) in red, exit 1."""
    from ..errors import UpstreamError
    from ..redaction import KNOWN
    from ..store import AccountRecord
    from ..upstreams import build_upstreams
    from ..upstreams.base import NeedsReauth

    upstream = build_upstreams(settings_or_exit(config).upstreams)[kind]
    record = AccountRecord(id="check", name="check", kind=kind, secret=dict(secret), proxy=proxy)

    async def run() -> dict:
        """Start, refresh, close."""
        KNOWN.set("check", upstream.secret_values(secret))
        await upstream.start()
        try:
            return await upstream.refresh_credential(record)
        finally:
            await upstream.close()
            KNOWN.set("check", ())

    try:
        return asyncio.run(run())
    except NeedsReauth as exc:
        problem = exc.reason
    except UpstreamError as exc:
        problem = f"{exc.failure.value}: {exc.message}"
    console.print(f"[red]the check failed, nothing was added: {escape(problem.replace('<name>', 'NAME'))}[/red]")
    if hint:
        console.print(hint)
    raise typer.Exit(1)


def folding_table(
    headers: tuple[str, ...], rows: list[tuple[str, ...]], whole: int = 1, drop_empty: bool = False
) -> Table:
    """A rich Table of `rows` whose cells wrap instead of ending in "…", and whose first `whole` columns (the
    names that tell rows apart) are never cut or wrapped, so the table stays usable in an 80-column terminal.
    `drop_empty`: columns empty in every row (after the whole ones) are left out."""
    if drop_empty and rows:
        keep = [i for i in range(len(headers)) if i < whole or any(Text.from_markup(r[i]).plain for r in rows)]
        headers = tuple(headers[i] for i in keep)
        rows = [tuple(r[i] for i in keep) for r in rows]
    columns = []
    for i, header in enumerate(headers):
        if i < whole:
            widest = max([len(header), *(len(Text.from_markup(r[i]).plain) for r in rows)])
            columns.append(Column(header, no_wrap=True, min_width=widest))
        else:
            columns.append(Column(header, overflow="fold"))
    table = Table(*columns)
    for row in rows:
        table.add_row(*row)
    return table


def records(headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """Print each row as a block, its first cell as the title and each other non-empty cell as a
    "header: value" line: for tables too wide to read in the terminal."""
    for row in rows:
        console.print(f"[bold]{row[0]}[/]")
        for header, cell in zip(headers[1:], row[1:]):
            if Text.from_markup(cell).plain:
                console.print(f"  {header}: {cell}", overflow="fold")


def when(ts: float | None) -> str:
    """Local time of an epoch-seconds timestamp, or "" for None."""
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S") if ts else ""
