"""A newcomer's first hour (issue 6 §9): the README's commands, a busy port, the start-up banner, a
gateway without accounts, and the CLI's refusals — each as a newcomer meets it, through real processes."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.gateway import free_port
from tests.support.http import get
from tests.support.processes import spawn_gemgate

README = Path(__file__).resolve().parents[2] / "README.md"


def _blocks(text: str) -> list[str]:
    return re.findall(r"```bash\n(.*?)```", text, flags=re.S)


def _section(text: str, title: str) -> str:
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def test_readme_first_two_commands_are_unchanged():
    blocks = _blocks(README.read_text())
    assert blocks[0].strip() == "python3 -m venv .venv && . .venv/bin/activate && pip install . && gemgate serve"
    assert blocks[1].strip() == "./scripts/test"


def test_readme_sandbox_runs_beside_the_first_server():
    text = README.read_text()
    served = re.search(r"runs the server on `127\.0\.0\.1:(\d+)`", text)
    assert served, "the README says where the first command's server listens"
    serve_port = int(served.group(1))
    offline = _section(text, "Try it offline first")
    command = next(b for b in _blocks(offline) if "gemgate sandbox" in b)
    assert ". .venv/bin/activate" in command, "a second terminal has no venv active yet"
    assert "second terminal" in offline
    port = int(re.search(r"gemgate sandbox .*--port (\d+)", command).group(1))
    assert port != serve_port, "the sandbox must not collide with the server the first command still runs"
    urls = re.findall(r"http://127\.0\.0\.1:(\d+)", offline)
    assert urls and all(int(u) == port for u in urls), "every URL in the section points at the sandbox"
    assert f"gemgate sandbox ready: http://127.0.0.1:{port}" in offline


def test_readme_says_where_state_lives():
    text = README.read_text()
    for needle in ("~/.local/share/gemgate", "gemgate.db", "master.key", "platformdirs"):
        assert needle in text
    from gemgate.config import default_data_dir

    if sys.platform.startswith("linux") and not os.environ.get("XDG_DATA_HOME"):
        assert str(default_data_dir()) == os.path.expanduser("~/.local/share/gemgate")


def _gemgate(args, env, timeout=30) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gemgate", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def busy_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@pytest.mark.parametrize("command", [["serve"], ["sandbox", "--api-key", "x"]])
def test_busy_port_is_one_clear_line(command, busy_port, tmp_path):
    env = {"GEMGATE_DATA_DIR": str(tmp_path), "GEMGATE_MASTER_KEY": "m"}
    done = _gemgate([*command, "--port", str(busy_port)], env)
    out = done.stdout + done.stderr
    assert done.returncode != 0
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1, out
    line = lines[0]
    assert f"127.0.0.1:{busy_port}" in line and "already in use" in line and "--port" in line
    assert "Traceback" not in out and "listening on" not in out and "sandbox ready" not in out
    assert not (tmp_path / "gemgate.db").exists(), "nothing is created (no client key shown to nobody)"




def _stop(proc) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(10)


def test_banner_names_data_dir_database_and_key_file(tmp_path):
    port = free_port()
    data = tmp_path / "data"
    env = {"GEMGATE_DATA_DIR": str(data), "COLUMNS": "60"}
    env_clean = {k: v for k, v in os.environ.items() if k != "GEMGATE_MASTER_KEY"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gemgate", "serve", "--port", str(port)],
        env={**env_clean, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        out = ""
        deadline = time.monotonic() + 20
        while "Clients send it" not in out and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            out += line
        assert f"data directory: {data}\n" in out, out
        assert f"database: {data / 'gemgate.db'}\n" in out, out
        assert f"master key file: {data / 'master.key'}" in out, out
        assert out.index("listening on") < out.index("data directory")
    finally:
        _stop(proc)


def test_banner_with_master_key_from_the_environment(tmp_path):
    port = free_port()
    proc, lines = spawn_gemgate(
        ["serve", "--port", str(port)], {"GEMGATE_DATA_DIR": str(tmp_path), "GEMGATE_MASTER_KEY": "m"}, "client keys"
    )
    try:
        out = "".join(lines)
        assert f"data directory: {tmp_path}" in out and f"database: {tmp_path / 'gemgate.db'}" in out
        assert "master key: from the master_key setting (GEMGATE_MASTER_KEY)" in out
        assert str(tmp_path / "master.key") not in out
    finally:
        _stop(proc)


def test_sandbox_beside_a_running_server(tmp_path):
    """The README's sequence: a server on one port, the sandbox on another, both answer."""
    serve_port, sandbox_port = free_port(), free_port()
    env = {"GEMGATE_DATA_DIR": str(tmp_path), "GEMGATE_MASTER_KEY": "m"}
    server, _ = spawn_gemgate(["serve", "--port", str(serve_port)], env, "client keys")
    try:
        sandbox, lines = spawn_gemgate(["sandbox", "--port", str(sandbox_port), "--api-key", "try-me"], {}, "ready")
        try:
            assert f"gemgate sandbox ready: http://127.0.0.1:{sandbox_port}" in lines[-1]
            assert get(f"http://127.0.0.1:{sandbox_port}/v1/models", key="try-me").status == 200
        finally:
            _stop(sandbox)
    finally:
        _stop(server)


