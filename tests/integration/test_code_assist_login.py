"""Signing Code Assist accounts in, over loopback HTTP against the fake Google OAuth and Code Assist servers
(a test plays the browser: it follows the authorize redirect on the fake and calls the callback):
`gemgate login` with a browser and with a pasted redirect (--no-browser), refusals (state mismatch, denied
consent, timeout, a bad code, a wrong PKCE verifier), and the server's /auth/login → /auth/callback →
/auth/status with the account usable at once, loopback-only and key-protected."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx2
import pytest
from typer.testing import CliRunner

from gemgate.cli import app
from gemgate.sandbox import SANDBOX_MASTER_KEY
from gemgate.upstreams import build_upstreams
from gemgate.upstreams.code_assist import cli_login, login
from tests.support.code_assist import CodeAssistGateway, running_fakes, section_env
from tests.support.gateway import chat
from tests.support.http import get

runner = CliRunner(env={"COLUMNS": "250"})


@pytest.fixture(scope="module")
def fakes():
    with running_fakes() as running:
        yield running


@pytest.fixture
def cli_env(tmp_path, monkeypatch, fakes):
    monkeypatch.setenv("GEMGATE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("GEMGATE_MASTER_KEY", SANDBOX_MASTER_KEY)  # the test gateway opens the same store
    for key, value in section_env(fakes).items():
        monkeypatch.setenv(key, value)
    return tmp_path


def consent(auth_url: str) -> str:
    """The browser at Google's consent page: the redirect the fake answers (callback URL + code + state)."""
    answer = httpx2.get(auth_url, follow_redirects=False)
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


def browser(monkeypatch, tamper=lambda location: location) -> list[str]:
    """`webbrowser.open` replaced by a browser that consents and follows the redirect to the callback."""
    opened: list[str] = []

    def play(url: str) -> None:
        location = tamper(consent(url))
        opened.append(location)
        httpx2.get(location)

    def open_(url: str) -> bool:
        opened.append(url)
        threading.Thread(target=play, args=(url,), daemon=True).start()
        return True

    monkeypatch.setattr(cli_login.webbrowser, "open", open_)
    return opened


def with_state(location: str, state: str) -> str:
    parts = urlsplit(location)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    return parts._replace(query=urlencode({**query, "state": state})).geturl()


def test_login_through_the_browser_stores_a_usable_account(cli_env, fakes, monkeypatch):
    fakes.oauth.default_email = "lena@example.com"
    fakes.ca.account("lena@example.com", tier="g1-pro-tier")
    opened = browser(monkeypatch)
    result = runner.invoke(app, ["login"])
    assert result.exit_code == 0, result.output
    assert "lena@example.com (antigravity)" in result.output and "tier g1-pro-tier" in result.output
    assert "gemini-3-flash" in result.output  # the models, from fetchAvailableModels
    query = parse_qs(urlsplit(opened[0]).query)
    assert query["code_challenge_method"] == ["S256"] and query["access_type"] == ["offline"]
    assert query["prompt"] == ["consent"] and urlsplit(query["redirect_uri"][0]).path == "/oauth-callback"
    exchange = [r for r in fakes.oauth.requests if r.path == "/token" and r.body.get("code")][-1]
    assert exchange.body["code_verifier"] and exchange.status == 200  # the fake checked it against the challenge
    listing = runner.invoke(app, ["accounts", "list"]).output
    assert "lena-at-example.com-antigravity" in listing
    with CodeAssistGateway(cli_env, fakes, {}) as gw:
        reply = chat(gw, {"model": "code-assist/gemini-3-flash", "messages": [{"role": "user", "content": "hi"}]})
        assert reply.status == 200 and reply.json()["choices"][0]["message"]["content"] == "echo: hi"


