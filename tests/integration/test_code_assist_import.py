"""`gemgate import` and `auto_load_env_creds` against the fake Google OAuth and Code Assist servers: files of every
format (written here from the documented shapes) in a directory, a zip and base64 are added and then serve
chats; duplicates merge; a missing email comes from userinfo (refreshing an expired token first); a broken
file is one error row; --dry-run writes nothing; the environment's copy wins at gateway start."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import time
import zipfile

import pytest
from typer.testing import CliRunner

from gemgate.cli import app
from gemgate.config import Settings
from gemgate.sandbox import SANDBOX_MASTER_KEY
from gemgate.store import HealthRecord, open_store
from gemgate.testing import ANTIGRAVITY, GEMINI_CLI
from tests.support.code_assist import CodeAssistGateway, running_fakes
from tests.support.gateway import chat

runner = CliRunner(env={"COLUMNS": "250"})
TIERS = {"antigravity": "g1-pro-tier", "gemini-cli": "standard-tier"}
MODELS = {"antigravity": "gemini-3-flash", "gemini-cli": "gemini-3-flash-preview"}
CLIENTS = {"antigravity": ANTIGRAVITY, "gemini-cli": GEMINI_CLI}


@pytest.fixture(scope="module")
def fakes():
    with running_fakes() as running:
        yield running


@pytest.fixture
def data(tmp_path, monkeypatch, fakes):
    """The data dir the CLI writes and a gateway started on it reads."""
    monkeypatch.setenv("GEMGATE_DATA_DIR", str(tmp_path / "gw"))
    monkeypatch.setenv("GEMGATE_MASTER_KEY", SANDBOX_MASTER_KEY)
    monkeypatch.setenv("GEMGATE_UPSTREAMS__CODE_ASSIST__TOKEN_URL", f"{fakes.oauth_url}/token")
    monkeypatch.setenv("GEMGATE_UPSTREAMS__CODE_ASSIST__USERINFO_URL", f"{fakes.oauth_url}/oauth2/v2/userinfo")
    return tmp_path


def tokens(fakes, email: str, profile: str, lifetime: float = 3599) -> tuple[str, str, float]:
    """(refresh token, access token, expiry epoch seconds) issued by the fake for `email` at `profile`'s client."""
    fakes.ca.account(email, tier=TIERS[profile])
    client = CLIENTS[profile]
    access = fakes.oauth.issue_access_token(email, client.client_id, lifetime=lifetime)
    return fakes.oauth.issue_refresh_token(email, client.client_id), access.token, access.expires_at


def oauth_creds(fakes, email: str, lifetime: float = 3599) -> dict:
    """~/.gemini/oauth_creds.json (reference A1): no email, expiry_date in ms."""
    refresh, access, expiry = tokens(fakes, email, "gemini-cli", lifetime)
    return {"access_token": access, "refresh_token": refresh, "scope": " ".join(GEMINI_CLI.scopes),
            "token_type": "Bearer", "expiry_date": int(expiry * 1000)}


def gcli2api(fakes, email: str, profile: str = "antigravity") -> dict:
    """A gcli2api credential (§1.4): Google-auth style, no email, expiry ISO 8601."""
    refresh, access, expiry = tokens(fakes, email, profile)
    client = CLIENTS[profile]
    iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expiry))
    return {"client_id": client.client_id, "client_secret": client.client_secret, "token": access,
            "refresh_token": refresh, "scopes": list(client.scopes), "token_uri": f"{fakes.oauth_url}/token",
            "project_id": None, "expiry": iso}


def cliproxy(fakes, email: str, type_: str = "antigravity", **extra) -> dict:
    """A CLIProxyAPI auth file (§1.4): type, expired RFC 3339, timestamp ms, email."""
    refresh, access, expiry = tokens(fakes, email, "antigravity" if type_ == "antigravity" else "gemini-cli")
    return {"type": type_, "access_token": access, "refresh_token": refresh, "expires_in": 3599,
            "timestamp": int((expiry - 3599) * 1000),
            "expired": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expiry)), "email": email, **extra}


