"""The Codex CLI (@openai/codex from npm, unmodified) headless against the gateway's /v1/responses.

Set up per client-harness.md §2: a throwaway CODEX_HOME holding config.toml with a custom provider
(`wire_api = "responses"`, the key from GW_API_KEY), analytics, plugins and update checks off, a model name
Codex does not know (so it sends plain function tools), `codex exec --json --skip-git-repo-check --ephemeral`,
stdin closed, no retries (a failure shows at once), under the egress watch (tests/clients/egress.py). Codex sends the system prompt as developer messages, its
environment context and the prompt as one user message, and `include: ["reasoning.encrypted_content"]`; it
re-sends the whole history, reasoning items verbatim, on every request.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from gemgate.gemini.signatures import SignatureStore
from tests.support.processes import NODE_MODULES, base_env, cli_dirs, run_process
from tests.support.upstream import upstream_requests

pytestmark = pytest.mark.clients

CODEX_BIN = NODE_MODULES / ".bin" / "codex"
CONFIG = """model = "{model}"
model_provider = "gw"
check_for_update_on_startup = false

[analytics]
enabled = false

[features]
plugins = false

[model_providers.gw]
name = "gemgate"
base_url = "{url}/v1"
env_key = "GW_API_KEY"
wire_api = "responses"
stream_max_retries = {retries}
request_max_retries = 0
"""
SHELL_CALL = 'CALL exec_command {"cmd": "echo tool-ran-ok"}'
README = Path(__file__).resolve().parents[2] / "README.md"


class Forgetful(SignatureStore):
    """A signature store that keeps nothing: a signature can then only come back from the reasoning item."""

    async def put(self, call_id: str, signature: str) -> None:
        return None


@pytest.fixture
def codex(gw, codex_at):
    return codex_at(gw)


@pytest.fixture
def codex_at(tmp_path, egress):
    """Codex runs against a given gateway, under the egress watch (nothing but loopback may be contacted)."""
    return lambda gateway: _runner(gateway, tmp_path, egress)


def _runner(gw, tmp_path, egress):
    home, workspace = cli_dirs(tmp_path, "@openai/codex", CODEX_BIN, "codex")

    def run(prompt: str, *, model: str = "gemini-2.5-flash", retries: int = 0, timeout: float = 90,
            session: str | None = None):
        """(Completed, the `--json` events); nothing but loopback contacted (the egress watch). `session`
        "new" keeps the session, "resume" continues the last one kept (`codex exec resume --last`)."""
        (home / "codex" / "config.toml").write_text(CONFIG.format(model=model, url=gw.url, retries=retries))
        env = base_env(home, CODEX_HOME=str(home / "codex"), GW_API_KEY=gw.key, **egress.env())
        keep = [] if session else ["--ephemeral"]
        again = ["resume", "--last"] if session == "resume" else []
        argv = egress.argv([str(CODEX_BIN), "exec", "--json", "--skip-git-repo-check", *keep,
                            "-s", "danger-full-access", *again, prompt])
        done = run_process(argv, env=env, cwd=workspace, timeout=timeout)
        egress.check()
        events = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
        return done, events

    return run


def _items(events: list[dict], kind: str) -> list[dict]:
    return [e["item"] for e in events if e["type"] == "item.completed" and e["item"]["type"] == kind]


def test_the_readme_config_works_as_pasted(gw, tmp_path, egress):
    """The README's config.toml, with only its address changed (was: prose without the `name` Codex requires,
    "provider name must not be empty"), run as the README says (`--skip-git-repo-check` outside a repository).
    The config alone keeps Codex's analytics, plugin sync and update check off: the egress watch sees only
    loopback (it needed `--disable plugins -c analytics.enabled=false` flags before)."""
    (config,) = re.findall(r"```toml\n(model = .*?)```", README.read_text(), re.S)
    home, workspace = cli_dirs(tmp_path, "@openai/codex", CODEX_BIN, "codex")
    (home / "codex" / "config.toml").write_text(config.replace("http://127.0.0.1:8080", gw.url))
    env = base_env(home, CODEX_HOME=str(home / "codex"), GEMGATE_KEY=gw.key, **egress.env())
    argv = [str(CODEX_BIN), "exec", "--json", "--skip-git-repo-check", "--ephemeral", "hello marker-codex-readme"]
    done = run_process(egress.argv(argv), env=env, cwd=workspace, timeout=90)
    egress.check()
    events = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert done.returncode == 0, done.describe()
    (message,) = _items(events, "agent_message")
    assert message["text"].endswith("hello marker-codex-readme")


def test_plain_answer(codex, fake_api):
    done, events = codex("say hello marker-codex-plain")
    assert done.returncode == 0, done.describe()
    (message,) = _items(events, "agent_message")
    assert message["text"].startswith("echo: ") and message["text"].endswith("say hello marker-codex-plain")
    assert events[-1]["type"] == "turn.completed" and events[-1]["usage"]["input_tokens"] > 0
    (sent,) = upstream_requests(fake_api, "marker-codex-plain")
    assert "Codex CLI" in sent.body["systemInstruction"]["parts"][0]["text"]  # developer messages -> system
    declared = [d["name"] for t in sent.body["tools"] for d in t.get("functionDeclarations", ())]
    assert "exec_command" in declared and any(n.startswith("multi_agent_v1.") for n in declared), declared


@pytest.mark.parametrize("model", ["gemini-2.5-flash", "gemini-3-pro-preview"])
def test_exec_command_round_trip(codex, fake_api, gw, model, monkeypatch):
    """The fake model calls exec_command, Codex runs it, and the answer made from the tool's output carries it.
    On the thinking Gemini 3 model the gateway keeps no signature itself: the call's thought signature only comes
    back through the reasoning item's encrypted_content, which the fake checks."""
    forgetful = Forgetful(None)
    monkeypatch.setattr(gw.gateway, "signatures", forgetful)
    monkeypatch.setattr(gw.gateway.render_context, "signatures", forgetful)
    done, events = codex(f"{SHELL_CALL}\nmarker-codex-{model}", model=model)
    assert done.returncode == 0, done.describe()
    (command,) = _items(events, "command_execution")
    assert command["exit_code"] == 0 and command["aggregated_output"] == "tool-ran-ok\n"
    (message,) = _items(events, "agent_message")
    assert message["text"].startswith("tool result: ") and "tool-ran-ok" in message["text"]
    assert _items(events, "reasoning"), events  # thought summaries shown
    # ... before what they led to, as with OpenAI: the reasoning item is done before the next item starts.
    shown = [e["item"]["type"] for e in events if e["type"] in ("item.started", "item.completed")
             and e["item"]["type"] in ("reasoning", "command_execution", "agent_message")]
    assert shown == ["reasoning", "command_execution", "command_execution", "reasoning", "agent_message"], shown
    follow = upstream_requests(fake_api, f"marker-codex-{model}")[-1].body["contents"]
    call_part = next(p for p in follow[-2]["parts"] if "functionCall" in p)
    assert call_part["functionCall"] == {"name": "exec_command", "args": {"cmd": "echo tool-ran-ok"}}
    if model.startswith("gemini-3"):
        assert call_part.get("thoughtSignature") not in (None, "skip_thought_signature_validator")
    assert "tool-ran-ok" in follow[-1]["parts"][0]["functionResponse"]["response"]["result"]


