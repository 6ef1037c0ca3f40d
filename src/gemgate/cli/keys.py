"""`gemgate keys …`: client keys."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.markup import escape

from .. import admin
from .common import ConfigOpt, console, folding_table, keys_app, run_admin, when


@keys_app.command("create")
def keys_create(
    name: Annotated[Optional[str], typer.Option(help="A label")] = None, config: ConfigOpt = None
) -> None:
    """Create a client key; it is printed once and stored only as a hash."""
    view, key = run_admin(config, lambda store: admin.create_key(store, name))
    console.print(f"created client key '{view.name}' (id {view.id}); it is shown only this once:")
    print(key)


@keys_app.command("list")
def keys_list(config: ConfigOpt = None) -> None:
    """List client keys (names and prefixes, never the keys)."""
    views = run_admin(config, lambda store: admin.list_keys(store, include_revoked=True))
    rows = [(k.id, escape(k.name), k.prefix + "…", when(k.created_at), when(k.revoked_at) if k.revoked else "")
            for k in views]
    console.print(folding_table(("id", "name", "prefix", "created", "revoked"), rows, whole=2))


@keys_app.command("revoke")
def keys_revoke(
    key: Annotated[str, typer.Argument(help="id, name or prefix of the key (or the key itself)")],
    config: ConfigOpt = None,
) -> None:
    """Revoke a client key; a running server stops accepting it within about 100 ms."""
    view = run_admin(config, lambda store: admin.revoke_key(store, key))
    console.print(f"revoked '{escape(view.name)}' (id {view.id})")