def settings(data) -> Settings:
    return Settings(data_dir=data / "gw", master_key=SANDBOX_MASTER_KEY)


async def on_store(data, op):
    """`op(store)` on the data dir's store."""
    store = await open_store(settings(data))
    try:
        return await op(store)
    finally:
        await store.close()


def stored(data) -> dict[str, dict]:
    """email|profile -> stored credential."""
    accounts = asyncio.run(on_store(data, lambda store: store.list_accounts()))
    return {f"{a.secret['email']}|{a.secret['profile']}": a.secret for a in accounts if a.kind == "code-assist"}


def rows(output: str) -> dict[str, str]:
    """email -> the result cell of the table."""
    out = {}
    for line in output.splitlines():
        cells = [c.strip() for c in line.split("│")]
        if len(cells) > 5 and "@" in cells[3]:
            out[cells[3]] = cells[5]
    return out


def write_tree(fakes, root) -> dict[str, dict]:
    """A directory with every format: plain files, a zip with nested paths, a base64 file."""
    (root / "gemini").mkdir(parents=True)
    files = {
        "bob@example.com": oauth_creds(fakes, "bob@example.com"),
        "ann@example.com": gcli2api(fakes, "ann@example.com"),
        "cy@example.com": cliproxy(fakes, "cy@example.com"),
        "dee@corp.example": cliproxy(fakes, "dee@corp.example", "gemini"),
    }
    (root / "gemini" / "oauth_creds.json").write_text(json.dumps(files["bob@example.com"]))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("gcli2api/creds/ag_proj-1-1765100000.json", json.dumps(files["ann@example.com"]))
        z.writestr("cliproxy/auths/antigravity-cy@example.com.json", json.dumps(files["cy@example.com"]))
    (root / "backup.zip").write_bytes(buf.getvalue())
    (root / "gemini-dee.json").write_text(base64.b64encode(json.dumps(files["dee@corp.example"]).encode()).decode())
    return files


def test_every_format_is_added_then_serves_chats(fakes, data):
    files = write_tree(fakes, data / "in")
    result = runner.invoke(app, ["import", str(data / "in")])
    assert result.exit_code == 0, result.output
    assert rows(result.output) == dict.fromkeys(files, "added")
    for fmt in ("oauth_creds", "gcli2api", "cliproxyapi", "backup.zip!gcli2api/creds/ag_proj-1-1765100000.json"):
        assert fmt in result.output
    for creds in files.values():
        assert creds["refresh_token"] not in result.output
        assert (creds.get("access_token") or creds["token"]) not in result.output
    assert set(stored(data)) == {"bob@example.com|gemini-cli", "ann@example.com|antigravity",
                                 "cy@example.com|antigravity", "dee@corp.example|gemini-cli"}
    gw = CodeAssistGateway(data / "gw", fakes, {}).start()
    try:
        for profile, model in MODELS.items():
            reply = chat(gw, {"model": model, "messages": [{"role": "user", "content": "hi"}]})
            assert reply.status == 200, reply.text
        served = {r.account for r in fakes.ca.requests_for("streamGenerateContent")}
        assert served & set(files)
    finally:
        gw.stop()


def later(creds: dict) -> dict:
    """A later sign-in's copy: its token expires an hour after the first's."""
    return {**creds, "expired": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 7200))}


