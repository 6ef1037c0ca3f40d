"""`gemgate accounts add-cookie` with each cookie form issue 9 lists, from a file, stdin or --psid; `--check`
against the fake gemini.google.com (signed in: Set-Cookie merged; signed out: refused with what to do); and the
`[upstreams.gemini_web]` settings from the environment."""

from __future__ import annotations

import asyncio
import json

import pytest
from typer.testing import CliRunner

from gemgate.cli import app
from gemgate.config import load_settings
from gemgate.store import open_store
from gemgate.upstreams import build_upstreams
from tests.support.web import psid, running_web_fake

runner = CliRunner(env={"COLUMNS": "250"})
PSID = psid("cli")


@pytest.fixture(scope="module")
def fake():
    with running_web_fake() as server:
        yield server


@pytest.fixture
def cli_env(tmp_path, monkeypatch, fake):
    monkeypatch.setenv("GEMGATE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("GEMGATE_MASTER_KEY", "cli-test-master")
    monkeypatch.setenv("GEMGATE_UPSTREAMS__GEMINI_WEB__BASE_URL", fake.url)
    return tmp_path


def stored(tmp_path) -> dict:
    async def read():
        store = await open_store(load_settings(None))
        try:
            return {a.name: a for a in await store.list_accounts()}
        finally:
            await store.close()

    return asyncio.run(read())


FORMS = {
    "json": json.dumps({"cookie": f"__Secure-1PSID={PSID}; __Secure-1PSIDTS=ts-1", "sapisid": "sap-1"}),
    "netscape": f"# Netscape HTTP Cookie File\n.google.com\tTRUE\t/\tTRUE\t1999999999\t__Secure-1PSID\t{PSID}\n"
                ".google.com\tTRUE\t/\tTRUE\t1999999999\t__Secure-1PSIDTS\tts-1\n",
    "extension": json.dumps([{"name": "__Secure-1PSID", "value": PSID, "domain": ".google.com"},
                             {"name": "__Secure-1PSIDTS", "value": "ts-1", "domain": ".google.com"}]),
    "header": f"__Secure-1PSID={PSID}; __Secure-1PSIDTS=ts-1",
}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_each_form_from_a_file(cli_env, form):
    path = cli_env / f"cookies.{form}"
    path.write_text(FORMS[form])
    result = runner.invoke(app, ["accounts", "add-cookie", str(path), "--name", "home", "--auth-user", "2"])
    assert result.exit_code == 0, result.output
    assert "added gemini-web account 'home'" in result.output and PSID not in result.output
    secret = stored(cli_env)["home"].secret
    assert f"__Secure-1PSID={PSID}" in secret["cookie"] and "__Secure-1PSIDTS=ts-1" in secret["cookie"]
    assert secret["auth_user"] == 2


def test_stdin_and_psid_options(cli_env):
    result = runner.invoke(app, ["accounts", "add-cookie", "-", "--name", "piped"], input=FORMS["header"])
    assert result.exit_code == 0, result.output
    other = psid("other")
    result = runner.invoke(app, ["accounts", "add-cookie", "--psid", "-", "--psidts", "ts-2", "--name", "bare"], input=other)
    assert result.exit_code == 0, result.output
    accounts = stored(cli_env)
    assert accounts["bare"].secret["cookie"] == f"__Secure-1PSID={other}; __Secure-1PSIDTS=ts-2"
    again = runner.invoke(app, ["accounts", "add-cookie", "-", "--name", "dup"], input=FORMS["header"])
    assert again.exit_code != 0 and "already" in again.output  # the same Google account twice


def test_cookies_without_psid_are_refused(cli_env):
    result = runner.invoke(app, ["accounts", "add-cookie", "-"], input="NID=abcdefgh12345; SID=zzzzzzzz99999")
    assert result.exit_code == 1 and "__Secure-1PSID" in result.output and "abcdefgh12345" not in result.output


def test_check_merges_cookies_or_refuses_a_signed_out_jar(cli_env, fake):
    fake.account(PSID)
    result = runner.invoke(app, ["accounts", "add-cookie", "-", "--check", "--name", "checked"], input=FORMS["header"])
    assert result.exit_code == 0, result.output
    assert "NID=" in stored(cli_env)["checked"].secret["cookie"]  # the app page's Set-Cookie, kept
    expired = psid("gone")
    fake.account(expired, signed_in=False)
    result = runner.invoke(app, ["accounts", "add-cookie", "-", "--check"], input=f"__Secure-1PSID={expired}")
    assert result.exit_code == 1 and "signed-out" in result.output and "nothing was added" in result.output


def test_settings_from_the_environment(monkeypatch):
    monkeypatch.setenv("GEMGATE_UPSTREAMS__GEMINI_WEB__BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("GEMGATE_UPSTREAMS__GEMINI_WEB__BLOCKED_COOLDOWN_SECONDS", "42")
    monkeypatch.setenv("GEMGATE_UPSTREAMS__GEMINI_WEB__ROTATE_COOKIES_URL", "http://127.0.0.1:9/rotate")
    web = build_upstreams(load_settings(None).upstreams)["gemini-web"]
    assert web.settings.base_url == "http://127.0.0.1:9" and web.settings.blocked_cooldown_seconds == 42
    assert web.settings.rotate_cookies_url == "http://127.0.0.1:9/rotate"


def test_a_file_is_remembered_and_cookies_near_their_end_are_warned_about(cli_env):
    import time

    from gemgate.store import AccountRecord

    path = cli_env / "cookies.txt"
    soon = int(time.time()) + 3600
    path.write_text(f"# Netscape HTTP Cookie File\n.google.com\tTRUE\t/\tTRUE\t1999999999\t__Secure-1PSID\t{PSID}\n"
                    f".google.com\tTRUE\t/\tTRUE\t{soon}\t__Secure-1PSIDTS\tts-1\n")
    assert runner.invoke(app, ["accounts", "add-cookie", str(path), "--name", "filed"]).exit_code == 0
    secret = stored(cli_env)["filed"].secret
    assert secret["cookie_file"] == str(path.resolve()) and secret["expires"]["__Secure-1PSIDTS"] == soon
    listed = runner.invoke(app, ["accounts", "list"])
    assert listed.exit_code == 0, listed.output
    flat = " ".join(listed.output.split())
    assert "__Secure-1PSIDTS expires in 59 min" in flat and "export fresh cookies into" in flat, listed.output

    async def add_old():  # cookies brought in three hours ago, never rotated since (no server ran)
        store = await open_store(load_settings(None))
        try:
            await store.add_account(AccountRecord(id="old1", name="stale", kind="gemini-web", created_at=time.time() - 4 * 3600,
                                                  secret={"cookie": f"__Secure-1PSID={psid('old')}",
                                                          "loaded_at": time.time() - 3 * 3600 - 60}))
        finally:
            await store.close()

    asyncio.run(add_old())
    shown = runner.invoke(app, ["accounts", "show", "stale"])
    flat = " ".join(shown.output.split())
    assert "warning: cookies last renewed 3 h ago (brought in)" in flat and "accounts remove stale" in flat, shown.output
    fine = runner.invoke(app, ["accounts", "add-cookie", "-", "--name", "fresh"], input=FORMS["header"].replace(PSID, psid("new")))
    assert fine.exit_code == 0
    assert "warning" not in runner.invoke(app, ["accounts", "show", "fresh"]).output
