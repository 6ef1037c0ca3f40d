"""`gemgate import` (or a sign-in) while the running server refreshes the same account: the stored
credential ends as the newest of both, never the copy the refresh started from (found attacking issue 8: an
import's settings were silently overwritten by the refresh in flight, and a new refresh token imported while
a refresh of the revoked old one was in flight left the account in needs_reauth)."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import pytest
from typer.testing import CliRunner

from gemgate.cli import app
from gemgate.store import AccountRecord, StaleVersion, open_store
from gemgate.testing import ANTIGRAVITY
from gemgate.upstreams.credentials import rebase
from tests.support.code_assist import CodeAssistGateway, running_fakes
from tests.support.gateway import chat

MODEL = "gemini-3-flash"


@pytest.fixture
def racing(tmp_path):
    """(fakes, gateway, email, credential) with a refresh of the account in flight for 3 s from the yield on,
    started by a request whose answer is in `racing.result` once `racing.thread` ends."""
    with running_fakes() as fakes:
        email = "racer@example.com"
        fakes.ca.account(email, tier="g1-pro-tier")
        cred = fakes.credential(email)
        gw = CodeAssistGateway(tmp_path / "gw", fakes, {"acct": cred}).start()
        try:
            fakes.oauth.refresh_delay = 3
            fakes.oauth.expire_access_tokens(email)  # the next request gets a 401, then a slow refresh
            result: dict = {}
            thread = threading.Thread(target=lambda: result.setdefault(
                "reply", chat(gw, {"model": MODEL, "messages": [{"role": "user", "content": "hi"}]})))
            thread.start()
            deadline = time.monotonic() + 10
            while not any(r.path == "/token" for r in fakes.oauth.requests) and time.monotonic() < deadline:
                time.sleep(0.02)  # the refresh is at the token endpoint now
            yield fakes, gw, email, cred, thread, result
            thread.join(30)
        finally:
            gw.stop()


def import_file(gw, tmp_path, data: dict):
    path = tmp_path / "incoming.json"
    path.write_text(json.dumps(data))
    env = {"GEMGATE_DATA_DIR": str(gw.settings.data_dir), "GEMGATE_MASTER_KEY": gw.settings.master_key, "COLUMNS": "300"}
    out = CliRunner(env=env).invoke(app, ["import", str(path)])
    assert out.exit_code == 0, out.output
    return out.output


def stored(gw) -> dict:
    async def read():
        store = await open_store(gw.settings)
        try:
            (account,) = await store.list_accounts()
            return account.secret
        finally:
            await store.close()

    return asyncio.run(read())


def test_settings_imported_during_a_refresh_are_kept(racing, tmp_path):
    fakes, gw, email, cred, thread, result = racing
    output = import_file(gw, tmp_path, {"profile": "antigravity", "refresh_token": cred["refresh_token"],
                                        "email": email, "credits": True})
    assert "merged" in output
    thread.join(30)
    assert result["reply"].status == 200, result["reply"].text
    secret = stored(gw)
    assert secret["credits"] is True  # the import's setting survived the refresh that finished after it
    assert fakes.oauth.token_info(secret["access_token"]) is not None  # and the refresh's token was kept


def test_a_new_refresh_token_imported_during_a_refresh_of_a_revoked_one_is_used(racing, tmp_path):
    fakes, gw, email, cred, thread, result = racing
    fakes.oauth.revoke(cred["refresh_token"])  # the refresh in flight will be refused (invalid_grant)
    renewed = fakes.oauth.issue_refresh_token(email, ANTIGRAVITY.client_id)
    fakes.oauth.refresh_delay = 0
    access = fakes.oauth.issue_access_token(email, ANTIGRAVITY.client_id)  # a fresh sign-in's file has both
    import_file(gw, tmp_path, {"profile": "antigravity", "refresh_token": renewed, "email": email,
                               "access_token": access.token, "expiry": access.expires_at})
    thread.join(30)
    assert result["reply"].status == 200, result["reply"].text
    assert stored(gw)["refresh_token"] == renewed
    time.sleep(0.5)  # past state_sync_seconds: a needs_reauth mark would be written by now
    assert gw.accounts()["acct"].state == "ok"


async def test_the_store_refuses_a_stale_write(tmp_path):
    from gemgate.store.crypto import SecretBox, load_master_key
    from gemgate.store.sqlite import SQLiteStore

    store = SQLiteStore(tmp_path / "s.db", SecretBox(load_master_key("k", tmp_path / "k")))
    await store.open()
    try:
        await store.add_account(AccountRecord(id="a1", name="a", kind="code-assist", secret={"refresh_token": "1"}))
        (record,) = await store.list_accounts()
        version = await store.update_account_secret("a1", {"refresh_token": "2"}, record.version)
        with pytest.raises(StaleVersion):
            await store.update_account_secret("a1", {"refresh_token": "3"}, record.version)
        with pytest.raises(KeyError):
            await store.update_account_secret("nobody", {"refresh_token": "3"}, record.version)
        assert (await store.list_accounts())[0].secret == {"refresh_token": "2"} and version == record.version + 1
    finally:
        await store.close()


def test_rebase_keeps_what_each_side_changed():
    base = {"profile": "antigravity", "refresh_token": "r1", "access_token": "a1", "expiry": 1.0, "project_id": "p"}
    ours = {**base, "access_token": "a2", "expiry": 2.0, "tier": "t"}
    assert rebase(base, ours, {**base, "credits": True}) == {**ours, "credits": True}
    theirs = {**base, "refresh_token": "r2", "access_token": "b", "expiry": 3.0, "project_id": "q"}
    assert rebase(base, ours, theirs) == {**theirs, "tier": "t"}  # a new grant keeps its own tokens
