"""Codex and Claude Code, unmodified, on a Gemini web-app account: their tools go through the web kind's prompt
protocol and come back as real calls the CLI runs. Codex's first turn carries its environment context and the
user's prompt as separate text parts: they must reach the model as separate lines (they ran together, and the
fake model's `CALL` line was no longer a line of its own)."""

from __future__ import annotations

import pytest

from tests.clients.test_claude_code import BASH_CALL, claude_at  # noqa: F401 - the fixture
from tests.clients.test_codex_cli import _items, codex_at  # noqa: F401 - the fixture
from tests.support.web import WebGateway, cookie, psid, running_web_fake

pytestmark = pytest.mark.clients
MODEL = "gemini-web/flash"


@pytest.fixture
def web_gw(tmp_path):
    with running_web_fake() as fake:
        fake.account(psid("agent"))
        gw = WebGateway(tmp_path / "gw", fake.url, {"web-agent": {"cookie": cookie("agent")}},
                        web={"impersonate": ""}).start()
        try:
            yield gw
        finally:
            gw.stop()


def test_codex_runs_a_tool_on_a_web_account(codex_at, web_gw):
    done, events = codex_at(web_gw)('CALL exec_command {"cmd": "echo web-tool-ok"}', model=MODEL)
    assert done.returncode == 0, done.describe()
    (command,) = _items(events, "command_execution")
    assert command["aggregated_output"] == "web-tool-ok\n", command
    (message,) = _items(events, "agent_message")
    assert message["text"].startswith("tool result: ") and "web-tool-ok" in message["text"]


def test_claude_code_runs_a_tool_on_a_web_account(claude_at, web_gw):  # noqa: F811 - the imported fixture
    done, out = claude_at(web_gw)(BASH_CALL, model=MODEL, extra=["--allowedTools", "Bash(echo:*)"])
    assert done.returncode == 0, done.describe()
    assert out["result"] == "tool result: tool-ran-ok", out["result"]