def test_answer_signature_comes_back_next_turn(codex, fake_api):
    """Gemini 3 signs the answer's last chunk, after the message began: that signature travels in a reasoning
    item after the message (not shown: it has no summary), which Codex keeps and sends back with the next turn."""
    done, events = codex("first marker-codex-turns", model="gemini-3-pro-preview", session="new")
    assert done.returncode == 0, done.describe()
    assert [e["item"]["type"] for e in events if e["type"] == "item.completed"][-2:] == ["reasoning", "agent_message"]
    done, events = codex("second marker-codex-turns2", model="gemini-3-pro-preview", session="resume")
    assert done.returncode == 0, done.describe()
    (message,) = _items(events, "agent_message")
    assert message["text"] == "echo: second marker-codex-turns2"
    contents = upstream_requests(fake_api, "marker-codex-turns2")[-1].body["contents"]
    (answer,) = [c for c in contents if c["role"] == "model"]
    assert answer["parts"][-1]["text"].endswith("first marker-codex-turns")
    assert answer["parts"][-1]["thoughtSignature"] not in (None, "", "skip_thought_signature_validator")


def test_silence_before_the_answer(codex):
    """Keepalive comments fill the wait (the test gateway sends one each second); Codex ignores them."""
    done, events = codex("slow one marker-codex-slow\nSLOW 2.5")
    assert done.returncode == 0, done.describe()
    (message,) = _items(events, "agent_message")
    assert message["text"].endswith("marker-codex-slow\nSLOW 2.5")


@pytest.mark.parametrize(("status", "attempts"), [(500, 2), (429, 2), (400, 1)])
def test_failure_mid_stream_retried_or_not(codex, fake_api, status, attempts):
    """response.failed says server_error / rate_limit_exceeded (Codex reconnects, here once) or invalid_prompt
    (Codex stops at once): the failure reaches Codex as an error, never as an empty answer."""
    marker = f"marker-codex-fail-{status}"
    done, events = codex(f"one two three {marker}\nFAIL-AFTER 1 {status}", retries=1)
    assert done.returncode != 0, done.describe()
    assert any(e["type"] in ("turn.failed", "error") for e in events), done.describe()
    assert not _items(events, "agent_message")
    assert len(upstream_requests(fake_api, marker)) == attempts, done.describe()
