"""`gemgate accounts add-oauth`: a Code Assist account from a credential file (the first way in; `gemgate
login` and `gemgate import` come later)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Optional

import orjson
import typer
from rich.markup import escape

from ... import admin
from ...cli.common import ConfigOpt, NameOpt, ProxyOpt, console, refreshed_or_exit, run_admin
from ...cli.secret_input import SecretReader, file_option
from ...redaction import url_secrets
from .credential import from_file, options
from .profiles import PROFILES

UserAgentOpt = Annotated[Optional[str], typer.Option(
    "--user-agent", help="The User-Agent of every call for this account (generation, discovery, token refresh) "
    "instead of the profile's", show_default=False)]
CreditsOpt = Annotated[Optional[bool], typer.Option(
    "--credits/--no-credits", help="Pay with Google One AI credits once the free quota is exhausted "
    "(default: the profile's `credits` setting, off)", show_default=False)]


def account_options(user_agent: str | None, credits: bool | None) -> dict:
    """`credential.options` from the command line, or exit 2 saying what is wrong."""
    try:
        return options(user_agent, credits)
    except ValueError as exc:
        console.print(f"[red]--user-agent: {escape(str(exc))}[/red]")
        raise typer.Exit(2) from None


def register(accounts: typer.Typer) -> None:
    """Add this kind's commands to `gemgate accounts`."""

    @accounts.command("add-oauth")
    def add_oauth(
        file: Annotated[Path, typer.Option("--file", help="A Gemini CLI oauth_creds.json, or gemgate's own credential JSON")],
        profile: Annotated[
            Optional[str], typer.Option(help=f"Which OAuth client issued it: {' or '.join(sorted(PROFILES))}")
        ] = None,
        project: Annotated[Optional[str], typer.Option(help="Your Code Assist project id (skips discovery)")] = None,
        name: NameOpt = None,
        proxy: ProxyOpt = None,
        proxy_file: file_option("proxy", "proxy URL") = None,
        check: Annotated[
            bool,
            typer.Option(
                "--check/--no-check",
                help="Refresh the token, read the email and find the project now (default), or store the file as is",
            ),
        ] = True,
        user_agent: UserAgentOpt = None,
        credits: CreditsOpt = None,
        config: ConfigOpt = None,
    ) -> None:
        """Add a Code Assist account (Antigravity or Gemini CLI sign-in) from a credential file."""
        proxy = SecretReader().read("proxy URL", proxy, file=proxy_file, warn=bool(url_secrets(proxy)))
        own = account_options(user_agent, credits)
        try:
            secret = {**from_file(orjson.loads(file.read_bytes()), profile, project), **own}
        except (OSError, orjson.JSONDecodeError, ValueError) as exc:
            console.print(f"[red]{escape(_file_problem(file, exc))}[/red]")
            raise typer.Exit(1) from None
        if check:
            secret = refreshed_or_exit(config, "code-assist", secret, proxy,
                                       "To store the credential without checking it (offline), add --no-check.")
            if project:
                eligible_or_exit(config, secret, proxy)
        view = run_admin(config, lambda store: admin.add_account(store, "code-assist", name, secret, proxy))
        extra = f", project {secret['project_id']}" if secret.get("project_id") else ""
        tier = f", tier {secret['tier']}" if secret.get("tier") else ""
        console.print(f"added {view.kind} account '{escape(view.name)}' ({escape(view.credential)}{extra}{tier})", highlight=False)


def eligible_or_exit(config: Path | None, secret: dict, proxy: str | None) -> None:
    """With `--project` no discovery ran to tell whether Google serves this account through its profile: ask
    its model list (`login.model_ids`, as `gemgate login --project` does) and, when Google refuses the account,
    say why in red and exit 1 (nothing added). Any other failure of that call leaves the check to first use."""
    from ...cli.common import settings_or_exit
    from ...redaction import KNOWN
    from .. import build_upstreams
    from .login import LoginError, model_ids

    async def run() -> None:
        """Start, ask, close."""
        upstream = build_upstreams(settings_or_exit(config).upstreams)["code-assist"]
        KNOWN.set("check", upstream.secret_values(secret))
        await upstream.start()
        try:
            await model_ids(upstream, secret, proxy)
        finally:
            await upstream.close()
            KNOWN.set("check", ())

    try:
        asyncio.run(run())
    except LoginError as exc:
        console.print(f"[red]the check failed, nothing was added: {escape(str(exc))}[/red]", soft_wrap=True)
        raise typer.Exit(1) from None


def _file_problem(file: Path, exc: Exception) -> str:
    if isinstance(exc, OSError):
        return f"cannot read {file}: {exc.strerror or exc}"
    if isinstance(exc, orjson.JSONDecodeError):
        return f"{file} is not JSON"
    return f"{file}: {exc}"
