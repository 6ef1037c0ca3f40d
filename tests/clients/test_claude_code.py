"""Claude Code (@anthropic-ai/claude-code from npm, unmodified) headless against the gateway's Anthropic dialect.

Set up per client-harness.md §4: a throwaway HOME, ANTHROPIC_BASE_URL at the gateway, the gateway client key
as ANTHROPIC_API_KEY (sent as x-api-key), `--bare -p ... --output-format json|stream-json`, stdin closed;
CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC so nothing but the gateway is contacted, and
CLAUDE_CODE_DISABLE_NONSTREAMING_FALLBACK so a stream it cannot parse fails the run instead of being retried
without streaming (§8). Every run is under the egress watch: zero contacts beyond loopback. The CLI sends
`HEAD /` first, then `POST /v1/messages?beta=true` streaming, asking for adaptive thinking; its user turn is a
system-reminder block plus the prompt, and the fake model reads the last user turn line by line, so a
`CALL ...` line in the prompt triggers the call.
"""

from __future__ import annotations

import json

import pytest

from tests.support.processes import NODE_MODULES, base_env, require_node_modules, run_process
from tests.support.upstream import upstream_requests

pytestmark = pytest.mark.clients

CLAUDE_BIN = NODE_MODULES / ".bin" / "claude"
BASH_CALL = 'CALL Bash {"command": "echo tool-ran-ok", "description": "test"}'


@pytest.fixture
def claude(gw, claude_at):
    return claude_at(gw)


@pytest.fixture
def claude_at(tmp_path, egress):
    """Claude Code runs against a given gateway, each under the egress watch (tests/clients/egress.py): nothing
    but loopback may be contacted."""
    return lambda gateway: _runner(gateway, tmp_path, egress)


def _runner(gw, tmp_path, egress):
    require_node_modules("@anthropic-ai/claude-code")
    if not CLAUDE_BIN.exists():
        pytest.skip(f"Claude Code binary missing at {CLAUDE_BIN}")
    home = tmp_path / "home"
    workspace = tmp_path / "workspace"
    workspace.mkdir()

    def run(prompt: str, *, model: str = "gemini-2.5-flash", key: str | None = None, extra=(), env=None,
            output: str = "json", timeout=90):
        settings = {
            "ANTHROPIC_BASE_URL": gw.url,
            "ANTHROPIC_API_KEY": key or gw.key,
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
            "CLAUDE_CODE_DISABLE_NONSTREAMING_FALLBACK": "1",
            "CLAUDE_CODE_MAX_RETRIES": "0",
            **egress.env(),
        }
        environment = base_env(home, **{**settings, **(env or {})})  # a test's own env wins
        verbose = ["--verbose"] if output == "stream-json" else []
        argv = [str(CLAUDE_BIN), "--bare", "-p", prompt, "--model", model, "--no-session-persistence",
                "--output-format", output, *verbose, *extra]
        done = run_process(egress.argv(argv), env=environment, cwd=workspace, timeout=timeout)
        egress.check()
        return done, _parse(done, output)

    return run


def _parse(done, output: str):
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    if not lines:
        raise AssertionError(f"no output from Claude Code\n{done.describe()}")
    if output == "json":
        return json.loads(lines[-1])
    return [json.loads(line) for line in lines]


def test_plain_answer(claude, fake_api):
    done, out = claude("hello from claude code marker-cc-plain")
    assert done.returncode == 0 and not out["is_error"], done.describe()
    assert out["result"].startswith("echo: ") and out["result"].endswith("marker-cc-plain"), out["result"]
    assert out["stop_reason"] == "end_turn" and out["num_turns"] == 1
    assert out["usage"]["input_tokens"] > 0 and out["usage"]["output_tokens"] > 0
    (sent,) = upstream_requests(fake_api, "marker-cc-plain")
    assert sent.path == "/v1beta/models/gemini-2.5-flash:streamGenerateContent"
    # Claude Code's ~3 system blocks and mid-conversation system text land in the system instruction.
    assert sent.body["systemInstruction"]["parts"]
    declared = {d["name"] for t in sent.body.get("tools", []) for d in t.get("functionDeclarations", [])}
    assert {"Bash", "Edit", "Read"} <= declared


