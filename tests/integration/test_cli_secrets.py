"""Secrets reach `accounts add-…` without the command line (where `ps` and the shell history show them):
stdin (`-` or `--key-stdin`), files (`--key-file`, `--proxy-file`), or a hidden prompt on a terminal."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from gemgate.cli import app, secret_input

KEY = "AIzaSyTESTKEY0123456789abcdefghijklmnop"
PROXY = "http://me:s3cret-proxy-pw@10.1.2.3:3128"

runner = CliRunner(env={"COLUMNS": "250"})


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("GEMGATE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("GEMGATE_MASTER_KEY", "cli-secrets")
    return tmp_path


def add(*args: str, input: str | None = None):
    return runner.invoke(app, ["accounts", "add-apikey", "--name", "a", *args], input=input)


def listed() -> str:
    result = runner.invoke(app, ["accounts", "list"])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize(
    "args, stdin",
    [
        (["-"], KEY + "\n"),
        (["--key-stdin"], KEY),
        ([], KEY + "\n"),  # left out with stdin piped: read from it
    ],
)
def test_key_from_stdin(args, stdin):
    result = add(*args, input=stdin)
    assert result.exit_code == 0, result.output
    assert f"AIza…{KEY[-4:]}" in result.output and "visible in `ps`" not in result.output
    assert f"AIza…{KEY[-4:]}" in listed()


def test_key_and_proxy_from_files(tmp_path, data_dir):
    (tmp_path / "key").write_text(KEY + "\n")
    (tmp_path / "proxy").write_text(PROXY + "\n")
    result = add("--key-file", str(tmp_path / "key"), "--proxy-file", str(tmp_path / "proxy"))
    assert result.exit_code == 0, result.output
    listing = listed()
    assert "http://me:***@10.1.2.3:3128" in listing and "s3cret-proxy-pw" not in listing
    raw = b"".join(p.read_bytes() for p in data_dir.glob("gemgate.db*"))
    assert b"s3cret-proxy-pw" not in raw and KEY.encode() not in raw


def test_proxy_from_stdin_with_the_key_from_a_file(tmp_path):
    (tmp_path / "key").write_text(KEY)
    result = add("--key-file", str(tmp_path / "key"), "--proxy", "-", input=PROXY + "\n")
    assert result.exit_code == 0, result.output
    assert "http://me:***@10.1.2.3:3128" in listed()


def test_hidden_prompt_on_a_terminal(monkeypatch):
    monkeypatch.setattr(secret_input, "_interactive", lambda: True)
    result = add(input=KEY + "\n")
    assert result.exit_code == 0, result.output
    assert "API key:" in result.output and KEY not in result.output, "asked for, and not echoed"
    assert f"AIza…{KEY[-4:]}" in listed()


def test_a_secret_on_the_command_line_still_works_with_a_note():
    result = add(KEY, "--proxy", PROXY)
    assert result.exit_code == 0, result.output
    assert "API key given on the command line is visible" in result.output
    assert "proxy URL given on the command line is visible" in result.output


@pytest.mark.parametrize(
    "args, stdin, says",
    [
        ([KEY, "--key-stdin"], KEY, "one way only"),
        (["--key-file", "/nonexistent/key"], None, "cannot read the API key from /nonexistent/key"),
        (["-", "--proxy", "-"], KEY + "\n", "standard input already gives the API key"),
        (["--key-stdin"], "  \n", "the API key is empty"),
    ],
)
def test_refusals_say_what_to_fix(args, stdin, says):
    result = add(*args, input=stdin)
    assert result.exit_code == 2 and says in result.output, result.output
    assert "Traceback" not in result.output and " a " not in listed().split("\n", 3)[-1]