def test_duplicates_merge_newer_tokens_and_keep_the_project(fakes, data):
    first = data / "first.json"
    first.write_text(json.dumps(cliproxy(fakes, "eve@example.com")))
    assert runner.invoke(app, ["import", str(first), "--project", "p-eve"]).exit_code == 0
    [eve] = asyncio.run(on_store(data, lambda store: store.list_accounts()))
    mark = HealthRecord(eve.id, "*", "needs_reauth", None, "Google refused the refresh token (invalid_grant)")
    asyncio.run(on_store(data, lambda store: store.put_health(mark)))
    newer = later(cliproxy(fakes, "eve@example.com"))  # new tokens, no project named
    (data / "newer.json").write_text(json.dumps(newer))
    result = runner.invoke(app, ["import", str(data / "newer.json"), str(first)])
    assert result.exit_code == 0, result.output
    assert [line for line in result.output.splitlines() if "eve@" in line][0].count("merged") == 1
    assert "skipped-duplicate" in result.output  # the older first file again
    [secret] = stored(data).values()
    assert secret["refresh_token"] == newer["refresh_token"] and secret["project_id"] == "p-eve"
    assert asyncio.run(on_store(data, lambda store: store.list_health())) == []  # the new sign-in fixed it
    again = runner.invoke(app, ["import", str(data / "newer.json")])
    assert rows(again.output) == {"eve@example.com": "skipped-duplicate"} and len(stored(data)) == 1


def token_calls(fakes) -> int:
    return sum(1 for r in fakes.oauth.requests if r.path == "/token")


def test_missing_email_from_userinfo_expired_token_refreshed_first_broken_files_reported(fakes, data):
    (data / "in").mkdir()
    expired = oauth_creds(fakes, "fay@example.com", lifetime=-60)
    (data / "in" / "a-expired.json").write_text(json.dumps(expired))
    revoked = oauth_creds(fakes, "gus@example.com", lifetime=-60)
    fakes.oauth.revoke(revoked["refresh_token"])
    (data / "in" / "b-revoked.json").write_text(json.dumps(revoked))
    (data / "in" / "c-broken.json").write_text("{not json")
    (data / "in" / "d-good.json").write_text(json.dumps(cliproxy(fakes, "hal@example.com")))
    before = token_calls(fakes)
    result = runner.invoke(app, ["import", str(data / "in")])
    assert result.exit_code == 1
    assert rows(result.output) == {"fay@example.com": "added", "hal@example.com": "added"}
    assert token_calls(fakes) == before + 2  # fay refreshed (then userinfo), gus refused
    lines = {line.split("│")[1].strip().rsplit("/", 1)[-1]: line for line in result.output.splitlines() if "│" in line}
    assert "cannot learn its email" in lines["b-revoked.json"] and "invalid_grant" in lines["b-revoked.json"]
    assert "neither JSON nor base64" in lines["c-broken.json"]
    assert revoked["refresh_token"] not in result.output
    fay = stored(data)["fay@example.com|gemini-cli"]
    assert fay["access_token"] != expired["access_token"] and fay["expiry"] > time.time()


def test_a_revoked_sign_in_whose_access_token_has_not_expired_says_to_sign_in_again(fakes, data):
    # The file's expiry says the access token is fresh, but Google revoked the grant: userinfo's 401 is met
    # with one refresh, whose invalid_grant says the sign-in was revoked (it said only "Request had invalid
    # authentication credentials").
    creds = oauth_creds(fakes, "ivo@example.com")
    fakes.oauth.revoke("ivo@example.com")
    (data / "ivo.json").write_text(json.dumps(creds))
    result = runner.invoke(app, ["import", str(data / "ivo.json")])
    assert result.exit_code == 1
    assert "invalid_grant" in result.output and "revoked" in result.output, result.output


