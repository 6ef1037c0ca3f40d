"""`gemgate accounts add-cookie FILE|-`: a Gemini web-app account from a browser's cookies, in any form
`cookies.parse_cookies` accepts, or from `--psid` / `--psidts`. An account added from a file remembers it: the
server takes the file in again when it changes and writes rotated cookies back to it (`lifecycle`)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from ... import admin
from ...cli.common import ConfigOpt, NameOpt, ProxyOpt, console, refreshed_or_exit, run_admin
from ...cli.secret_input import SecretReader, file_option
from ...redaction import url_secrets
from . import cookie_file
from .cookies import PSID, PSIDTS, CookieFormatError, header, parse_cookies


def register(accounts: typer.Typer) -> None:
    """Add this kind's commands to `gemgate accounts`."""

    @accounts.command("add-cookie")
    def add_cookie(
        source: Annotated[
            Optional[str],
            typer.Argument(
                help="A cookie file (JSON {\"cookie\": …}, Netscape cookies.txt, a browser extension's JSON export, "
                "or a Cookie header string); '-' reads it from stdin"
            ),
        ] = None,
        psid: Annotated[Optional[str], typer.Option("--psid", help=f"{PSID} alone ('-': from stdin)")] = None,
        psid_file: file_option("psid", PSID) = None,
        psidts: Annotated[Optional[str], typer.Option("--psidts", help=f"{PSIDTS} (with --psid)")] = None,
        auth_user: Annotated[
            Optional[int], typer.Option("--auth-user", min=0, help="The N of /u/N/ when the browser has several accounts")
        ] = None,
        build_label: Annotated[Optional[str], typer.Option(
            "--build-label", help="The build label (bl) to send when the app page carries none; the page's wins")] = None,
        xsrf_token: Annotated[Optional[str], typer.Option(
            "--xsrf-token", help="The XSRF token (at) to send when the app page carries none; the page's wins")] = None,
        name: NameOpt = None,
        proxy: ProxyOpt = None,
        proxy_file: file_option("proxy", "proxy URL") = None,
        check: Annotated[
            bool, typer.Option("--check", help="Open the app with the cookies now (signed in, models) before saving")
        ] = False,
        config: ConfigOpt = None,
    ) -> None:
        """Add a Gemini web-app account (gemini.google.com) from a signed-in browser's cookies."""
        reader = SecretReader()
        text = None
        if psid is None and psid_file is None:
            text = reader.read("cookies", "-" if source == "-" else None, file=None if source in (None, "-") else Path(source),
                               ask=True, warn=False)
        loaded = None
        try:
            if text is not None:
                loaded = cookie_file.read_text(text)
                jar = loaded.jar
            else:
                value = reader.read(PSID, psid, file=psid_file)
                jar = parse_cookies(header({PSID: value or "", **({PSIDTS: psidts.strip()} if psidts else {})}))
        except CookieFormatError as exc:
            console.print(f"[red]{escape(str(exc))}[/red]", highlight=False)
            raise typer.Exit(1) from None
        proxy = reader.read("proxy URL", proxy, file=proxy_file, warn=bool(url_secrets(proxy)))
        secret: dict = {"cookie": header(jar), "loaded_at": time.time()}
        if loaded is not None:
            secret["expires"] = loaded.expires
            if source not in (None, "-"):  # watched: a re-export is taken in without a restart (lifecycle.py)
                path = Path(source).resolve()
                secret.update(cookie_file=str(path), cookie_file_digest=cookie_file.digest(path.read_bytes()))
        if auth_user is not None:
            secret["auth_user"] = auth_user
        secret.update({k: v.strip() for k, v in (("build_label", build_label), ("xsrf_token", xsrf_token)) if v and v.strip()})
        if check:
            secret = refreshed_or_exit(config, "gemini-web", secret, proxy)
        view = run_admin(config, lambda store: admin.add_account(store, "gemini-web", name, secret, proxy))
        console.print(f"added {view.kind} account '{escape(view.name)}' ({escape(view.credential)})", highlight=False)
