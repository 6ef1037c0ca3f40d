"""`gemgate import PATH… [--profile P] [--project ID] [--dry-run] [--env]`: Code Assist credentials from other
tools' files, archives, base64 and environment variables (`formats.py`, `sources.py`), with a progress bar and
a result table that shows emails and profiles only, never a token."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.progress import Progress

from ...cli.common import ConfigOpt, console, folding_table, settings_or_exit, with_store
from ...store import Store
from .cli import CreditsOpt, UserAgentOpt, account_options
from .importer import Importer, Row
from .profiles import PROFILES
from .sources import from_environment, from_paths

STYLE = {"added": "green", "merged": "cyan", "skipped-duplicate": "yellow", "error": "red"}
WOULD = {"added": "would add", "merged": "would merge", "skipped-duplicate": "would skip (duplicate)"}


def table(rows: list[Row], dry_run: bool):
    """The per-file result table (file, format, email, profile, result)."""
    shown = [
        (escape(r.source), r.format, escape(r.email), r.profile,
         f"[{STYLE[r.result]}]{WOULD.get(r.result, r.result) if dry_run else r.result}[/]"
         + (f": {escape(r.reason)}" if r.reason else ""))
        for r in rows
    ]
    out = folding_table(("file", "format", "email", "profile", "result"), shown)
    if dry_run:
        out.title = "dry run: nothing was written"
    return out


def register(app: typer.Typer) -> None:
    """Add `gemgate import` to `app`."""

    @app.command("import")
    def import_(
        paths: Annotated[Optional[list[str]], typer.Argument(
            help="Credential files, directories (*.json, *.zip inside, recursively), zip archives, or base64 of a credential",
            show_default=False,
        )] = None,
        profile: Annotated[Optional[str], typer.Option(
            help=f"The OAuth client of files that do not name theirs (default gemini-cli): {' or '.join(sorted(PROFILES))}"
        )] = None,
        project: Annotated[Optional[str], typer.Option(help="Your Code Assist project id for every imported account")] = None,
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would happen; write nothing")] = False,
        env: Annotated[bool, typer.Option("--env", help="Also import GCLI_CREDS_* and GCP_SERVICE_ACCOUNT variables")] = False,
        user_agent: UserAgentOpt = None,
        credits: CreditsOpt = None,
        config: ConfigOpt = None,
    ) -> None:
        """Import Code Assist accounts (Gemini CLI, gcli2api, CLIProxyAPI, gemini-cli-openai, Antigravity-Manager,
        antigravity-claude-proxy credentials), and the config.json of the cookie-based OpenAI server gemgate
        replaces (web accounts from its cookie files, client keys, settings);
        the same email and profile twice is merged, not doubled."""
        if profile is not None and profile not in PROFILES:
            console.print(f"[red]--profile must be one of: {', '.join(sorted(PROFILES))}[/red]")
            raise typer.Exit(2)
        own = account_options(user_agent, credits)
        paths, others_ok = _other_kinds(paths or [], config, dry_run)
        if others_ok is not None and not paths and not env:  # only other kinds' files: done
            raise typer.Exit(0 if others_ok else 1)
        items = list(from_paths(paths))
        if env:
            items += list(from_environment(os.environ))
        if not items:
            console.print("[red]nothing to import: name files or directories, or add --env[/red]")
            raise typer.Exit(2)
        settings = settings_or_exit(config)
        rows = with_store(settings, lambda store: _run(settings, store, items, profile, project, dry_run, own))
        console.print(table(rows, dry_run), highlight=False)
        if any(r.result == "error" for r in rows):
            raise typer.Exit(1)


def _other_kinds(paths: list[str], config, dry_run: bool) -> tuple[list[str], bool | None]:
    """Hand the files another kind claims (`Upstream.imports`, e.g. gemini-web's migration config) to it; the
    paths left for Code Assist, and whether those kinds' imports all succeeded (None: none claimed a file)."""
    from .. import UPSTREAM_KINDS

    claimed: dict[type, list[Path]] = {}
    left = []
    for raw in paths:
        path = Path(raw)
        owner = next((k for k in UPSTREAM_KINDS.values() if path.is_file() and k.imports(path)), None)
        if owner is None:
            left.append(raw)
        else:
            claimed.setdefault(owner, []).append(path)
    if not claimed:
        return left, None
    return left, all([kind.import_files(files, config, dry_run) for kind, files in claimed.items()])


async def _run(settings, store: Store, items, profile, project, dry_run, own: dict) -> list[Row]:
    """Import `items` with a progress bar on the console; `own`: settings for every account imported."""
    from .. import build_upstreams

    upstream = build_upstreams(settings.upstreams)["code-assist"]
    if not dry_run:  # a dry run is offline: no session, so nothing can reach Google
        await upstream.start()
    try:
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("importing", total=len(items))
            importer = Importer(upstream, store, profile=profile, project=project, dry_run=dry_run, settings=own)
            return await importer.run(items, lambda row: progress.advance(task))
    finally:
        if not dry_run:
            await upstream.close()