def test_signing_in_again_renews_an_account_that_needs_reauth(cli_env, fakes, monkeypatch):
    email = "rita@example.com"
    fakes.oauth.default_email = email
    fakes.ca.account(email, tier="free-tier")
    browser(monkeypatch)
    assert runner.invoke(app, ["login"]).exit_code == 0
    body = {"model": "code-assist/gemini-3-flash", "messages": [{"role": "user", "content": "hi"}]}
    with CodeAssistGateway(cli_env, fakes, {}) as gw:
        assert chat(gw, body).status == 200
        fakes.oauth.revoke(email)
        assert chat(gw, body).status in (502, 503)
        view = gw.wait_state("rita-at-example.com-antigravity", "needs_reauth")
        assert "gemgate login --profile antigravity" in view.reason
        again = runner.invoke(app, ["login"])
        assert again.exit_code == 0 and "signed in again: renewed code-assist account 'rita-at-example.com-antigravity'" in again.output
        assert gw.wait_state("rita-at-example.com-antigravity", "ok").name == "rita-at-example.com-antigravity"
        assert len(gw.accounts()) == 1 + len(gw.api_keys)
        deadline = time.monotonic() + 10
        while (reply := chat(gw, body)).status != 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert reply.status == 200, reply.text


def test_signing_in_again_with_the_project_keeps_the_tier(cli_env, fakes, monkeypatch):
    email = "tess@example.com"
    fakes.oauth.default_email = email
    project = fakes.ca.account(email, tier="g1-pro-tier").project
    browser(monkeypatch)
    assert "tier g1-pro-tier" in runner.invoke(app, ["login"]).output
    again = runner.invoke(app, ["login", "--project", project])  # no discovery, so no tier read this time
    assert again.exit_code == 0 and "renewed" in again.output and "tier g1-pro-tier" in again.output, again.output


def test_login_refuses_a_callback_with_another_state(cli_env, fakes, monkeypatch):
    fakes.oauth.default_email = "mo@example.com"
    browser(monkeypatch, tamper=lambda location: with_state(location, "f" * 64))
    result = runner.invoke(app, ["login"])
    assert result.exit_code == 1 and "state does not match" in result.output
    assert "mo-at-example.com" not in runner.invoke(app, ["accounts", "list"]).output


def test_login_says_consent_was_denied(cli_env, fakes, monkeypatch):
    fakes.oauth.deny_next_consent()
    browser(monkeypatch)
    result = runner.invoke(app, ["login"])
    assert result.exit_code == 1 and "consent was denied" in result.output


@pytest.mark.parametrize("project", [[], ["--project", "pias-own-project"]])
def test_gemini_cli_sign_in_of_a_consumer_account_says_to_use_antigravity(cli_env, fakes, monkeypatch, project):
    # With --project no discovery runs; the model list Google refuses says it instead (it said "added").
    fakes.oauth.default_email = "pia@example.com"
    fakes.ca.account("pia@example.com", tier="free-tier")
    browser(monkeypatch)
    result = runner.invoke(app, ["login", "--profile", "gemini-cli", *project])
    assert result.exit_code == 1 and "not eligible through" in result.output, result.output
    assert "gemgate login --profile antigravity" in result.output
    assert "pia-at-example.com" not in runner.invoke(app, ["accounts", "list"]).output


def test_login_times_out_saying_to_run_it_again(cli_env, fakes, monkeypatch):
    monkeypatch.setenv("GEMGATE_UPSTREAMS__CODE_ASSIST__LOGIN_TIMEOUT_SECONDS", "0.3")
    monkeypatch.setattr(cli_login.webbrowser, "open", lambda url: True)  # nobody ever signs in
    result = runner.invoke(app, ["login"])
    assert result.exit_code == 1 and "no sign-in within 0.3 s" in result.output


