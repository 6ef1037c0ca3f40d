"""`gemgate login`: sign a Code Assist account in through the browser (login.py) and store it.

The browser comes back to a one-shot listener on `http://127.0.0.1:<free port>/<profile's path>`. With
`--no-browser` the URL is printed and the address the browser ended on (or its code) may be pasted
instead, for a machine without a browser (CLIProxyAPI's headless prompt, reference/antigravity.md §1.2);
whichever arrives first wins.
"""

from __future__ import annotations

import asyncio
import socket
import sys
import threading
import webbrowser
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer
from aiohttp import web
from rich.markup import escape

from ...cli.common import ConfigOpt, NameOpt, ProxyOpt, console, run_admin, settings_or_exit
from ...cli.secret_input import SecretReader, file_option
from ...redaction import url_secrets
from .cli import CreditsOpt, UserAgentOpt, account_options
from .login import CALLBACK_PATHS, LoginError, begin, code_from, finish, model_ids, pasted, save, summary
from .profiles import PROFILES

PAGE = "<!DOCTYPE html><title>gemgate</title><p>{}</p>"


def register(app: typer.Typer) -> None:
    """Add `gemgate login`."""

    @app.command("login")
    def login(
        profile: Annotated[
            str, typer.Option(help=f"Which Google client to sign in through: {' or '.join(sorted(PROFILES))}")
        ] = "antigravity",
        no_browser: Annotated[
            bool, typer.Option("--no-browser", help="Print the URL and read the address the browser ended on")
        ] = False,
        project: Annotated[Optional[str], typer.Option(help="Your Code Assist project id (skips discovery)")] = None,
        name: NameOpt = None,
        proxy: ProxyOpt = None,
        proxy_file: file_option("proxy", "proxy URL") = None,
        user_agent: UserAgentOpt = None,
        credits: CreditsOpt = None,
        config: ConfigOpt = None,
    ) -> None:
        """Sign a Code Assist account in with Google (Antigravity or Gemini CLI client) and add it."""
        proxy = SecretReader().read("proxy URL", proxy, file=proxy_file, warn=bool(url_secrets(proxy)))
        if profile not in PROFILES:
            console.print(f"[red]unknown profile '{escape(profile)}'; use {' or '.join(sorted(PROFILES))}[/red]")
            raise typer.Exit(2)
        own = account_options(user_agent, credits)
        try:
            secret, models = asyncio.run(_sign_in(config, profile, no_browser, proxy, project, own))
        except LoginError as exc:
            console.print(f"[red]sign-in failed: {escape(str(exc))}[/red]", soft_wrap=True)
            raise typer.Exit(1) from None
        view, replaced = run_admin(config, lambda store: save(store, secret, name, proxy))
        done = "signed in again: renewed" if replaced else "added"
        console.print(f"{done} code-assist account '{escape(view.name)}': {escape(summary(secret, models))}",
                      highlight=False, soft_wrap=True)


async def _sign_in(config: Path | None, profile: str, no_browser: bool, proxy: str | None,
                   project: str | None, own: dict) -> tuple[dict, list[str] | None]:
    """The signed-in credential and its models. Raises LoginError."""
    from .. import build_upstreams

    upstream = build_upstreams(settings_or_exit(config).upstreams)["code-assist"]
    await upstream.start()
    try:
        async with _listener(CALLBACK_PATHS[profile]) as (redirect_uri, arrived):
            pending = begin(upstream, profile, redirect_uri)
            waiting: list[asyncio.Future] = [arrived]
            if no_browser or not webbrowser.open(pending.url):
                console.print("Open this address in a browser and sign in:", highlight=False)
                console.print(pending.url, highlight=False, soft_wrap=True, markup=False)
            if no_browser:
                console.print("Then paste the address the browser ended on (or its code) here:", highlight=False)
                waiting.append(_stdin_line())
            timeout = upstream.settings.login_timeout_seconds
            done, _ = await asyncio.wait(waiting, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            if not done:
                raise LoginError(f"no sign-in within {timeout:g} s; run `gemgate login` again")
            answer = done.pop().result()
        code = code_from(answer, pending) if isinstance(answer, dict) else pasted(answer, pending)
        secret = await finish(upstream, pending, code, proxy, project, own)
        return secret, await model_ids(upstream, secret, proxy)
    finally:
        await upstream.close()


@asynccontextmanager
async def _listener(path: str) -> AsyncIterator[tuple[str, asyncio.Future]]:
    """A loopback HTTP listener on a free port: yields its redirect URI and a future set to the query of the
    first request to `path`; the browser is told to return to the terminal."""
    arrived: asyncio.Future = asyncio.get_running_loop().create_future()

    async def callback(request: web.Request) -> web.Response:
        """The browser's return: hand the query over once."""
        if not arrived.done():
            arrived.set_result(dict(request.query))
        return web.Response(text=PAGE.format("Sign-in received; go back to the terminal."), content_type="text/html")

    app = web.Application()
    app.router.add_get(path, callback)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    try:
        await web.SockSite(runner, sock).start()
        yield f"http://127.0.0.1:{sock.getsockname()[1]}{path}", arrived
    finally:
        await runner.cleanup()
        sock.close()


def _stdin_line() -> asyncio.Future:
    """A future set to the next line of stdin, read in a daemon thread (so an unanswered prompt never keeps
    the process alive once the browser's callback won)."""
    loop = asyncio.get_running_loop()
    line: asyncio.Future = loop.create_future()

    def read() -> None:
        text = sys.stdin.readline()
        try:
            loop.call_soon_threadsafe(lambda: line.done() or line.set_result(text))
        except RuntimeError:  # the loop is gone: the callback won
            pass

    threading.Thread(target=read, daemon=True).start()
    return line