@pytest.mark.parametrize("model", ["gemini-2.5-flash", "gemini-3-flash-preview"])
def test_bash_tool_round_trip(claude, fake_api, model):
    done, out = claude(BASH_CALL, model=model, extra=["--allowedTools", "Bash(echo:*)"])
    assert done.returncode == 0 and not out["is_error"], done.describe()
    # The final answer is made from the tool result, so it carries the shell's real output.
    assert out["result"] == "tool result: tool-ran-ok", out["result"]
    assert out["num_turns"] == 2 and not out["permission_denials"]
    sent = [r for r in upstream_requests(fake_api, "echo tool-ran-ok") if r.model == model]
    follow = sent[-1].body["contents"]
    call = next(p for p in follow[-2]["parts"] if "functionCall" in p)
    assert call["functionCall"] == {"name": "Bash", "args": {"command": "echo tool-ran-ok", "description": "test"}}
    # The signature the fake issued came back (Claude Code drops thinking blocks: the gateway's store has it).
    assert call.get("thoughtSignature") not in (None, "", "skip_thought_signature_validator")
    response = follow[-1]["parts"][0]["functionResponse"]
    assert response["name"] == "Bash" and "tool-ran-ok" in json.dumps(response["response"])


def test_adaptive_thinking(claude, fake_api):
    """Claude Code asks `thinking: {type: "adaptive"}` with `output_config.effort: "high"` for a model it does not
    know: the model's high setting, thoughts shown as a thinking block and never in the answer text."""
    done, events = claude("ponder this marker-cc-adaptive", output="stream-json")
    assert done.returncode == 0 and not events[-1]["is_error"], done.describe()
    _assert_thoughts_apart(events)
    (sent,) = upstream_requests(fake_api, "marker-cc-adaptive")
    assert sent.body["generationConfig"]["thinkingConfig"] == {"includeThoughts": True, "thinkingBudget": 24576}


def test_thinking_enabled(claude_at, make_gateway, fake_api):
    """For a Claude model name (here an alias of gemini-2.5-flash, as operators set them up for Claude Code)
    MAX_THINKING_TOKENS makes Claude Code ask `thinking: {type: "enabled", budget_tokens}`: the budget goes to
    Gemini as is, the thoughts come back as a thinking block and never in the answer text."""
    claude = claude_at(make_gateway(aliases={"claude-sonnet-4-5": "gemini-2.5-flash"}))
    done, events = claude("ponder this marker-cc-think", model="claude-sonnet-4-5",
                          env={"MAX_THINKING_TOKENS": "2048"}, output="stream-json")
    assert done.returncode == 0 and not events[-1]["is_error"], done.describe()
    _assert_thoughts_apart(events)
    (sent,) = upstream_requests(fake_api, "marker-cc-think")
    assert sent.model == "gemini-2.5-flash"
    config = sent.body["generationConfig"]["thinkingConfig"]
    assert config["includeThoughts"] is True
    assert config.get("thinkingBudget") == 2048, config


def _assert_thoughts_apart(events: list[dict]) -> None:
    result = events[-1]
    assert result["type"] == "result" and result["result"].startswith("echo: "), result
    assert "Considering the request" not in result["result"]
    blocks = [b for e in events if e["type"] == "assistant" for b in e["message"]["content"]]
    thinking = [b for b in blocks if b["type"] == "thinking"]
    assert thinking and thinking[0]["thinking"].startswith("**Considering the request**"), blocks
    assert all("Considering" not in b["text"] for b in blocks if b["type"] == "text")


def test_unknown_model_fails_cleanly(claude):
    done, out = claude("hello", model="gemini-9-nonexistent")
    assert done.returncode != 0 and out["is_error"]
    assert "gemini-9-nonexistent" in out["result"], out


def test_bad_key_fails_cleanly(claude):
    # Claude Code's own retries (10 by default) stay on: the 401's `x-should-retry: false` stops them (without
    # it the run retried with backoff for minutes before saying anything).
    done, out = claude("hello", key="not-a-valid-key", env={"CLAUDE_CODE_MAX_RETRIES": "10"}, timeout=45)
    assert done.returncode != 0 and out["is_error"]
    assert "401" in json.dumps(out) or "authentication" in out["result"].lower(), out


def test_pings_while_the_upstream_is_silent(claude):
    """The gateway fills 1 s silences (the test setting) with `event: ping`, before message_start here."""
    done, out = claude("late answer marker-cc-slow\nSLOW 2.5")
    assert done.returncode == 0 and not out["is_error"], done.describe()
    assert "marker-cc-slow" in out["result"]


def test_upstream_failures_are_reported(claude):
    done, out = claude("one two three four\nFAIL-AFTER 1 500")  # after the stream began: an `event: error`
    assert out["is_error"] and "Upstream error" in out["result"], out
    done, out = claude("bad request\nFAIL 400")  # before: a 400 in Anthropic's shape
    assert out["is_error"] and out["api_error_status"] == 400, out
