"""Driving the Gemini CLI (@google/gemini-cli from npm, unmodified) headless, as client-harness.md §3 does it: a
throwaway GEMINI_CLI_HOME/HOME holding settings.json, a trusted temp workspace, `-m` pinned (no router call),
stdin closed, `-o json`, each run under the egress watch (tests/clients/egress.py)."""

from __future__ import annotations

import json

from tests.clients.egress import EgressWatch
from tests.support.processes import GEMINI_BIN, base_env, cli_dirs, run_process

_QUIET = {
    "privacy": {"usageStatisticsEnabled": False},
    "telemetry": {"enabled": False},
    "general": {"enableAutoUpdate": False, "enableAutoUpdateNotification": False},
}
# selectedType is required in API-key mode: with only GOOGLE_GEMINI_BASE_URL the CLI picks the "gateway" auth
# type and headless validation rejects it (§3a). "oauth-personal" is login mode (Code Assist, §3b).
API_KEY_SETTINGS = {"security": {"auth": {"selectedType": "gemini-api-key"}}, **_QUIET}
CODE_ASSIST_SETTINGS = {"security": {"auth": {"selectedType": "oauth-personal"}}, **_QUIET}
SHELL_CALL = 'CALL run_shell_command {"command": "echo tool-ran-ok", "description": "test"}'


def parse_output(done) -> dict:
    """The `-o json` document: on stdout on success; on failure the CLI prints it to stderr."""
    if done.stdout.strip():
        return json.loads(done.stdout)
    lines = done.stderr.splitlines()
    starts = [i for i, line in enumerate(lines) if line == "{"]
    for start in reversed(starts):
        try:
            return json.loads("\n".join(lines[start:]))
        except ValueError:
            continue
    raise AssertionError(f"no JSON output from the CLI\n{done.describe()}")


class GeminiCli:
    """The CLI with its own home (holding `settings`) and workspace; skips the test when it is not installed."""

    def __init__(self, tmp_path, egress: EgressWatch, settings: dict) -> None:
        self.egress = egress
        self.home, self.workspace = cli_dirs(tmp_path, "@google/gemini-cli", GEMINI_BIN, ".gemini")
        (self.home / ".gemini" / "settings.json").write_text(json.dumps(settings))

    def run(self, prompt: str, *, model: str, env: dict, extra=(), timeout: float = 60, allow_refused=()):
        """(Completed, the `-o json` document or {} when the CLI failed with text only); `env` is added to the
        base environment; the egress watch is checked after the run (`allow_refused` as in `EgressWatch.check`)."""
        full = base_env(self.home, GEMINI_CLI_HOME=str(self.home), GEMINI_CLI_TRUST_WORKSPACE="true",
                        **self.egress.env(), **env)
        argv = self.egress.argv([str(GEMINI_BIN), "-m", model, "-p", prompt, "-o", "json", *extra])
        done = run_process(argv, env=full, cwd=self.workspace, timeout=timeout)
        self.egress.check(allow_refused=allow_refused)
        try:
            return done, parse_output(done)
        except AssertionError:  # a failure the CLI reports in plain text only
            assert done.returncode != 0, done.describe()
            return done, {}


def assert_shell_answer(done, out) -> None:
    """The CLI ran SHELL_CALL's command once and answered from its output."""
    assert "error" not in out and done.returncode == 0, done.describe()
    # The final answer is made from the tool result, so it holds the shell's real output.
    assert out["response"].startswith("tool result: ") and "Output: tool-ran-ok" in out["response"], out["response"]
    shell = out["stats"]["tools"]["byName"]["run_shell_command"]
    assert shell["count"] == 1 and shell["success"] == 1, out["stats"]["tools"]


def assert_replayed(contents: list) -> None:
    """The follow-up turn: the call with the signature the gateway sent (the fakes refuse forged ones), then the
    shell's output as the function response."""
    assert [c["role"] for c in contents[-3:]] == ["user", "model", "user"]
    call = next(p for p in contents[-2]["parts"] if "functionCall" in p)
    assert call["functionCall"]["name"] == "run_shell_command"
    assert call.get("thoughtSignature") not in (None, "", "skip_thought_signature_validator")
    response = contents[-1]["parts"][0]["functionResponse"]
    assert response["name"] == "run_shell_command" and "tool-ran-ok" in response["response"]["output"]
