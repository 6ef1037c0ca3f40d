"""Secrets handed to commands without putting them on the command line (where `ps` and the shell history
show them): from stdin (`-` as the value, or a `--…-stdin` flag), from a file (`--…-file PATH`), or typed at
a hidden prompt. Every kind's `accounts add-…` command uses this for its credential and proxy."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

STDIN = "-"
_stderr = Console(stderr=True)


def file_option(flag: str, what: str):
    """A `--<flag>-file PATH` option type: read `what` from that file."""
    return Annotated[Optional[Path], typer.Option(f"--{flag}-file", help=f"Read the {what} from this file")]


def stdin_option(flag: str, what: str):
    """A `--<flag>-stdin` flag type: read `what` from standard input."""
    return Annotated[bool, typer.Option(f"--{flag}-stdin", help=f"Read the {what} from standard input")]


def _interactive() -> bool:
    """Whether a person can be asked: stdin is a terminal."""
    return sys.stdin.isatty()


def _fail(message: str) -> typer.Exit:
    _stderr.print(f"[red]{message}[/red]", highlight=False)
    return typer.Exit(2)


class SecretReader:
    """Reads each secret of one command from the one source given for it; standard input serves at most one."""

    def __init__(self) -> None:
        self._stdin_for: str | None = None

    def read(
        self, what: str, value: str | None, *, file: Path | None = None, stdin: bool = False, ask: bool = False,
        warn: bool = True,
    ) -> str | None:
        """The secret `what` ("API key", "proxy URL"), whitespace around it removed.

        value: as typed on the command line (kept working; with `warn`, a note that others can see it);
        "-" reads standard input. file: read from it. stdin: read standard input. ask: when none of these is
        given, prompt with hidden input on a terminal, or read standard input when it is piped; without
        `ask` that case is None (the secret is optional). Exits with code 2, saying what to fix, for two
        sources at once, a second use of standard input, an unreadable file, or an empty secret.
        """
        if value == STDIN:
            value, stdin = None, True
        given = [name for name, on in (("the command line", value is not None), ("a file", file), ("stdin", stdin)) if on]
        if len(given) > 1:
            raise _fail(f"give the {what} one way only, not from {' and '.join(given)}")
        if value is not None:  # checked by the admin operation, as before
            if warn and value.strip():
                _stderr.print(
                    f"note: the {what} given on the command line is visible in `ps` and the shell history; "
                    "prefer the file, stdin or prompt forms (see --help)", style="yellow", highlight=False
                )
            return value
        if file is not None:
            try:
                return self._checked(what, file.read_text())
            except (OSError, UnicodeDecodeError) as exc:
                raise _fail(f"cannot read the {what} from {file}: {getattr(exc, 'strerror', None) or exc}") from None
        if not stdin and not ask:
            return None
        if not stdin and _interactive():
            return self._checked(what, typer.prompt(what[0].upper() + what[1:], hide_input=True))
        if self._stdin_for is not None:
            raise _fail(f"standard input already gives the {self._stdin_for}; read the {what} from a file")
        self._stdin_for = what
        return self._checked(what, sys.stdin.read())

    @staticmethod
    def _checked(what: str, text: str) -> str:
        if not text.strip():
            raise _fail(f"the {what} is empty")
        return text.strip()
