"""`gemgate accounts …`: the pool's accounts, whatever their kind (kinds add their own `add-…` commands)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.markup import escape

from .. import admin
from .common import ConfigOpt, accounts_app, console, folding_table, records, run_admin, when


def _short(text: str, most: int = 60) -> str:
    """A long upstream error cut for the table (a whole Google error filled 80 lines of a terminal)."""
    return text if len(text) <= most else text[: most - 1] + "…"


_READABLE_COLUMN = 14  # terminal cells a table column needs to stay readable when its text folds

_STATE_STYLE = {"ok": "green", "cooling": "yellow", "needs_reauth": "red", "disabled": "red"}


def _percent(fraction: float | None) -> str:
    return "?" if fraction is None else f"{fraction:.0%}"


def _quota_cell(view: admin.AccountView) -> str:
    """The emptiest model's quota, compactly: "12% gemini-3-flash, resets 2026-12-07 18:05:00"."""
    low = view.lowest_quota
    if low is None:
        return ""
    text = f"{_percent(low.fraction)} {low.model}"
    return f"{text}, resets {when(low.reset)}" if low.reset else text


def _quota_rows(views: list[admin.AccountView]) -> list[tuple[str, ...]]:
    return [
        (escape(v.name), escape(q.model), _percent(q.fraction), when(q.reset), when(v.quota_checked))
        for v in views for q in v.quota
    ]


def _print_quota(views: list[admin.AccountView]) -> None:
    rows = _quota_rows(views)
    if not rows:
        console.print("no quota reading yet (Code Assist accounts are read when the server discovers models)")
        return
    console.print(folding_table(("account", "model", "left", "resets", "read at"), rows))


@accounts_app.command("list")
def accounts_list(
    config: ConfigOpt = None,
    quota: Annotated[bool, typer.Option("--quota", help="Also show each model's quota left, per account")] = False,
) -> None:
    """Show every account: its credential (masked) and proxy (password hidden), state, cooldowns, the model
    with the least quota left (kinds that report quota), counters."""
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
            escape(_quota_cell(v)),
            str(v.requests),
            escape(_short(v.last_error or "")),
            f"[yellow]{escape(v.warning)}[/]" if v.warning else "",
        ))
    headers = ("name", "kind", "credential", "proxy", "state", "cooldown until", "reason", "least quota left",
               "requests", "last error", "warning")
    table = folding_table(headers, rows, drop_empty=True)
    if console.width < _READABLE_COLUMN * len(table.columns):  # columns would shrink to a few letters each
        records(headers, rows)
    else:
        console.print(table)
    if quota:
        _print_quota(views)


@accounts_app.command("show")
def accounts_show(name: str, config: ConfigOpt = None) -> None:
    """Show one account: state, every cooldown with its reason, and each model's quota left."""
    v = run_admin(config, lambda store: admin.get_account(store, name))
    console.print(f"[bold]{escape(v.name)}[/] ({v.kind}) {escape(v.credential)}")
    console.print(f"state: [{_STATE_STYLE[v.state]}]{v.state}[/]" + (f": {escape(v.reason)}" if v.reason else ""))
    if v.cooldowns:
        rows = [(escape(c.scope), c.state, when(c.until), escape(c.reason)) for c in v.cooldowns]
        console.print(folding_table(("scope", "state", "until", "reason"), rows))
    last = f", last error: {escape(v.last_error)}" if v.last_error else ""
    if v.warning:
        console.print(f"[yellow]warning: {escape(v.warning)}[/]")
    console.print(f"requests {v.requests}, errors {v.errors}{last}")
    if v.quota:
        _print_quota([v])


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
