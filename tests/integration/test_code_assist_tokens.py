"""Code Assist token lifecycle against the fake Google OAuth server over loopback HTTP: refresh ahead of
expiry, single-flight under load, stored before use, dead grants -> needs re-auth with what to run."""

from __future__ import annotations

import asyncio
import time

import pytest

from gemgate.errors import Failure, UpstreamError
from gemgate.store import AccountRecord
from gemgate.store.crypto import SecretBox, load_master_key
from gemgate.store.sqlite import SQLiteStore
from gemgate.testing import ANTIGRAVITY, GEMINI_CLI
from gemgate.upstreams.base import NeedsReauth
from gemgate.upstreams.code_assist import CodeAssist
from gemgate.upstreams.code_assist.settings import CodeAssistSettings
from gemgate.upstreams.credentials import CredentialKeeper
from tests.support.code_assist import running_fakes
from tests.support.gateway import free_port

EMAIL = "ann@example.com"


@pytest.fixture(scope="module")
def oauth():
    with running_fakes() as running:
        running.oauth.url = running.oauth_url
        yield running.oauth


def upstream_for(url: str) -> CodeAssist:
    return CodeAssist(CodeAssistSettings(token_url=f"{url}/token", userinfo_url=f"{url}/oauth2/v2/userinfo"))


async def open_store(path) -> SQLiteStore:
    store = SQLiteStore(path / "ca.db", SecretBox(load_master_key("ca-test", path / "k")))
    await store.open()
    return store


def secret(oauth, profile="antigravity", client=ANTIGRAVITY, **extra) -> dict:
    return {
        "profile": profile, "refresh_token": oauth.issue_refresh_token(EMAIL, client.client_id),
        "access_token": "ya29.stale", "expiry": time.time() + 60, "email": EMAIL, "project_id": "proj-1",
        "tier": "free-tier", **extra,
    }


def token_posts(oauth, refresh_token: str) -> int:
    return sum(1 for r in oauth.requests if r.path == "/token" and isinstance(r.body, dict)
               and r.body.get("refresh_token") == refresh_token)


async def test_refreshed_ahead_of_expiry_once_under_100_concurrent_requests_and_stored_first(oauth, tmp_path):
    store = await open_store(tmp_path)
    upstream = upstream_for(oauth.url)
    await upstream.start()
    try:
        cred = secret(oauth)  # 60 s left: inside the 900 s skew
        record = AccountRecord(id="a1", name="ann", kind="code-assist", secret=cred)
        await store.add_account(record)
        assert not upstream.credential_fresh(record, time.time())
        keeper = CredentialKeeper(store)
        await asyncio.gather(*(keeper.fresh(upstream, record) for _ in range(100)))
        assert token_posts(oauth, cred["refresh_token"]) == 1
        new = record.secret["access_token"]
        assert new != "ya29.stale" and oauth.token_info(new) is not None
        assert record.secret["expiry"] > time.time() + 3000 and record.secret["project_id"] == "proj-1"
        assert upstream.credential_fresh(record, time.time())
    finally:
        await upstream.close()
        await store.close()
    # A restart reads the refreshed credential back and needs no new refresh.
    store = await open_store(tmp_path)
    try:
        stored = await store.find_account("a1")
        assert stored.secret["access_token"] == new
        assert upstream_for(oauth.url).credential_fresh(stored, time.time())
    finally:
        await store.close()


@pytest.mark.parametrize("profile,client", [("antigravity", ANTIGRAVITY), ("gemini-cli", GEMINI_CLI)])
async def test_refresh_uses_the_profiles_client(oauth, profile, client):
    upstream = upstream_for(oauth.url)
    await upstream.start()
    try:
        cred = secret(oauth, profile, client)
        new = await upstream.refresh_credential(AccountRecord(id="x", name="x", kind="code-assist", secret=cred))
    finally:
        await upstream.close()
    assert oauth.token_info(new["access_token"]).client_id == client.client_id
    assert new["refresh_token"] == cred["refresh_token"]  # Google keeps the refresh token


async def test_revoked_grant_needs_reauth_and_says_what_to_run(oauth):
    upstream = upstream_for(oauth.url)
    await upstream.start()
    cred = secret(oauth)
    oauth.revoke(cred["refresh_token"])
    try:
        with pytest.raises(NeedsReauth) as caught:
            await upstream.refresh_credential(AccountRecord(id="x", name="x", kind="code-assist", secret=cred))
    finally:
        await upstream.close()
    reason = caught.value.reason
    assert "invalid_grant" in reason and "gemgate accounts add-oauth --profile antigravity" in reason
    assert cred["refresh_token"] not in reason


async def test_token_of_another_client_needs_reauth_naming_the_profile(oauth):
    upstream = upstream_for(oauth.url)
    await upstream.start()
    cred = secret(oauth, "gemini-cli", ANTIGRAVITY)  # an Antigravity grant stored as gemini-cli
    try:
        with pytest.raises(NeedsReauth, match="unauthorized_client.*gemini-cli profile"):
            await upstream.refresh_credential(AccountRecord(id="x", name="x", kind="code-assist", secret=cred))
    finally:
        await upstream.close()


async def test_unreachable_token_endpoint_is_retryable(oauth):
    upstream = upstream_for(f"http://127.0.0.1:{free_port()}")
    await upstream.start()
    try:
        with pytest.raises(UpstreamError) as caught:
            await upstream.refresh_credential(AccountRecord(id="x", name="x", kind="code-assist", secret=secret(oauth)))
    finally:
        await upstream.close()
    assert caught.value.failure is Failure.TRANSIENT and caught.value.retryable


async def test_discovery_with_a_token_rejected_early_refreshes_once(oauth):
    """A time-fresh access token that Code Assist refuses during discovery gets one refresh, not a loop."""
    from gemgate.testing import FakeCodeAssist

    ca = FakeCodeAssist(oauth)
    with ca.running() as ca_url:
        settings = CodeAssistSettings(token_url=f"{oauth.url}/token", profiles={"antigravity": {"endpoints": [ca_url]}})
        upstream = CodeAssist(settings)
        await upstream.start()
        cred = {**secret(oauth), "project_id": None}
        cred["access_token"] = oauth.issue_access_token(EMAIL, ANTIGRAVITY.client_id).token
        cred["expiry"] = time.time() + 3000
        oauth.expire_access_tokens(EMAIL)
        try:
            new = await upstream.refresh_credential(AccountRecord(id="x", name="x", kind="code-assist", secret=cred))
        finally:
            await upstream.close()
    assert new["project_id"] == ca.account(EMAIL).project and token_posts(oauth, cred["refresh_token"]) == 1
