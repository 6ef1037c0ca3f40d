"""The real Gemini CLI (npm, unmodified) in Code Assist mode straight against FakeCodeAssist.

Proves the fake is faithful to the client it imitates the server of: discovery, the snake_case
envelope, SSE framing, strict client checks (on) and Gemini 3 signature replay all pass with the real
CLI. Recipe of reference A6: GOOGLE_GENAI_USE_GCA=true, GOOGLE_CLOUD_ACCESS_TOKEN (an access token the
OAuth fake issued to the Gemini CLI client), CODE_ASSIST_ENDPOINT, a throwaway home, `-m` pinned.
"""

from __future__ import annotations

import pytest

from gemgate.testing import GEMINI_CLI, FakeCodeAssist, FakeGoogleOAuth
from tests.clients.egress import GEMINI_CLI_USERINFO
from tests.clients.gemini_cli import CODE_ASSIST_SETTINGS, SHELL_CALL, GeminiCli

pytestmark = pytest.mark.clients

EMAIL = "cli@corp.example"


@pytest.fixture(scope="module")
def fakes():
    oauth = FakeGoogleOAuth()
    ca = FakeCodeAssist(oauth)
    ca.account(EMAIL, tier="standard-tier")  # the Gemini CLI client serves licensed accounts only (§9)
    with oauth.running(), ca.running() as url:
        yield ca, url


@pytest.fixture
def gemini(fakes, tmp_path, egress):
    ca, url = fakes
    cli = GeminiCli(tmp_path, egress, CODE_ASSIST_SETTINGS)
    token = ca.oauth.issue_access_token(EMAIL, GEMINI_CLI.client_id).token

    def run(prompt: str, *, model: str = "gemini-2.5-pro", extra=(), timeout=90):
        env = {"GOOGLE_GENAI_USE_GCA": "true", "GOOGLE_CLOUD_ACCESS_TOKEN": token, "CODE_ASSIST_ENDPOINT": url}
        return cli.run(prompt, model=model, env=env, extra=extra, timeout=timeout, allow_refused=(GEMINI_CLI_USERINFO,))

    return run


def test_plain_prompt_through_discovery(gemini, fakes):
    ca, _ = fakes
    done, out = gemini("hello fake code assist marker-ca-plain")
    assert "error" not in out and done.returncode == 0, done.describe()
    assert out["response"].startswith("echo: ") and out["response"].endswith("marker-ca-plain")
    mine = ca.requests_for(account=EMAIL)
    assert "loadCodeAssist" in [r.action for r in mine]
    (sent,) = [r for r in mine if r.action == "streamGenerateContent" and "marker-ca-plain" in r.raw.decode()]
    assert sent.status == 200 and sent.body["project"] == ca.account(EMAIL).project
    assert sent.body["user_prompt_id"] and sent.body["request"]["session_id"]


def test_shell_tool_round_trip_gemini_3(gemini, fakes):
    ca, _ = fakes
    done, out = gemini(SHELL_CALL, model="gemini-3-flash-preview", extra=["--yolo"])
    assert "error" not in out and done.returncode == 0, done.describe()
    assert out["response"].startswith("tool result: ") and "tool-ran-ok" in out["response"]
    follow = [r for r in ca.requests_for("streamGenerateContent", EMAIL) if "tool-ran-ok" in r.raw.decode()][-1]
    call = next(p for c in follow.body["request"]["contents"] for p in c["parts"] if "functionCall" in p)
    assert ca.signer.is_issued(call["thoughtSignature"])  # the fake's signature came back and was accepted
