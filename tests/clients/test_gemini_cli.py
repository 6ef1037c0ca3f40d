"""The Gemini CLI (@google/gemini-cli from npm, unmodified) headless in API-key mode against the gateway.

Set up per client-harness.md §3a: a throwaway GEMINI_CLI_HOME/HOME holding settings.json with
selectedType "gemini-api-key" (required: with only GOOGLE_GEMINI_BASE_URL the CLI picks the "gateway"
auth type and headless validation rejects it), GOOGLE_GEMINI_BASE_URL pointing at the gateway, the
gateway client key as GEMINI_API_KEY, a trusted temp workspace, `-m` pinned (no router call), stdin
closed, `-o json`. The CLI sends POST /v1beta/models/{m}:streamGenerateContent?alt=sse per model turn.

The CLI's user turn is two text parts: a <session_context> block, then the prompt. The fake model reads
the last user turn line by line, so a `CALL ...` line in the prompt still triggers the call.
"""

from __future__ import annotations

import json

import pytest

from tests.support.processes import GEMINI_BIN, base_env, require_node_modules, run_process
from tests.support.upstream import upstream_requests

pytestmark = pytest.mark.clients

SETTINGS = {
    "security": {"auth": {"selectedType": "gemini-api-key"}},
    "privacy": {"usageStatisticsEnabled": False},
    "telemetry": {"enabled": False},
    "general": {"enableAutoUpdate": False, "enableAutoUpdateNotification": False},
}
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


@pytest.fixture
def gemini(gw, tmp_path, egress):
    require_node_modules("@google/gemini-cli")
    if not GEMINI_BIN.exists():
        pytest.skip(f"Gemini CLI binary missing at {GEMINI_BIN}")
    home = tmp_path / "home"
    (home / ".gemini").mkdir(parents=True)
    (home / ".gemini" / "settings.json").write_text(json.dumps(SETTINGS))
    workspace = tmp_path / "workspace"
    workspace.mkdir()

    def run(prompt: str, *, model: str = "gemini-2.5-flash", key: str | None = None, extra=(), timeout=60):
        env = base_env(
            home,
            GEMINI_CLI_HOME=str(home),
            GEMINI_API_KEY=key or gw.key,
            GOOGLE_GEMINI_BASE_URL=gw.url,
            GEMINI_CLI_TRUST_WORKSPACE="true",
            **egress.env(),
        )
        argv = egress.argv([str(GEMINI_BIN), "-m", model, "-p", prompt, "-o", "json", *extra])
        done = run_process(argv, env=env, cwd=workspace, timeout=timeout)
        egress.check()  # API-key mode contacts nothing but the gateway (client-harness.md §3a)
        return done, parse_output(done)

    run.workspace = workspace
    return run


def test_plain_prompt(gemini, fake_api):
    done, out = gemini("hello from the gemini cli marker-cli-plain")
    assert "error" not in out, done.describe()
    assert done.returncode == 0, done.describe()
    response = out["response"]
    # The fake echoes the whole last user turn: the CLI's <session_context> part, then the prompt.
    assert response.startswith("echo: "), response
    assert response.endswith("hello from the gemini cli marker-cli-plain"), response
    assert "<session_context>" in response
    stats = out["stats"]["models"]["gemini-2.5-flash"]
    assert stats["api"]["totalRequests"] == 1 and stats["api"]["totalErrors"] == 0
    assert stats["tokens"]["prompt"] > 0 and stats["tokens"]["candidates"] > 0
    (sent,) = upstream_requests(fake_api, "marker-cli-plain")
    assert sent.path == "/v1beta/models/gemini-2.5-flash:streamGenerateContent"
    assert sent.body["generationConfig"]["thinkingConfig"]["includeThoughts"] is True


def _assert_shell_round_trip(done, out, fake_api, model: str) -> None:
    assert "error" not in out, done.describe()
    assert done.returncode == 0, done.describe()
    # The final answer is produced from the tool result, so it carries the shell's real output.
    assert out["response"].startswith("tool result: "), out["response"]
    assert "tool-ran-ok" in out["response"]
    assert "Output: tool-ran-ok" in out["response"]
    shell = out["stats"]["tools"]["byName"]["run_shell_command"]
    assert shell["count"] == 1 and shell["success"] == 1, out["stats"]["tools"]
    sent = [r for r in upstream_requests(fake_api, "echo tool-ran-ok") if r.model == model]
    follow = sent[-1].body["contents"]
    assert [c["role"] for c in follow[-3:]] == ["user", "model", "user"]
    call_part = next(p for p in follow[-2]["parts"] if "functionCall" in p)
    assert call_part["functionCall"]["name"] == "run_shell_command"
    # The signature the gateway returned came back verbatim (the fake rejects a forged one).
    assert call_part.get("thoughtSignature") not in (None, "", "skip_thought_signature_validator")
    response = follow[-1]["parts"][0]["functionResponse"]
    assert response["name"] == "run_shell_command" and "tool-ran-ok" in response["response"]["output"]


def test_shell_tool_round_trip(gemini, fake_api):
    done, out = gemini(SHELL_CALL, extra=["--yolo"])
    _assert_shell_round_trip(done, out, fake_api, "gemini-2.5-flash")


def test_shell_tool_round_trip_gemini_3(gemini, fake_api):
    # gemini-3-flash-preview is sent unchanged by CLI 0.61 (gemini-3-pro-preview is rewritten to
    # gemini-3.1-pro-preview, which this fake upstream does not serve).
    done, out = gemini(SHELL_CALL, model="gemini-3-flash-preview", extra=["--yolo"])
    _assert_shell_round_trip(done, out, fake_api, "gemini-3-flash-preview")


def test_without_yolo_shell_tool_is_not_offered(gemini, fake_api):
    done, out = gemini(SHELL_CALL + "\nmarker-cli-noyolo")
    assert "error" not in out, done.describe()
    # run_shell_command is not declared headless without --yolo, so the fake model just echoes.
    assert out["response"].startswith("echo: ")
    assert out["stats"]["tools"]["totalCalls"] == 0
    (sent,) = upstream_requests(fake_api, "marker-cli-noyolo")
    declared = {d["name"] for t in sent.body.get("tools", []) for d in t.get("functionDeclarations", [])}
    assert "run_shell_command" not in declared and declared


def test_unknown_model_error(gemini):
    done, out = gemini("hello", model="gemini-2.5-nonexistent")
    assert done.returncode != 0
    assert "gemini-2.5-nonexistent" in out["error"]["message"]
    assert done.seconds < 30  # a 404 is not retried with backoff


def test_bad_key_error(gemini):
    done, out = gemini("hello", key="not-a-valid-key")
    assert done.returncode != 0
    assert "401" in json.dumps(out["error"]) or "UNAUTHENTICATED" in out["error"]["message"]
    assert "response" not in out
