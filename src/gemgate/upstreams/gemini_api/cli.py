"""`gemgate accounts add-apikey`: official Gemini API keys."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.markup import escape

from ... import admin
from ...cli.common import ConfigOpt, NameOpt, ProxyOpt, console, run_admin, settings_or_exit
from ...cli.secret_input import SecretReader, file_option, stdin_option
from ...redaction import url_secrets

SKIP_FORMAT_FLAG = "--skip-format-check"


def register(accounts: typer.Typer) -> None:
    """Add this kind's commands to `gemgate accounts`."""

    @accounts.command("add-apikey")
    def add_apikey(
        key: Annotated[
            Optional[str],
            typer.Argument(
                help="A Gemini API key ('AIza' and 35 more characters); '-' reads it from stdin. Leave it out to "
                "be asked for it (hidden) or to pipe it in: a key typed here shows in `ps` and the shell history"
            ),
        ] = None,
        key_file: file_option("key", "API key") = None,
        key_stdin: stdin_option("key", "API key") = False,
        name: NameOpt = None,
        proxy: ProxyOpt = None,
        proxy_file: file_option("proxy", "proxy URL") = None,
        check: Annotated[
            bool, typer.Option("--check", help="Ask Google (list models) whether the key works before saving it")
        ] = False,
        skip_format_check: Annotated[
            bool, typer.Option(SKIP_FORMAT_FLAG, help="Store a key not shaped like a Gemini API key (fakes, tests)")
        ] = False,
        config: ConfigOpt = None,
    ) -> None:
        """Add an official Gemini API key to the pool (refused: malformed keys, a key already in the pool)."""
        reader = SecretReader()
        key = reader.read("API key", key, file=key_file, stdin=key_stdin, ask=True) or ""
        proxy = reader.read("proxy URL", proxy, file=proxy_file, warn=bool(url_secrets(proxy)))
        checked: list[int] = []

        async def verify(kind: str, secret: dict, account_proxy: str | None) -> None:
            """The --check: the upstream lists the models the key can use, or the add is refused."""
            upstreams = settings_or_exit(config).upstreams
            checked.append(await admin.verify_credential(upstreams, kind, secret, account_proxy))

        async def add(store):
            """Add the account; a malformed key's message says how to store it anyway."""
            try:
                return await admin.add_account(
                    store,
                    "gemini-api",
                    name,
                    {"api_key": key.strip()},
                    proxy,
                    check_format=not skip_format_check,
                    verify=verify if check else None,
                )
            except admin.Malformed as exc:
                if not key.strip():
                    raise
                raise admin.Malformed(f"{exc.message}; to store it anyway (a test key), add {SKIP_FORMAT_FLAG}") from None

        view = run_admin(config, add)
        note = f"; the key works ({checked[0]} models)" if checked else ""
        console.print(f"added {view.kind} account '{escape(view.name)}' ({view.credential}){note}", highlight=False)
