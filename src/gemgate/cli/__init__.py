"""Command line: serve, sandbox, keys, accounts; each upstream kind adds its own account commands."""

from __future__ import annotations

from ..upstreams import UPSTREAM_KINDS
from . import accounts, keys, server  # noqa: F401 - their commands register on import
from .common import accounts_app, app

for _kind in UPSTREAM_KINDS.values():
    _kind.register_cli(accounts_app)
    _kind.register_commands(app)


def main() -> None:
    """Entry point of the `gemgate` script."""
    app()
