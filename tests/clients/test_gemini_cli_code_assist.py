"""The real Gemini CLI (npm, unmodified) in Code Assist mode pointed at the gateway's `/v1internal` surface.

Recipe of reference/client-harness.md §3b: CODE_ASSIST_ENDPOINT=<gateway>, GOOGLE_GENAI_USE_GCA=true,
GOOGLE_CLOUD_ACCESS_TOKEN=<the gateway client key>, a throwaway home with selectedType "oauth-personal", a
trusted workspace, `-m` pinned, stdin closed, `-o json`. The CLI discovers (loadCodeAssist, quota,
experiments) then streams `streamGenerateContent?alt=sse` in the Code Assist envelope.

Two gateways behind it: one with API-key accounts (the fake Gemini API), one with a Code Assist account of its
own (the fake OAuth and Code Assist servers, as the sandbox seeds it). Each run is under the egress watch:
nothing but loopback is contacted. The CLI fetches Google's userinfo with the token at start in this mode
(@google/gemini-cli-core 0.61 code_assist/oauth2.js `fetchAndCacheUserInfo`, through the global fetch that
honours HTTPS_PROXY); that request alone may reach the refusing proxy, where it ends.
"""

from __future__ import annotations

import pytest

from tests.clients.egress import GEMINI_CLI_USERINFO
from tests.clients.gemini_cli import CODE_ASSIST_SETTINGS, SHELL_CALL, GeminiCli, assert_replayed, assert_shell_answer
from tests.support.code_assist import CodeAssistGateway, running_fakes
from tests.support.upstream import upstream_requests

pytestmark = pytest.mark.clients

EMAIL = "upstream-cli@corp.example"


@pytest.fixture
def gemini_ca(tmp_path, egress):
    """Runs the CLI in Code Assist mode against a gateway: run(gateway, prompt, model=..., key=..., extra=...)."""
    cli = GeminiCli(tmp_path, egress, CODE_ASSIST_SETTINGS)

    def run(gateway, prompt: str, *, model: str = "gemini-2.5-flash", key: str | None = None, extra=(), timeout=120):
        env = {"GOOGLE_GENAI_USE_GCA": "true", "GOOGLE_CLOUD_ACCESS_TOKEN": key or gateway.key,
               "CODE_ASSIST_ENDPOINT": gateway.url}
        return cli.run(prompt, model=model, env=env, extra=extra, timeout=timeout, allow_refused=(GEMINI_CLI_USERINFO,))

    return run


# API-key accounts upstream


def test_plain_prompt_api_key_upstream(gemini_ca, gw, fake_api):
    done, out = gemini_ca(gw, "hello through v1internal marker-ca-in-plain")
    assert "error" not in out and done.returncode == 0, done.describe()
    assert out["response"].startswith("echo: ") and out["response"].endswith("marker-ca-in-plain"), out["response"]
    stats = out["stats"]["models"]["gemini-2.5-flash"]
    assert stats["api"]["totalRequests"] == 1 and stats["api"]["totalErrors"] == 0
    assert stats["tokens"]["prompt"] > 0 and stats["tokens"]["candidates"] > 0
    (sent,) = upstream_requests(fake_api, "marker-ca-in-plain")
    # The envelope is gone upstream: a plain Gemini API request, without the CLI's session_id.
    assert sent.path == "/v1beta/models/gemini-2.5-flash:streamGenerateContent"
    assert "session_id" not in sent.body and "sessionId" not in sent.body and "project" not in sent.body


@pytest.mark.parametrize("model", ["gemini-2.5-flash", "gemini-3-flash-preview"])
def test_shell_tool_round_trip_api_key_upstream(gemini_ca, gw, fake_api, model):
    # gemini-3-flash-preview is sent as is only because retrieveUserQuota lists it (a preview model the CLI would
    # otherwise route away from, client-harness.md §8), and its replay needs the signature back.
    done, out = gemini_ca(gw, SHELL_CALL + f"\nmarker-ca-in-{model}", model=model, extra=["--yolo"])
    assert_shell_answer(done, out)
    sent = [r for r in upstream_requests(fake_api, f"marker-ca-in-{model}") if r.model == model]
    assert len(sent) == 2, [r.model for r in upstream_requests(fake_api, f"marker-ca-in-{model}")]
    assert_replayed(sent[-1].body["contents"])


def test_keepalives_are_tolerated(gemini_ca, gw):
    # The upstream is silent for 2.5 s: the gateway (keepalive every 1 s) commits the stream and sends blank lines.
    done, out = gemini_ca(gw, "SLOW 2.5\nwaited for marker-ca-in-slow")
    assert "error" not in out and done.returncode == 0, done.describe()
    assert out["response"].endswith("marker-ca-in-slow"), out["response"]
    assert out["stats"]["models"]["gemini-2.5-flash"]["api"]["totalRequests"] == 1  # not retried


def test_bad_key_is_refused_in_googles_shape(gemini_ca, gw):
    done, out = gemini_ca(gw, "hello", key="not-a-gemgate-key")
    assert done.returncode != 0 and "response" not in out, done.describe()
    # Discovery (loadCodeAssist) fails: the CLI shows the google.rpc.Status it got, 401 UNAUTHENTICATED.
    assert "status: 'UNAUTHENTICATED'" in done.stderr and "Incorrect API key provided" in done.stderr, done.describe()


# A Code Assist account upstream (issue 8's last test)


# Per profile: the model its catalogue serves that the CLI sends unchanged (reference/antigravity.md §5, §9).
PROFILES = {"gemini-cli": ("standard-tier", "gemini-3-flash-preview"), "antigravity": ("g1-pro-tier", "gemini-3-flash")}


@pytest.fixture(scope="module", params=sorted(PROFILES))
def ca_gateway(request, tmp_path_factory):
    """A gateway whose only account is a Code Assist login of one profile on the fakes, as the sandbox seeds it."""
    profile = request.param
    tier, model = PROFILES[profile]
    with running_fakes() as fakes:
        fakes.ca.account(EMAIL, tier=tier)
        secrets = {f"upstream-{profile}": fakes.credential(EMAIL, profile)}
        with CodeAssistGateway(tmp_path_factory.mktemp("ca-gw"), fakes, secrets) as gateway:
            gateway.fakes, gateway.model = fakes, model
            yield gateway


def test_shell_tool_round_trip_code_assist_upstream(gemini_ca, ca_gateway):
    ca = ca_gateway.fakes.ca
    done, out = gemini_ca(ca_gateway, SHELL_CALL + "\nmarker-ca-both", model=ca_gateway.model, extra=["--yolo"])
    assert_shell_answer(done, out)
    sent = [r for r in ca.requests_for("streamGenerateContent", EMAIL) if "marker-ca-both" in r.raw.decode()]
    assert len(sent) == 2 and all(r.status == 200 for r in sent), [(r.status, r.action) for r in sent]
    # The gateway's own envelope upstream: its account's project, not the one it told the CLI.
    assert sent[-1].body["project"] == ca.account(EMAIL).project
    contents = sent[-1].body["request"]["contents"]
    assert_replayed(contents)
    call = next(p for p in contents[-2]["parts"] if "functionCall" in p)
    assert ca.signer.is_issued(call["thoughtSignature"])  # the upstream's own signature made the round trip
