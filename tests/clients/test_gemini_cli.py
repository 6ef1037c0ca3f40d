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

from tests.clients.gemini_cli import API_KEY_SETTINGS, SHELL_CALL, GeminiCli, assert_replayed, assert_shell_answer
from tests.support.upstream import upstream_requests

pytestmark = pytest.mark.clients


@pytest.fixture
def gemini(gw, tmp_path, egress):
    cli = GeminiCli(tmp_path, egress, API_KEY_SETTINGS)

    def run(prompt: str, *, model: str = "gemini-2.5-flash", key: str | None = None, extra=(), timeout=60):
        # API-key mode contacts nothing but the gateway (client-harness.md §3a): no refused request is allowed.
        env = {"GEMINI_API_KEY": key or gw.key, "GOOGLE_GEMINI_BASE_URL": gw.url}
        return cli.run(prompt, model=model, env=env, extra=extra, timeout=timeout)

    run.workspace = cli.workspace
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
    assert_shell_answer(done, out)
    sent = [r for r in upstream_requests(fake_api, "echo tool-ran-ok") if r.model == model]
    assert_replayed(sent[-1].body["contents"])


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