def test_login_without_a_browser_takes_the_pasted_redirect(cli_env, fakes):
    email = "nia@corp.example"
    fakes.oauth.default_email = email
    project = fakes.ca.account(email, tier="standard-tier").project
    env = {**os.environ, "COLUMNS": "400"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gemgate", "login", "--no-browser", "--profile", "gemini-cli", "--project", project],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if line.startswith(fakes.oauth_url):
                break
        location = consent(lines[-1].strip())
        assert urlsplit(location).path == "/oauth2callback"
        out, _ = proc.communicate(location + "\n", timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, "".join(lines) + out
    assert f"{email} (gemini-cli)" in out and f"project {project}" in out


def upstream(fakes):
    return build_upstreams({"code_assist": fakes.section()})["code-assist"]


@pytest.mark.parametrize("problem", ["bad code", "wrong verifier"])
def test_the_exchange_refuses_a_bad_code_and_a_wrong_verifier(fakes, problem):
    ca = upstream(fakes)

    async def run() -> str:
        await ca.start()
        try:
            pending = login.begin(ca, "antigravity", "http://127.0.0.1:9/oauth-callback")
            code = login.code_from(parse_qs_one(consent(pending.url)), pending)
            if problem == "bad code":
                code = "4/0not-a-code"
            else:
                pending.verifier = "x" * 64
            with pytest.raises(login.LoginError) as caught:
                await login.finish(ca, pending, code)
            return str(caught.value)
        finally:
            await ca.close()

    message = asyncio.run(run())
    assert "invalid_grant" in message and "sign in again" in message
    if problem == "wrong verifier":
        assert "verifier" in message


def parse_qs_one(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


@pytest.fixture
def gateway(fakes, tmp_path):
    with CodeAssistGateway(tmp_path, fakes, {}) as gw:
        yield gw


def test_server_sign_in_adds_an_account_the_gateway_uses_at_once(gateway, fakes):
    email = "otto@example.com"
    fakes.oauth.default_email = email
    fakes.ca.account(email, tier="free-tier")
    status = get(f"{gateway.url}/auth/status", key=gateway.key).json()
    assert status == {"authenticated": False, "accounts": []}
    start = httpx2.get(f"{gateway.url}/auth/login?profile=antigravity", headers={"Authorization": f"Bearer {gateway.key}"},
                       follow_redirects=False)
    assert start.status_code == 302 and start.headers["location"].startswith(fakes.oauth_url)
    callback = consent(start.headers["location"])
    assert callback.startswith(f"{gateway.url}/auth/callback?")
    page = get(callback)  # the browser carries no client key
    assert page.status == 200 and "Signed in" in page.text and email in page.text
    accounts = get(f"{gateway.url}/auth/status", key=gateway.key).json()["accounts"]
    assert accounts[0]["email"] == email and accounts[0]["profile"] == "antigravity"
    assert accounts[0]["tier"] == "free-tier" and accounts[0]["projectId"] and accounts[0]["expiresAt"] > time.time()
    body = {"model": "code-assist/gemini-3-flash", "messages": [{"role": "user", "content": "hello"}]}
    deadline = time.monotonic() + 10
    while (reply := chat(gateway, body)).status != 200 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert reply.status == 200, reply.text
    assert get(callback).status == 400  # the state was used once


def test_auth_routes_need_a_key_and_a_loopback_client(gateway):
    for path in ("/auth/login", "/auth/status"):
        assert get(f"{gateway.url}{path}").status == 401
        far = get(f"{gateway.url}{path}", key=gateway.key, headers={"X-Forwarded-For": "203.0.113.7"})
        assert far.status == 403 and "on this machine" in far.text
    far = get(f"{gateway.url}/auth/callback?state=x&code=y", headers={"X-Forwarded-For": "203.0.113.7"})
    assert far.status == 403
    forged = get(f"{gateway.url}/auth/callback?state={'a' * 64}&code=y")
    assert forged.status == 400 and "state mismatch" in forged.text
    bad = get(f"{gateway.url}/auth/login?profile=nope", key=gateway.key)
    assert bad.status == 400 and "unknown profile" in bad.text
    leaked = "AIza" + "S" * 35  # a value pasted in the wrong place is not echoed back: secrets never in error bodies
    for value in (leaked, gateway.key):
        bad = get(f"{gateway.url}/auth/login?profile={value}", key=gateway.key)
        assert bad.status == 400 and "unknown profile '[redacted]'" in bad.text and value[:12] not in bad.text, bad.text


def test_login_with_a_user_agent_uses_it_from_the_code_exchange_on(cli_env, fakes, monkeypatch):
    agent = "antigravity/hub/2.9.9 darwin/arm64"
    fakes.oauth.default_email = "ulla@example.com"
    fakes.ca.account("ulla@example.com", tier="g1-pro-tier")
    browser(monkeypatch)
    fakes.oauth.requests.clear()
    fakes.ca.reset()
    result = runner.invoke(app, ["login", "--user-agent", agent, "--no-credits"])
    assert result.exit_code == 0, result.output
    called = [r for r in fakes.oauth.requests if r.path != "/o/oauth2/v2/auth"]  # the browser's visit aside
    assert called and {r.header("User-Agent") for r in called} == {agent}
    assert {r.header("User-Agent") for r in fakes.ca.requests_for(account="ulla@example.com")} == {agent}
    listing = runner.invoke(app, ["accounts", "list"]).output
    assert "2.9.9" in listing and "credits off" in listing


def test_a_forged_host_header_does_not_change_the_redirect_uri(gateway):
    # The callback is the server's own address (settings), not whatever Host the client sent: a client with a
    # key on this machine must not get the authorization code sent elsewhere.
    own = f"http://127.0.0.1:{gateway.port}/auth/callback"
    for host in ("attacker.example:8443", f"127.0.0.1:{gateway.port}"):
        start = httpx2.get(f"{gateway.url}/auth/login?profile=antigravity", follow_redirects=False,
                           headers={"Authorization": f"Bearer {gateway.key}", "Host": host})
        assert start.status_code == 302, start.text
        assert parse_qs_one(start.headers["location"])["redirect_uri"] == own


def _server_sign_in(gateway, query: str):
    """/auth/login with `query` → the fake's consent → the callback page."""
    start = httpx2.get(f"{gateway.url}/auth/login?{query}", headers={"Authorization": f"Bearer {gateway.key}"},
                       follow_redirects=False)
    assert start.status_code == 302, start.text
    return get(consent(start.headers["location"]))


def test_server_sign_in_takes_a_user_agent_credits_and_a_project(gateway, fakes):
    # `gemgate login` had --user-agent/--credits/--project; the server's /auth/login took none of them.
    email, agent = "vera@example.com", "antigravity/hub/3.0.1 linux/amd64"
    fakes.oauth.default_email = email
    project = fakes.ca.account(email, tier="standard-tier").project
    fakes.ca.reset()
    page = _server_sign_in(gateway, f"profile=gemini-cli&user_agent={agent}&credits=false&project={project}")
    assert page.status == 200 and "Signed in" in page.text, page.text
    account = get(f"{gateway.url}/auth/status", key=gateway.key).json()["accounts"][0]
    assert account["email"] == email and account["projectId"] == project
    assert {r.header("User-Agent") for r in fakes.ca.requests_for(account=email)} == {agent}
    assert fakes.ca.requests_for(account=email) and not fakes.ca.requests_for("loadCodeAssist", account=email)  # no discovery


def test_server_sign_in_with_a_project_still_checks_eligibility(gateway, fakes):
    fakes.oauth.default_email = "wim@example.com"
    fakes.ca.account("wim@example.com", tier="free-tier")
    page = _server_sign_in(gateway, "profile=gemini-cli&project=wims-own-project")
    assert page.status == 400 and "not eligible through" in page.text, page.text
    assert get(f"{gateway.url}/auth/status", key=gateway.key).json()["accounts"] == []


@pytest.mark.parametrize("query, said", [
    ("credits=maybe", "credits: give true or false"),
    ("user_agent=a%0Ab", "User-Agent"),
    ("project=Not%20A%20Project", "project id"),
])
def test_server_sign_in_options_that_cannot_be_used_are_a_400(gateway, query, said):
    bad = get(f"{gateway.url}/auth/login?profile=antigravity&{query}", key=gateway.key)
    assert bad.status == 400 and said in bad.text, bad.text
