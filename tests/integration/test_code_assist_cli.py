"""`gemgate accounts add-oauth` against the fake Google OAuth server: the Gemini CLI's oauth_creds.json and our
own credential JSON, checked (refresh, email) before they are stored; a dead grant is refused with what to run."""

from __future__ import annotations

import json
import time

import pytest
from typer.testing import CliRunner

from gemgate.cli import app
from tests.support.code_assist import running_fakes, section_env
from gemgate.testing import ANTIGRAVITY, GEMINI_CLI

runner = CliRunner(env={"COLUMNS": "250"})


@pytest.fixture(scope="module")
def fakes():
    with running_fakes() as running:
        running.oauth.url = running.oauth_url
        yield running


@pytest.fixture
def oauth(fakes):
    return fakes.oauth


@pytest.fixture
def cli_env(tmp_path, monkeypatch, fakes):
    monkeypatch.setenv("GEMGATE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("GEMGATE_MASTER_KEY", "cli-test-master")
    for key, value in section_env(fakes).items():  # every Google address is a fake's
        monkeypatch.setenv(key, value)
    return tmp_path


def oauth_creds(oauth, email: str, client) -> dict:
    """The shape of ~/.gemini/oauth_creds.json (gemini-cli oauth2.ts; reference A1), without an id_token."""
    access = oauth.issue_access_token(email, client.client_id)
    return {"access_token": access.token, "token_type": "Bearer",
            "refresh_token": oauth.issue_refresh_token(email, client.client_id), "scope": " ".join(client.scopes),
            "expiry_date": int((time.time() + 30) * 1000)}


def test_add_gemini_cli_creds_with_a_project(cli_env, fakes, oauth, tmp_path):
    project = fakes.ca.account("bob@example.com", tier="standard-tier").project
    creds = oauth_creds(oauth, "bob@example.com", GEMINI_CLI)
    path = tmp_path / "oauth_creds.json"
    path.write_text(json.dumps(creds))
    result = runner.invoke(app, ["accounts", "add-oauth", "--profile", "gemini-cli", "--file", str(path),
                                 "--project", project])
    assert result.exit_code == 0, result.output
    assert "bob@example.com (gemini-cli)" in result.output and f"project {project}" in result.output
    listing = runner.invoke(app, ["accounts", "list"]).output
    assert "bob-at-example.com-gemini-cli" in listing and "code-assist" in listing
    assert creds["refresh_token"] not in listing + result.output
    again = runner.invoke(app, ["accounts", "add-oauth", "--profile", "gemini-cli", "--file", str(path),
                                "--project", project, "--name", "other"])
    assert again.exit_code == 1 and "in the pool already" in again.output


def test_a_project_given_by_hand_is_still_checked_for_eligibility(cli_env, fakes, tmp_path):
    # `login --project` asks the model list because no discovery runs; add-oauth --project said "added" instead.
    fakes.ca.account("pia@example.com", tier="free-tier")  # a consumer account: not served via gemini-cli
    path = tmp_path / "oauth_creds.json"
    path.write_text(json.dumps(oauth_creds(fakes.oauth, "pia@example.com", GEMINI_CLI)))
    result = runner.invoke(app, ["accounts", "add-oauth", "--profile", "gemini-cli", "--file", str(path),
                                 "--project", "pias-own-project"])
    assert result.exit_code == 1, result.output
    assert "nothing was added" in result.output and "not eligible through" in result.output
    assert "pia-at-example.com" not in runner.invoke(app, ["accounts", "list"]).output


def test_revoked_credential_is_refused_with_what_to_run(cli_env, oauth, tmp_path):
    creds = oauth_creds(oauth, "cy@example.com", ANTIGRAVITY)
    oauth.revoke(creds["refresh_token"])
    path = tmp_path / "c.json"
    path.write_text(json.dumps({**creds, "profile": "antigravity", "email": "cy@example.com", "project_id": "p"}))
    result = runner.invoke(app, ["accounts", "add-oauth", "--file", str(path)])
    assert result.exit_code == 1
    assert "invalid_grant" in result.output and "nothing was added" in result.output


def test_unreadable_file_and_missing_profile(cli_env, tmp_path):
    path = tmp_path / "x.json"
    path.write_text("{not json")
    assert "is not JSON" in runner.invoke(app, ["accounts", "add-oauth", "--file", str(path)]).output
    path.write_text(json.dumps({"refresh_token": "1//0x"}))
    assert "--profile" in runner.invoke(app, ["accounts", "add-oauth", "--file", str(path)]).output