# no accounts at all


@pytest.fixture
def empty_gateway(fake_api, tmp_path):
    from tests.support.gateway import GatewayThread

    with GatewayThread(tmp_path / "empty", fake_api.url, []) as server:
        yield server


def _says_no_account(message: str) -> None:
    assert "No upstream account is configured" in message, message
    # every way, as `gemgate serve` names them; never the key typed on the command line, which the README
    # advises against (was: `gemgate accounts add-apikey <GEMINI_API_KEY>`)
    for command in ("gemgate accounts add-apikey --name NAME", "gemgate login", "gemgate import"):
        assert command in message, message
    assert "<GEMINI_API_KEY>" not in message, message
    assert "does not exist" not in message


@pytest.mark.parametrize("stream", [False, True])
def test_no_accounts_openai(empty_gateway, stream):
    from tests.support.gateway import chat

    r = chat(empty_gateway, {"model": "gemini-2.5-flash", "stream": stream, "messages": [{"role": "user", "content": "hi"}]})
    assert r.status == 503, r.body
    error = r.json()["error"]
    assert error["code"] == "no_accounts" and error["type"] == "server_error"
    _says_no_account(error["message"])


@pytest.mark.parametrize("method", ["generateContent", "streamGenerateContent?alt=sse", "countTokens"])
def test_no_accounts_gemini_native(empty_gateway, method):
    from tests.support.http import post

    body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    r = post(f"{empty_gateway.url}/v1beta/models/gemini-2.5-flash:{method}", body, key=empty_gateway.key)
    assert r.status == 503, r.body
    error = r.json()["error"]
    assert error["code"] == 503 and error["status"] == "UNAVAILABLE"
    _says_no_account(error["message"])


def test_unknown_model_with_accounts_is_still_404(gw):
    from tests.support.gateway import chat

    r = chat(gw, {"model": "gemini-nonexistent-9", "messages": [{"role": "user", "content": "hi"}]})
    assert r.status == 404 and r.json()["error"]["code"] == "model_not_found"
    assert "does not exist" in r.json()["error"]["message"]


def test_first_account_added_makes_the_gateway_answer(empty_gateway):
    import asyncio

    from gemgate.sandbox import seed_api_key_accounts
    from tests.support.gateway import chat

    asyncio.run(seed_api_key_accounts(empty_gateway.settings, ["fake-key-alpha"], prefix="late"))
    body = {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "now"}]}
    deadline = time.monotonic() + 5
    while (r := chat(empty_gateway, body)).status != 200 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert r.status == 200 and "echo: now" in r.text


# keepalives


