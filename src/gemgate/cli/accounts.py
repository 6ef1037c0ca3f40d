"""`gemgate accounts …`: the pool's accounts, whatever their kind (kinds add their own `add-…` commands)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.markup import escape

from .. import admin
from .common import ConfigOpt, accounts_app, console, folding_table, run_admin, when


def _short(text: str, most: int = 60) -> str:
    """A long upstream error cut for the table (a whole Google error filled 80 lines of a terminal)."""
    return text if len(text) <= most else text[: most - 1] + "…"


_STATE_STYLE = {"ok": "green", "cooling": "yellow", "needs_reauth": "red", "disabled": "red"}


@accounts_app.command("list")
def accounts_list(config: ConfigOpt = None) -> None:
    """Show every account: its credential (masked) and proxy (password hidden), state, cooldowns, counters."""
    views = run_admin(config, admin.list_accounts)
    rows = []
    for v in views:
        state = v.state
        if v.state == "cooling":
            state = f"cooling ({v.cooldowns[0].scope})"  # the cooldown that ends first
        rows.append((
            escape(v.name),
            v.kind,
            escape(v.credential),
            escape(v.proxy or ""),
            f"[{_STATE_STYLE[v.state]}]{escape(state)}[/]",
            when(v.until),
            escape(v.reason),  # the gateway's own words, ending in what to run: kept whole
            str(v.requests),
            escape(_short(v.last_error or "")),
        ))
    headers = ("name", "kind", "credential", "proxy", "state", "cooldown until", "reason", "requests", "last error")
    console.print(folding_table(headers, rows))


@accounts_app.command("remove")
def accounts_remove(name: str, config: ConfigOpt = None) -> None:
    """Remove an account from the pool."""
    view = run_admin(config, lambda store: admin.remove_account(store, name))
    console.print(f"removed '{view.name}'")


@accounts_app.command("enable")
def accounts_enable(name: str, config: ConfigOpt = None) -> None:
    """Enable an account and clear its cooldowns."""
    view = run_admin(config, lambda store: admin.enable_account(store, name))
    console.print(f"enabled '{view.name}'")


@accounts_app.command("disable")
def accounts_disable(
    name: str,
    reason: Annotated[str, typer.Option(help="Why, shown in `accounts list`")] = admin.DISABLED_BY_HAND,
    config: ConfigOpt = None,
) -> None:
    """Take an account out of rotation."""
    view = run_admin(config, lambda store: admin.disable_account(store, name, reason))
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
    cleared = run_admin(config, lambda store: admin.reset_cooldowns(store, name, model))
    what = f"cooldown{'s' if len(cleared) != 1 else ''}" + (f" for {escape(model)}" if model else "")
    console.print(f"cleared {len(cleared)} {what} on '{escape(name)}'")
