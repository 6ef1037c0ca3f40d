"""The command line: keys, accounts, serve start-up, sandbox — and that a running server sees CLI changes."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

from gemgate.cli import app

from tests.support.gateway import free_port
from tests.support.http import get, post, wait_healthy
from tests.support.processes import spawn_gemgate

runner = CliRunner(env={"COLUMNS": "250"})


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    env = {"GEMGATE_DATA_DIR": str(tmp_path), "GEMGATE_MASTER_KEY": "cli-test-master"}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env


def run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_keys_lifecycle(cli_env):
    out = run("keys", "create", "--name", "laptop")
    key = out.strip().splitlines()[-1]
    assert key.startswith("gg-") and len(key) > 30
    listing = run("keys", "list")
    assert "laptop" in listing and key not in listing
    run("keys", "revoke", "laptop")
    assert runner.invoke(app, ["keys", "revoke", "laptop"]).exit_code == 1


def test_accounts_lifecycle_and_encryption(cli_env, tmp_path):
    secret = "AIzaSyTESTKEY0123456789abcdefghijklmnop"
    run("accounts", "add-apikey", secret, "--name", "main", "--proxy", "http://127.0.0.1:3128")
    assert runner.invoke(app, ["accounts", "add-apikey", "other", "--name", "main"]).exit_code == 1
    listing = run("accounts", "list")
    assert "main" in listing and "gemini-api" in listing and "ok" in listing
    assert secret not in listing
    raw = (tmp_path / "gemgate.db").read_bytes() + (tmp_path / "gemgate.db-wal").read_bytes() if (tmp_path / "gemgate.db-wal").exists() else (tmp_path / "gemgate.db").read_bytes()
    assert secret.encode() not in raw, "API keys are encrypted at rest"
    run("accounts", "disable", "main")
    assert "disabled" in run("accounts", "list")
    run("accounts", "enable", "main")
    assert "ok" in run("accounts", "list")
    run("accounts", "remove", "main")
    assert "main" not in run("accounts", "list")
    assert runner.invoke(app, ["accounts", "remove", "main"]).exit_code == 1


def test_master_key_file_is_private(tmp_path, monkeypatch):
    monkeypatch.setenv("GEMGATE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("GEMGATE_MASTER_KEY", raising=False)
    run("accounts", "add-apikey", "AIzaSyTESTKEY0123456789abcdefghijklmnop", "--name", "k")
    key_file = tmp_path / "master.key"
    assert key_file.exists() and (key_file.stat().st_mode & 0o777) == 0o600
    monkeypatch.setenv("GEMGATE_MASTER_KEY", "a different key")
    result = runner.invoke(app, ["accounts", "list"])
    assert result.exit_code == 2 and "master key differs" in " ".join(result.output.split())


def test_config_file_and_environment(tmp_path, monkeypatch):
    from gemgate.config import load_settings

    cfg = tmp_path / "gemgate.toml"
    cfg.write_text('port = 9001\nhost = "0.0.0.0"\nclient_keys = ["from-file"]\n[aliases]\nfast = "gemini-2.5-flash-lite"\n')
    monkeypatch.setenv("GEMGATE_PORT", "9002")
    settings = load_settings(cfg)
    assert settings.port == 9002, "the environment wins over the file"
    assert settings.host == "0.0.0.0" and settings.client_keys == ["from-file"]
    assert settings.aliases == {"fast": "gemini-2.5-flash-lite"}
    assert load_settings(cfg, port=9003).port == 9003, "flags win over both"
    with pytest.raises(FileNotFoundError):
        load_settings(tmp_path / "missing.toml")




def test_serve_first_start_makes_a_key(tmp_path, fake_api):
    port = free_port()
    env = {
        "GEMGATE_DATA_DIR": str(tmp_path),
        "GEMGATE_MASTER_KEY": "m",
        "GEMGATE_UPSTREAMS__GEMINI_API__BASE_URL": fake_api.url,
    }
    subprocess.run([sys.executable, "-m", "gemgate", "accounts", "add-apikey", "fake-key-alpha", "--name", "a", "--skip-format-check"], env={**os.environ, **env}, check=True, capture_output=True)
    proc, lines = spawn_gemgate(["serve", "--port", str(port)], env, "Clients send it")
    try:
        out = "".join(lines)
        assert "gemgate 0.1.0" in out and f"127.0.0.1:{port}" in out
        assert "accounts: 1 gemini-api" in out and "client keys: 1" in out
        key = re.search(r"(gg-\S+)", out).group(1)
        # rich wraps at 80 columns off a terminal: the key's lines are printed unwrapped, as written
        assert "Clients send it as 'Authorization: Bearer <key>' (or x-api-key / x-goog-api-key)." in out, out
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url)
        assert get(f"{url}/v1/models").status == 401, "never runs open"
        r = post(f"{url}/v1/chat/completions", {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "hi"}]}, key=key)
        assert r.status == 200 and "echo: hi" in r.text
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)


def test_serve_with_no_account_names_each_way_to_add_one(tmp_path):
    env = {"GEMGATE_DATA_DIR": str(tmp_path), "GEMGATE_MASTER_KEY": "m"}
    proc, lines = spawn_gemgate(["serve", "--port", str(free_port())], env, "Clients send it")
    try:
        out = "".join(lines)
        assert "accounts: none" in out
        for command in ("gemgate accounts add-apikey", "gemgate login", "gemgate import"):
            assert command in out, out
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)


def test_sandbox_command():
    port = free_port()
    proc, lines = spawn_gemgate(["sandbox", "--port", str(port), "--api-key", "try-me"], {}, "gemgate sandbox ready")
    try:
        assert f"gemgate sandbox ready: http://127.0.0.1:{port}" in lines[-1]
        url = f"http://127.0.0.1:{port}"
        models = get(f"{url}/v1/models", key="try-me").json()
        assert "gemini-2.5-flash" in {m["id"] for m in models["data"]}
        r = post(f"{url}/v1/chat/completions", {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "sandbox"}]}, key="try-me")
        assert "echo: sandbox" in r.json()["choices"][0]["message"]["content"]
        r = post(f"{url}/v1beta/models/gemini-2.5-flash:generateContent", {"contents": [{"parts": [{"text": "g"}]}]}, headers={"x-goog-api-key": "try-me"})
        assert r.status == 200
        # The printed line says how to reach its throwaway data with the CLI (a new user could not).
        manage = next(line for line in lines if "manage its accounts:" in line).split("manage its accounts:", 1)[1].split()
        env = dict(item.split("=", 1) for item in manage if "=" in item)
        listing = CliRunner().invoke(app, ["accounts", "list"], env=env)
        assert listing.exit_code == 0 and "sandbox-apikey-1" in listing.output, listing.output
        data_dir = Path(env["GEMGATE_DATA_DIR"])
        assert data_dir.is_dir()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
    assert not data_dir.exists(), "SIGTERM leaves no throwaway data behind"


def test_running_server_sees_cli_changes(make_gateway, monkeypatch):
    server = make_gateway(api_keys=["fake-key-alpha"])
    monkeypatch.setenv("GEMGATE_DATA_DIR", str(server.settings.data_dir))
    monkeypatch.setenv("GEMGATE_MASTER_KEY", server.settings.master_key)
    key = run("keys", "create", "--name", "late").strip().splitlines()[-1]
    body = {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "x"}]}
    assert _eventually(lambda: post(f"{server.url}/v1/chat/completions", body, key=key).status == 200)
    run("keys", "revoke", "late")
    assert _eventually(lambda: post(f"{server.url}/v1/chat/completions", body, key=key).status == 401)
    run("accounts", "add-apikey", "fake-key-beta", "--name", "added-later", "--skip-format-check")
    assert _eventually(lambda: len(server.gateway.pool.accounts) == 2)
    run("accounts", "disable", "acct-1")
    assert _eventually(lambda: any(not a.record.enabled for a in server.gateway.pool.accounts.values()))
    for _ in range(3):
        assert post(f"{server.url}/v1/chat/completions", body, key=server.key).status == 200


def test_cooldowns_show_in_accounts_list(make_gateway, monkeypatch):
    server = make_gateway()
    body = {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "FAIL-ONCE 429\nlisted"}]}
    assert post(f"{server.url}/v1/chat/completions", body, key=server.key).status == 200
    monkeypatch.setenv("GEMGATE_DATA_DIR", str(server.settings.data_dir))
    monkeypatch.setenv("GEMGATE_MASTER_KEY", server.settings.master_key)
    assert _eventually(lambda: "cooling" in run("accounts", "list"))
    assert "gemini-2.5-flash" in run("accounts", "list")


def _in_store(fn):
    """Run `fn(store)` on the store the CLI uses (the environment's data dir and master key)."""
    import asyncio

    from gemgate.config import load_settings
    from gemgate.store import open_store

    async def go():
        store = await open_store(load_settings(None))
        try:
            return await fn(store)
        finally:
            await store.close()

    return asyncio.run(go())


def test_accounts_reset_clears_cooldowns(cli_env):
    from gemgate.store import HealthRecord

    run("accounts", "add-apikey", "AIzaSyTESTKEY0123456789abcdefghijklmnop", "--name", "main")
    account_id = _in_store(lambda store: store.find_account("main")).id
    until = time.time() + 600

    async def put(store):
        await store.put_health(HealthRecord(account_id, "*", "cooling", until + 60, "quota_exhausted: daily"))
        await store.put_health(HealthRecord(account_id, "gemini-2.5-flash", "cooling", until, "rate_limited: 429"))

    _in_store(put)
    listing = run("accounts", "list")
    assert "cooling (gemini-2.5-flash)" in listing and "rate_limited: 429" in listing

    out = run("accounts", "reset", "main", "--model", "gemini-2.5-flash")
    assert "cleared 1 cooldown for gemini-2.5-flash on 'main'" in out
    listing = run("accounts", "list")
    assert "cooling (account)" in listing and "quota_exhausted: daily" in listing

    run("accounts", "disable", "main", "--reason", "on-hold")
    assert "cleared 1 cooldown on 'main'" in run("accounts", "reset", "main")
    listing = run("accounts", "list")
    assert "disabled" in listing and "on-hold" in listing and "cooling" not in listing, "reset keeps it disabled"
    assert "cleared 0 cooldowns on 'main'" in run("accounts", "reset", "main")

    result = runner.invoke(app, ["accounts", "reset", "ghost"])
    assert result.exit_code == 1 and "no account named 'ghost'" in result.output


def test_cli_validation_errors_exit_1_without_secrets(cli_env):
    secret = "AIzaSyTESTKEY0123456789abcdefghijklmnop"
    result = runner.invoke(app, ["accounts", "add-apikey", secret, "--name", "m", "--proxy", "ftp://u:hunter2@h:1"])
    assert result.exit_code == 1 and "proxy must be an http, https or socks5 URL" in result.output
    assert "hunter2" not in result.output and secret not in result.output
    result = runner.invoke(app, ["accounts", "add-apikey", secret, "--name", "bad name"])
    assert result.exit_code == 1 and "account name may contain only" in result.output
    result = runner.invoke(app, ["keys", "create", "--name", "x" * 65])
    assert result.exit_code == 1 and "key name" in result.output
    assert _in_store(lambda store: store.list_accounts()) == []
    assert _in_store(lambda store: store.list_client_keys(include_revoked=True)) == []


def test_running_server_sees_accounts_reset(make_gateway, monkeypatch):
    server = make_gateway()
    body = {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "FAIL-ONCE 429\nreset me"}]}
    assert post(f"{server.url}/v1/chat/completions", body, key=server.key).status == 200
    pool = server.gateway.pool
    assert _eventually(lambda: any(a.cooldowns for a in pool.accounts.values()))
    monkeypatch.setenv("GEMGATE_DATA_DIR", str(server.settings.data_dir))
    monkeypatch.setenv("GEMGATE_MASTER_KEY", server.settings.master_key)
    assert _eventually(lambda: "cooling" in run("accounts", "list"))
    for name in ("acct-1", "acct-2"):
        run("accounts", "reset", name)
    assert _eventually(lambda: not any(a.cooldowns for a in pool.accounts.values())), "the pool drops them too"
    assert "cooling" not in run("accounts", "list")


def _eventually(check, timeout=5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def test_accounts_list_is_readable_in_80_columns(make_gateway, monkeypatch):
    """Ten columns in an 80-column terminal shrank to two letters each (found trying it as a new user): empty
    columns are left out, and when the rest still do not fit, each account is printed as a block."""
    server = make_gateway()
    monkeypatch.setenv("GEMGATE_DATA_DIR", str(server.settings.data_dir))
    monkeypatch.setenv("GEMGATE_MASTER_KEY", server.settings.master_key)
    run("accounts", "disable", "acct-1")
    narrow = CliRunner(env={"COLUMNS": "80"}).invoke(app, ["accounts", "list"]).output
    assert "acct-1\n" in narrow and "  state: disabled" in narrow and "  reason: disabled by hand" in narrow
    assert "proxy" not in narrow and "last error" not in narrow  # empty for every account
    wide = run("accounts", "list")
    assert "┃ name" in wide and "disabled by hand" in wide and "proxy" not in wide
