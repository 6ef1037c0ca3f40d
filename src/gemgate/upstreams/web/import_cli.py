"""`gemgate import config.json` for the cookie-based server gemgate replaces (`migrate`): its accounts (from their
cookie files), client keys and settings, with a table of what was imported; `--dry-run` writes nothing and
needs no network (neither does a real import: cookies are checked when the server first uses them)."""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape

from ... import admin
from ...cli.common import console, folding_table, settings_or_exit, with_store
from ...config_write import SET, set_settings
from ...store import Store
from . import migrate

STYLE = {"added": "green", "would add": "green", "set": "green", "would set": "green", "error": "red"}


def import_configs(paths: list[Path], config: Path | None, dry_run: bool) -> bool:
    """Import each config at `paths`, printing what was (with `dry_run`: would be) imported; False when any part
    failed (an unreadable config or cookie file, a refused account)."""
    settings = settings_or_exit(config)
    target = settings.config_file or settings.data_dir / "config.toml"
    ok = True
    for path in paths:
        try:
            planned = migrate.plan(path)
        except (OSError, ValueError) as exc:
            console.print(f"[red]{escape(str(path))}: cannot be read as a config: {escape(str(exc))}[/red]")
            ok = False
            continue
        rows, keys = with_store(settings, lambda store: _apply(store, planned, dry_run))
        try:
            changes = set_settings(target, planned.settings, dry_run)
        except Exception as exc:  # noqa: BLE001 - an OSError or a TOML parse error: say it, import the rest
            console.print(f"[red]settings not written to {escape(str(target))}: {escape(str(exc))}[/red]")
            changes, ok = [], False
        ok &= all(not r[-1].startswith("[red]") for r in rows)
        _print(planned, rows, keys, changes, target, dry_run)
    return ok


async def _apply(store: Store, planned: migrate.Plan, dry_run: bool) -> tuple[list[tuple[str, ...]], str]:
    """Add the accounts and keys (or, with `dry_run`, say what would be added); the table rows and a line on the
    keys."""
    rows = []
    for acc in planned.accounts:
        where = f"/u/{acc.secret['auth_user']}" if "auth_user" in acc.secret else ""
        proxy = admin.redact_proxy(acc.proxy) or ""
        if acc.problem:
            result = f"[red]error: {escape(acc.problem)}[/]"
        else:
            # A dry run makes every check the import makes (a name taken, a credential in the pool already).
            try:
                if dry_run:
                    acc.name = (await admin.check_new_account(store, "gemini-web", acc.name, acc.secret, acc.proxy))[1]
                else:
                    view = await admin.add_account(store, "gemini-web", acc.name, acc.secret, acc.proxy)
                    if not acc.enabled:
                        await admin.disable_account(store, view.name, f"disabled in {planned.config.name}")
                    acc.name = view.name
                result = ("[green]would add[/]" if dry_run else "[green]added[/]") + ("" if acc.enabled else " (disabled)")
            except admin.Conflict as exc:
                result = f"[yellow]{'would skip' if dry_run else 'skipped'}: {escape(exc.message)}[/]"
            except admin.AdminError as exc:
                result = f"[red]error: {escape(exc.message)}[/]"
        rows.append((escape(acc.name or "(default)"), escape(acc.source), where, escape(proxy), result))
    added = 0
    for i, key in enumerate(planned.keys, 1):
        if await admin.import_key(store, key, f"imported-{planned.config.stem}-{i}", dry_run=dry_run) is not None:
            added += 1
    verb = "would add" if dry_run else "added"
    keys = f"client keys: {verb} {added} of {len(planned.keys)} (the clients keep their keys)" if planned.keys else ""
    return rows, keys


def _print(planned: migrate.Plan, rows, keys: str, changes, target: Path, dry_run: bool) -> None:
    console.print(f"[bold]{escape(str(planned.config))}[/] (a cookie-based OpenAI server's config)"
                  + (": dry run, nothing was written" if dry_run else ""), highlight=False)
    if rows:
        console.print(folding_table(("account", "cookie file", "index", "proxy", "result"), rows, drop_empty=True))
    if keys:
        console.print(keys)
    for setting, value, result in changes:
        shown = ("would set" if dry_run else "set") if result == SET else result
        console.print(f"setting {setting} = {value!r}: {shown} in {escape(str(target))}", highlight=False)
    for note in planned.notes:
        console.print(f"[yellow]{escape(note)}[/]", highlight=False)
