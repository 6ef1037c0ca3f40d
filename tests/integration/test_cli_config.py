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
    ("[upstreams.gemni]\n", {}, ["unknown section [upstreams.gemni]; known: gemini_api"]),
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
