"""Secrets never leave the gateway: an upstream that echoes an account's key (Google's CONSUMER_SUSPENDED
quotes it) or the caller's own key is scrubbed from error bodies, stored errors, `accounts list` and logs."""

from __future__ import annotations

import asyncio
import json
import os
import signal

import pytest
from typer.testing import CliRunner

from gemgate import admin
from gemgate.cli import app
from gemgate.redaction import redact
from gemgate.store import open_store
from gemgate.testing import FakeGeminiAPI

from tests.support.gateway import GatewayThread, free_port
from tests.support.http import post, wait_healthy
from tests.support.processes import spawn_gemgate

# Neither is shaped like a Google key: only knowing the stored values can catch them.
SHORT_KEY = "k3y-0f-9ch"
ODD_KEY = "unusual+key/with=punctuation_and-length-51-xxxxxxxxxxx"


@pytest.fixture(scope="module")
def echoing_fake():
    fake = FakeGeminiAPI(suspended_keys=[SHORT_KEY, ODD_KEY])
    with fake.running() as url:
        fake.url = url
        yield fake


def _stored_text(settings) -> str:
    async def read():
        store = await open_store(settings)
        try:
            views = await admin.list_accounts(store)
        finally:
            await store.close()
        return json.dumps([[v.last_error, v.reason, v.disabled_reason] for v in views])

    return asyncio.run(read())


@pytest.mark.parametrize("key", [SHORT_KEY, ODD_KEY])
def test_an_echoed_account_key_is_redacted_everywhere(echoing_fake, tmp_path, key):
    with GatewayThread(tmp_path, echoing_fake.url, [key]) as gw:
        chat = post(f"{gw.url}/v1/chat/completions",
                    {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "hi"}]}, key=gw.key)
        native = post(f"{gw.url}/v1beta/models/gemini-2.5-flash:generateContent",
                      {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}, key=gw.key)
        assert echoing_fake.requests_for(key=key), "the upstream was asked and answered with the key"
        assert redact(f"free text quoting {key}") == "free text quoting [redacted]", "the gateway knows its keys"
        for reply in (chat, native):
            assert reply.status >= 400 and key not in reply.text, reply.text
        asyncio.run(gw.gateway.pool.flush())
    stored = _stored_text(gw.settings)
    assert "[redacted]" in stored and key not in stored
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("gemgate.db*"))
    assert key.encode() not in raw, "last_error, the disable reason and the cooldowns are stored redacted"


def test_accounts_list_redacts_what_an_older_version_stored(tmp_path, monkeypatch):
    """A database written before the gateway knew to redact may hold an echoed key: listing hides it."""
    monkeypatch.setenv("GEMGATE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("GEMGATE_MASTER_KEY", "m")
    runner = CliRunner(env={"COLUMNS": "400"})
    assert runner.invoke(app, ["accounts", "add-apikey", SHORT_KEY, "--name", "a", "--skip-format-check"]).exit_code == 0

    async def spoil():
        from gemgate.config import load_settings

        store = await open_store(load_settings(None))
        try:
            (account,) = await store.list_accounts()
            echoed = f"forbidden: the key {SHORT_KEY} has been suspended"
            await store.add_stats(account.id, 1, 1, echoed, None)
            await store.set_account_enabled(account.id, False, echoed)
        finally:
            await store.close()

    asyncio.run(spoil())
    listing = runner.invoke(app, ["accounts", "list"]).output
    assert "suspended" in listing and "[redacted]" in listing and SHORT_KEY not in listing


def test_the_callers_own_key_is_redacted_when_echoed(gw):
    """Google quotes an invalid enum value back (gemgate.testing.gemini_fields); the caller sent its own key
    there. The key is not shaped like a Google or gemgate key: the gateway scrubs it because it knows it."""
    body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}],
            "safetySettings": [{"category": gw.key, "threshold": "BLOCK_NONE"}]}
    reply = post(f"{gw.url}/v1beta/models/gemini-2.5-flash:generateContent", body, key=gw.key, key_header="x-goog-api-key")
    assert reply.status == 400 and "Invalid value" in reply.text, reply.text
    assert gw.key not in reply.text and "[redacted]" in reply.text
    openai = post(f"{gw.url}/v1/chat/completions", {"model": gw.key, "messages": [{"role": "user", "content": "hi"}]},
                  key=gw.key)
    assert openai.status == 404 and gw.key not in openai.text and "[redacted]" in openai.text, openai.text


def test_serve_logs_hold_no_echoed_key(echoing_fake, tmp_path):
    """The real `gemgate serve` process: its stderr (pool warnings, access log) never shows the key."""
    port = free_port()
    env = {
        "GEMGATE_DATA_DIR": str(tmp_path),
        "GEMGATE_MASTER_KEY": "m",
        "GEMGATE_CLIENT_KEYS": '["client-key-for-logs"]',
        "GEMGATE_UPSTREAMS__GEMINI_API__BASE_URL": echoing_fake.url,
        "GEMGATE_LOG_LEVEL": "debug",
    }
    runner = CliRunner(env=env)
    added = runner.invoke(app, ["accounts", "add-apikey", "--key-stdin", "--name", "s", "--skip-format-check"],
                          input=SHORT_KEY + "\n")
    assert added.exit_code == 0, added.output
    proc, lines = spawn_gemgate(["serve", "--port", str(port)], env, "startup complete")
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url)
        reply = post(f"{url}/v1/chat/completions",
                     {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "hi"}]},
                     key="client-key-for-logs")
        assert reply.status >= 400 and SHORT_KEY not in reply.text
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        out, _ = proc.communicate(timeout=10)
    log = "".join(lines) + (out or "")
    assert "disabled" in log and "[redacted]" in log, log
    assert SHORT_KEY not in log