def _time_to_first_keepalive(url: str, key: str, path: str, body: dict) -> tuple[float, bytes]:
    """Seconds from sending a streaming request to the first byte of the body, and that first piece."""
    import json
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    payload = json.dumps(body).encode()
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        request = (
            f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nAuthorization: Bearer {key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
        ).encode() + payload
        sent = time.monotonic()
        sock.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(65536)
        head, _, rest = data.partition(b"\r\n\r\n")
        assert b" 200 " in head.split(b"\r\n")[0], head
        while not rest:
            rest += sock.recv(65536)
        return time.monotonic() - sent, rest


@pytest.mark.parametrize("dialect", ["openai", "gemini"])
def test_first_keepalive_after_one_interval(make_gateway, dialect):
    server = make_gateway(keepalive_seconds=0.6)
    if dialect == "openai":
        path = "/v1/chat/completions"
        body = {"model": "gemini-2.5-flash", "stream": True, "messages": [{"role": "user", "content": "SLOW 3\nhi"}]}
    else:
        path = "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
        body = {"contents": [{"role": "user", "parts": [{"text": "SLOW 3\nhi"}]}]}
    elapsed, first = _time_to_first_keepalive(server.url, server.key, path, body)
    assert b"echo" not in first, "the first bytes are a keepalive, not the answer"
    assert 0.5 <= elapsed < 1.0, f"first keepalive byte after {elapsed:.2f}s with keepalive_seconds=0.6"


# CLI changes reach a running server at once


def _within(check, limit: float) -> float:
    """Seconds until `check()` holds (polled every 5 ms), failing beyond `limit` + 1 s."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < limit + 1.0, "never applied"
        time.sleep(0.005)
    return time.monotonic() - start


def test_cli_changes_apply_within_100ms(make_gateway, monkeypatch):
    from typer.testing import CliRunner

    from gemgate.cli import app
    from tests.support.http import post

    server = make_gateway(api_keys=["fake-key-alpha"], state_sync_seconds=30.0)  # only the change signal helps
    monkeypatch.setenv("GEMGATE_DATA_DIR", str(server.settings.data_dir))
    monkeypatch.setenv("GEMGATE_MASTER_KEY", server.settings.master_key)
    runner = CliRunner()
    gateway = server.gateway
    body = {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "x"}]}

    created = runner.invoke(app, ["keys", "create", "--name", "fast"])
    assert created.exit_code == 0, created.output
    key = created.output.strip().splitlines()[-1]
    took = {"create": _within(lambda: gateway.keys.identify(key) is not None, 0.1)}
    assert post(f"{server.url}/v1/chat/completions", body, key=key).status == 200

    assert runner.invoke(app, ["keys", "revoke", "fast"]).exit_code == 0
    took["revoke"] = _within(lambda: gateway.keys.identify(key) is None, 0.1)
    assert post(f"{server.url}/v1/chat/completions", body, key=key).status == 401

    added = runner.invoke(app, ["accounts", "add-apikey", "fake-key-beta", "--name", "later", "--skip-format-check"])
    assert added.exit_code == 0, added.output
    took["add account"] = _within(lambda: len(gateway.pool.accounts) == 2, 0.1)
    assert runner.invoke(app, ["accounts", "disable", "later"]).exit_code == 0
    took["disable account"] = _within(
        lambda: any(not a.record.enabled for a in gateway.pool.accounts.values()), 0.1
    )
    slow = {what: s for what, s in took.items() if s > 0.1}
    assert not slow, f"applied after {took}"


# the command line refuses what a newcomer gets wrong

GOOD_KEY = "AIzaSyFIRSTHOUR0123456789abcdefghijklmn"


@pytest.fixture
def cli(tmp_path, monkeypatch, fake_api):
    from typer.testing import CliRunner

    from gemgate.cli import app

    monkeypatch.setenv("GEMGATE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("GEMGATE_MASTER_KEY", "first-hour")
    monkeypatch.setenv("GEMGATE_UPSTREAMS__GEMINI_API__BASE_URL", fake_api.url)
    runner = CliRunner(env={"COLUMNS": "250"})
    return lambda *args: runner.invoke(app, list(args))


def test_keys_same_name_twice_and_revoke(cli):
    assert cli("keys", "create", "--name", "laptop").exit_code == 0
    again = cli("keys", "create", "--name", "laptop")
    assert again.exit_code == 1 and "'laptop' exists already" in again.output
    assert cli("keys", "list").output.count("laptop") == 1
    revoked = cli("keys", "revoke", "laptop")
    assert revoked.exit_code == 0 and "revoked 'laptop'" in revoked.output
    assert cli("keys", "create", "--name", "laptop").exit_code == 0, "a revoked key's name is free again"


def test_keys_revoking_an_ambiguous_name_refuses_and_lists_the_matches(cli):
    import asyncio

    from gemgate.config import load_settings
    from gemgate.store import ClientKeyRecord, open_store

    async def two_with_one_name():  # as an older version could leave them
        store = await open_store(load_settings(None))
        try:
            for i in (1, 2):
                await store.add_client_key(ClientKeyRecord(id=f"id-{i}", name="dup", key_hash=f"h{i}", prefix=f"gg-{i}"))
        finally:
            await store.close()

    asyncio.run(two_with_one_name())
    result = cli("keys", "revoke", "dup")
    assert result.exit_code == 1 and "matches 2 active client keys" in result.output
    assert "id-1" in result.output and "id-2" in result.output
    assert "revoked" not in cli("keys", "list").output.lower().split("created")[0]
    assert cli("keys", "revoke", "id-1").exit_code == 0


@pytest.mark.parametrize(
    "key, fragment",
    [("", "is empty"), ("notakey", "does not look like a Gemini API key"), ("AIza-too-short", "39 characters")],
)
def test_add_apikey_refuses_malformed_keys(cli, key, fragment):
    result = cli("accounts", "add-apikey", key, "--name", "x")
    assert result.exit_code == 1 and fragment in result.output and "'AIza'" in result.output
    assert "Traceback" not in result.output and "x" not in cli("accounts", "list").output.split("\n", 3)[-1]


def test_add_apikey_refuses_the_same_key_twice_and_bad_proxies(cli):
    assert cli("accounts", "add-apikey", GOOD_KEY, "--name", "one").exit_code == 0
    twice = cli("accounts", "add-apikey", GOOD_KEY, "--name", "two")
    assert twice.exit_code == 1 and "in the pool already, as account 'one'" in twice.output
    assert GOOD_KEY not in twice.output
    bad = cli("accounts", "add-apikey", "AIzaSyOTHER00000123456789abcdefghijklmn", "--name", "p", "--proxy", "not a url")
    assert bad.exit_code == 1 and "proxy must be an http, https or socks5 URL" in bad.output


def test_accounts_list_shows_masked_key_and_proxy(cli):
    other = "AIzaSyOTHER00000123456789abcdefghijklmn"
    assert cli("accounts", "add-apikey", GOOD_KEY, "--name", "one", "--proxy", "http://me:hunter2@10.1.2.3:3128").exit_code == 0
    added = cli("accounts", "add-apikey", other, "--name", "two")
    assert f"(AIza…{other[-4:]})" in added.output
    listing = cli("accounts", "list").output
    assert "credential" in listing and "proxy" in listing
    assert f"AIza…{GOOD_KEY[-4:]}" in listing and f"AIza…{other[-4:]}" in listing
    assert "http://me:***@10.1.2.3:3128" in listing and "hunter2" not in listing
    assert GOOD_KEY not in listing and other not in listing


def test_add_apikey_check_asks_the_upstream_first(cli):
    ok = cli("accounts", "add-apikey", "fake-key-gamma", "--name", "g", "--skip-format-check", "--check")
    assert ok.exit_code == 0 and "the key works" in ok.output, ok.output
    refused = cli("accounts", "add-apikey", "fake-key-unknown", "--name", "u", "--skip-format-check", "--check")
    assert refused.exit_code == 1 and "the check failed, nothing was added" in refused.output, refused.output
    assert "Traceback" not in refused.output and "fake-key-unknown" not in refused.output
    listing = cli("accounts", "list").output
    assert " g " in listing and " u " not in listing
    malformed = cli("accounts", "add-apikey", "fake-key-delta", "--name", "d", "--check")
    assert malformed.exit_code == 1 and "--skip-format-check" in malformed.output
