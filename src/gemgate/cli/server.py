"""`gemgate serve` and `gemgate sandbox`."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from .. import __version__, admin
from ..catalog import NO_ACCOUNTS_HINT
from ..config import Settings
from ..listen import CannotListen, bind_socket
from ..store import Store
from .common import ConfigOpt, app, console, settings_or_exit, with_store


def _startup_report(settings: Settings, accounts: list[admin.AccountView], key_count: int) -> None:
    kinds = Counter(a.kind for a in accounts if a.enabled)
    by_kind = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) or "none"
    console.print(f"gemgate {__version__}")
    console.print(f"listening on http://{settings.host}:{settings.port}")
    console.print(f"data directory: {settings.data_dir}", highlight=False, soft_wrap=True)
    console.print(f"database: {settings.database}", highlight=False, soft_wrap=True)
    if settings.master_key:
        console.print("master key: from the master_key setting (GEMGATE_MASTER_KEY)", highlight=False, soft_wrap=True)
    else:
        console.print(f"master key file: {settings.key_file} (keep it: without it the store cannot be read)", highlight=False, soft_wrap=True)
    console.print(f"accounts: {by_kind}")
    console.print(f"client keys: {key_count}")
    if not accounts:
        console.print(f"[yellow]No accounts yet: {NO_ACCOUNTS_HINT}.[/yellow]", soft_wrap=True)


@app.command()
def serve(
    config: ConfigOpt = None,
    host: Annotated[Optional[str], typer.Option(help="Address to bind (default 127.0.0.1)")] = None,
    port: Annotated[Optional[int], typer.Option(help="Port to listen on (default 8080)")] = None,
) -> None:
    """Run the gateway."""
    import uvicorn

    from ..app import create_app
    from ..http.server import server_config
    from ..logs import UVICORN_LOGGERS, guard_handlers, setup_logging

    settings = settings_or_exit(config, host=host, port=port)
    setup_logging(settings.log_level)
    sock = _bind_or_exit(settings.host, settings.port)  # before anything is announced or created

    async def prepare(store: Store):
        """(new client key or None, account views, number of active client keys)."""
        new_key = await admin.ensure_client_key(store, settings.client_keys)
        keys = len(settings.client_keys) + len(await admin.list_keys(store, include_revoked=False))
        return new_key, await admin.list_accounts(store), keys

    new_key, accounts, key_count = with_store(settings, prepare)
    _startup_report(settings, accounts, key_count)
    if new_key:
        console.print(
            "[bold yellow]No client key existed, so one was created. It is shown only this once:[/bold yellow]\n"
            f"  {new_key}\n"
            "Clients send it as 'Authorization: Bearer <key>' (or x-api-key / x-goog-api-key).",
            soft_wrap=True,  # off a terminal rich wraps at 80 columns: the key and its lines stay whole
        )
    try:
        application = create_app(settings)
    except ValueError as exc:  # an invalid [upstreams.<kind>] section
        sock.close()
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    config_ = server_config(
        application, settings, host=settings.host, port=settings.port, loop="uvloop",
        log_level=settings.log_level, access_log=False,
    )
    guard_handlers(*UVICORN_LOGGERS)  # uvicorn made its handlers in Config(); a traceback may quote a secret
    uvicorn.Server(config_).run(sockets=[sock])


def _exit_on_sigterm(signum, frame) -> None:
    raise SystemExit(0)


def _bind_or_exit(host: str, port: int):
    """The bound listening socket; a busy port (or any bind error) is one red line and exit code 1."""
    try:
        return bind_socket(host, port)
    except CannotListen as exc:
        console.print(f"[red]{escape(exc.message)}[/red]", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


@app.command()
def sandbox(
    port: Annotated[int, typer.Option(help="Gateway port")] = 8080,
    api_key: Annotated[str, typer.Option("--api-key", help="Client key the sandbox accepts")] = "sandbox",
    host: Annotated[str, typer.Option(help="Address to bind")] = "127.0.0.1",
) -> None:
    """Run the gateway against the built-in fake Google upstreams: fully offline, for trying every API."""
    from ..logs import setup_logging
    from ..sandbox import SANDBOX_MASTER_KEY, run_sandbox

    # Info: one access line per request, and the pool's cooldowns and failovers, which the sandbox is for.
    setup_logging("info")
    sock = _bind_or_exit(host, port)

    def ready(url: str, data_dir: Path) -> None:
        """The data directory and how to manage it (removed on exit), then the ready line, last."""
        console.print(
            f"sandbox data (removed on exit): {data_dir}\n"
            f"manage its accounts: GEMGATE_DATA_DIR={data_dir} GEMGATE_MASTER_KEY={SANDBOX_MASTER_KEY} "
            "gemgate accounts list\n"
            "(`gemgate login --no-browser` and `gemgate import` with the same two variables use its fake Google)",
            highlight=False, soft_wrap=True,
        )
        console.print(f"gemgate sandbox ready: {url}", highlight=False, soft_wrap=True)

    # uvicorn re-raises a SIGTERM it caught once it has shut down; as an exception here (not the default
    # handler, which ends the process at once) the throwaway data directory is still removed.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        asyncio.run(run_sandbox(host, port, api_key, ready, sock=sock))
    except (KeyboardInterrupt, SystemExit):
        pass