def test_dry_run_writes_nothing_and_calls_no_google_endpoint(fakes, data):
    write_tree(fakes, data / "in")
    (data / "in" / "zz-again.json").write_text(json.dumps(later(cliproxy(fakes, "cy@example.com"))))
    (data / "in" / "zz-bob-again.json").write_text(json.dumps(oauth_creds(fakes, "bob@example.com")))
    asked = len(fakes.oauth.requests), len(fakes.ca.requests)
    result = runner.invoke(app, ["import", str(data / "in"), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert (len(fakes.oauth.requests), len(fakes.ca.requests)) == asked  # no userinfo, no refresh, nothing
    assert "dry run: nothing was written" in result.output
    assert set(rows(result.output).values()) == {"would add", "would merge"}  # cy twice: the second merges
    # Files without an email (oauth_creds.json, gcli2api) are read and checked, the email left unknown.
    assert result.output.count("(unknown: not asked in a dry run)") == 3 and result.output.count("would add") == 5
    assert " added" not in result.output
    assert stored(data) == {}


def test_dry_run_matches_a_stored_account_by_refresh_token_offline(fakes, data):
    creds = oauth_creds(fakes, "bob@example.com")
    (data / "bob.json").write_text(json.dumps(creds))
    assert runner.invoke(app, ["import", str(data / "bob.json")]).exit_code == 0
    asked = len(fakes.oauth.requests)
    result = runner.invoke(app, ["import", str(data / "bob.json"), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would skip (duplicate)" in result.output and len(fakes.oauth.requests) == asked


def test_env_import_on_the_command_line(fakes, data, monkeypatch):
    monkeypatch.setenv("GCLI_CREDS_1", base64.b64encode(json.dumps(gcli2api(fakes, "ida@example.com")).encode()).decode())
    monkeypatch.setenv("GCP_SERVICE_ACCOUNT", json.dumps(oauth_creds(fakes, "jo@example.com")))  # gemini-cli-openai
    result = runner.invoke(app, ["import", "--env"])
    assert result.exit_code == 0, result.output
    assert rows(result.output) == {"ida@example.com": "added", "jo@example.com": "added"}
    assert "env GCLI_CREDS_1" in result.output and "env GCP_SERVICE_ACCOUNT" in result.output
    assert runner.invoke(app, ["import"]).exit_code == 2


def test_auto_load_at_gateway_start_the_environment_copy_wins(fakes, data, monkeypatch):
    refresh, _, _ = tokens(fakes, "kim@example.com", "antigravity")
    fakes.oauth.revoke(refresh)
    # The stored copy is dead but claims a later expiry; the environment's (older-looking) copy still wins.
    dead = {"profile": "antigravity", "refresh_token": refresh, "access_token": "ya29.dead", "expiry": time.time() + 9000,
            "email": "kim@example.com", "project_id": fakes.ca.account("kim@example.com").project, "tier": None}
    env_copy = cliproxy(fakes, "kim@example.com")
    monkeypatch.setenv("GCLI_CREDS_kim", json.dumps(env_copy))
    monkeypatch.setenv("GCLI_CREDS_broken", "not a credential")
    gw = CodeAssistGateway(data / "gw", fakes, {"kim": dead}, auto_load_env_creds=True).start()
    try:
        reply = chat(gw, {"model": MODELS["antigravity"], "messages": [{"role": "user", "content": "hi"}]})
        assert reply.status == 200, reply.text
        assert fakes.ca.requests_for("streamGenerateContent", "kim@example.com")
    finally:
        gw.stop()
    [secret] = stored(data).values()
    assert secret["refresh_token"] == env_copy["refresh_token"] and secret["project_id"] == dead["project_id"]


def test_environment_is_not_read_unless_auto_load_env_creds(fakes, data, monkeypatch):
    monkeypatch.setenv("GCLI_CREDS_lou", json.dumps(cliproxy(fakes, "lou@example.com")))
    CodeAssistGateway(data / "gw", fakes, {}).start().stop()
    assert stored(data) == {}


def test_antigravity_manager_and_claude_proxy_accounts_are_added_then_serve_chats(fakes, data):
    """Files written from the documented shapes (reference/antigravity.md §1.4) of the two Antigravity tools."""
    refresh, access, expiry = tokens(fakes, "mia@example.com", "antigravity")
    manager = {"disabled": False, "token": {
        "access_token": access, "refresh_token": refresh, "expires_in": 3599, "expiry_timestamp": int(expiry),
        "token_type": "Bearer", "email": "mia@example.com", "project_id": fakes.ca.account("mia@example.com").project,
        "session_id": "-1", "is_gcp_tos": False, "id_token": None, "oauth_client_key": None}}
    refresh_p, _, _ = tokens(fakes, "pat@example.com", "antigravity")
    project = fakes.ca.account("pat@example.com").project
    entry = {"email": "pat@example.com", "source": "oauth", "refreshToken": f"{refresh_p}|{project}|{project}",
             "subscription": {"tier": "g1-pro-tier", "projectId": project}, "isInvalid": False}
    (data / "manager.json").write_text(json.dumps(manager))
    (data / "accounts.json").write_text(json.dumps([entry]))
    result = runner.invoke(app, ["import", str(data / "manager.json"), str(data / "accounts.json")])
    assert result.exit_code == 0, result.output
    assert rows(result.output) == {"mia@example.com": "added", "pat@example.com": "added"}
    assert "antigravity-manager" in result.output and "antigravity-claude-proxy" in result.output
    gw = CodeAssistGateway(data / "gw", fakes, {}).start()
    try:
        fakes.ca.reset()
        for _ in range(2):
            reply = chat(gw, {"model": "gemini-3-flash", "messages": [{"role": "user", "content": "hi"}]})
            assert reply.status == 200, reply.text
        assert {r.account for r in fakes.ca.requests_for("streamGenerateContent")} == {"mia@example.com", "pat@example.com"}
    finally:
        gw.stop()


AGENT = "antigravity/cli/1.0.13 (aidev_client; os_type=darwin; arch=arm64)"  # an older UA form (§2.2)


def test_a_user_agent_given_at_import_is_used_for_userinfo_refresh_discovery_and_generation(fakes, data):
    """The per-account User-Agent (reference §2.2: "the UA should be configurable per credential")."""
    email = "uma@example.com"
    creds = oauth_creds(fakes, email, lifetime=-10)  # expired: the import refreshes it, then asks userinfo
    creds["refresh_token"] = fakes.oauth.issue_refresh_token(email, ANTIGRAVITY.client_id)
    fakes.ca.account(email, tier="g1-pro-tier")
    (data / "uma.json").write_text(json.dumps(creds))
    fakes.oauth.requests.clear()
    result = runner.invoke(app, ["import", str(data / "uma.json"), "--profile", "antigravity", "--user-agent", AGENT,
                                 "--credits"])
    assert result.exit_code == 0, result.output
    assert [r.header("User-Agent") for r in fakes.oauth.requests] == [AGENT, AGENT]  # /token, then userinfo
    assert stored(data)[f"{email}|antigravity"].items() >= {"user_agent": AGENT, "credits": True}.items()
    listing = runner.invoke(app, ["accounts", "list"]).output
    assert "credits on" in listing and "antigravity/cli/1.0.13" in listing
    # The stored access token expires: the gateway refreshes it and discovers the project with the same UA.
    asyncio.run(on_store(data, lambda store: _expire_and_forget_project(store)))
    fakes.ca.reset()
    fakes.oauth.requests.clear()
    gw = CodeAssistGateway(data / "gw", fakes, {}).start()
    try:
        reply = chat(gw, {"model": "gemini-3-flash", "messages": [{"role": "user", "content": "hi"}]})
        assert reply.status == 200, reply.text
    finally:
        gw.stop()
    sent = fakes.ca.requests_for(account=email)
    assert {r.action for r in sent} >= {"loadCodeAssist", "streamGenerateContent", "fetchAvailableModels"}
    assert {r.header("User-Agent") for r in sent} == {AGENT}
    assert {r.header("User-Agent") for r in fakes.oauth.requests if r.path == "/token"} == {AGENT}


async def _expire_and_forget_project(store):
    for account in await store.list_accounts():
        await store.update_account_secret(account.id, {**account.secret, "expiry": 0, "project_id": None})


def test_a_user_agent_that_cannot_be_sent_is_refused(data):
    result = runner.invoke(app, ["import", str(data), "--user-agent", "bad\nagent"])
    assert result.exit_code == 2 and "printable ASCII" in result.output
