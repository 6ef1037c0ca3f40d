"""A wrong config is one clear line per problem and exit code 2 — never a traceback — for every command."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from gemgate.cli import app

CASES = [
    ("prot = 18081\n", {}, ["setting 'prot': Extra inputs are not permitted"]),
    ('port = "abc\n', {}, ["not valid TOML"]),
    ("", {"GEMGATE_PORT": "abc"}, ["setting 'port'", "valid integer"]),
    ('[upstreams.gemini_api]\nbase_uri = "x"\n', {}, ["[upstreams.gemini_api] base_uri: Extra inputs are not permitted"]),
    ('[upstreams.gemini_api]\nconnect_timeout = "soon"\n', {}, ["[upstreams.gemini_api] connect_timeout:"]),
    ("[upstreams.gemni]\n", {}, ["unknown section [upstreams.gemni]; known: code_assist, gemini_api"]),
    ("[upstreams.code_assist.profiles.claude]\n", {}, ["[upstreams.code_assist] profiles: Value error, unknown profile 'claude'"]),
]


@pytest.mark.parametrize("command", [["keys", "list"], ["accounts", "list"], ["serve"]])
@pytest.mark.parametrize("text, env, words", CASES)
def test_a_bad_config_is_a_clear_exit_2(tmp_path, command, text, env, words):
    config = tmp_path / "config.toml"
    config.write_text(f'data_dir = "{tmp_path / "data"}"\n' + text)  # top-level keys come before tables
    result = CliRunner().invoke(app, [*command, "--config", str(config)], env=env)
    assert result.exit_code == 2, result.output
    output = " ".join(result.output.split())  # rich wraps long lines
    assert all(w in output for w in words), output
    assert "Traceback" not in output and "listening on" not in output


KEY = "AIza" + "K" * 35


def _with_account(tmp_path, env):
    runner = CliRunner()
    result = runner.invoke(app, ["accounts", "add-apikey", "--name", "main", "--key-stdin"], input=KEY + "\n", env=env)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("command", [["keys", "list"], ["accounts", "list"], ["serve", "--port", "0"]])
def test_a_wrong_master_key_is_one_line_and_exit_2(tmp_path, command):
    _with_account(tmp_path, {"GEMGATE_DATA_DIR": str(tmp_path), "GEMGATE_MASTER_KEY": "the-right-one"})
    result = CliRunner().invoke(app, command, env={"GEMGATE_DATA_DIR": str(tmp_path), "GEMGATE_MASTER_KEY": "oops"})
    assert result.exit_code == 2, result.output
    output = " ".join(result.output.split())
    assert "master key differs" in output and "Traceback" not in output and "listening on" not in output


@pytest.mark.parametrize("command", [["keys", "list"], ["accounts", "list"]])
def test_a_lost_master_key_file_is_said_and_not_replaced(tmp_path, command):
    env = {"GEMGATE_DATA_DIR": str(tmp_path)}
    _with_account(tmp_path, env)
    key_file = next(tmp_path.glob("*.key"))
    key_file.unlink()
    result = CliRunner().invoke(app, command, env=env)
    assert result.exit_code == 2, result.output
    output = " ".join(result.output.split())
    assert "is missing" in output and "restore that file" in output and "Traceback" not in output
    assert not key_file.exists()  # no new key that would hide the loss


def test_a_port_out_of_range_is_one_line(tmp_path):
    result = CliRunner().invoke(app, ["serve", "--port", "99999"], env={"GEMGATE_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 1 and "a port is a number from 1 to 65535" in result.output, result.output
    assert "Traceback" not in result.output
