"""`gemgate import config.json` from the cookie-based OpenAI server gemgate replaces (the gemini-web2api config
shape: `accounts` with cookie_file/auth_user/proxy/xsrf_token/label/enabled, the global proxy, api_keys,
default_model, gemini_bl, retry_attempts, request_timeout_sec): a dry run writes nothing; the import adds the
web accounts from their cookie files (relative to the config), the client keys and the settings; and a request
naming no model gets the default model."""

from __future__ import annotations

import asyncio
import json
import tomllib

import pytest
from typer.testing import CliRunner

from gemgate.auth import KeyRing
from gemgate.cli import app
from gemgate.config import load_settings
from gemgate.store import open_store
from tests.support.gateway import chat
from tests.support.web import WebGateway, psid, running_web_fake

runner = CliRunner(env={"COLUMNS": "250"})


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    data = tmp_path / "data"
    monkeypatch.setenv("GEMGATE_DATA_DIR", str(data))
    monkeypatch.setenv("GEMGATE_MASTER_KEY", "import-test-master")
    return data


def their_config(folder) -> dict:
    """A realistic config of theirs: two accounts (one disabled), keys, a default model, its tuning."""
    (folder / "cookies").mkdir()
    (folder / "cookies" / "main.txt").write_text(f"__Secure-1PSID={psid('main')}; __Secure-1PSIDTS=ts-main\n")
    (folder / "second.json").write_text(json.dumps({"cookie": f"__Secure-1PSID={psid('second')}; __Secure-1PSIDTS=ts-2",
                                                     "sapisid": "sap-2"}))
    config = {
        "port": 8081, "host": "127.0.0.1", "retry_attempts": 4, "retry_delay_sec": 2, "request_timeout_sec": 180,
        "gemini_bl": "boq_assistant-bard-web-server_20260716.08_p0", "default_model": "gemini-3.5-flash",
        "proxy": "http://user:hunter22@proxy.local:3128", "api_keys": ["sk-their-first-key", "sk-their-second-key"],
        "cookie_file": "cookies/main.txt", "auth_user": "1", "xsrf_token": "AOOh0Psecret",
        "accounts": [
            {"auth_user": "1", "label": "main", "cookie_file": "cookies/main.txt", "xsrf_token": "AOOh0Psecret",
             "enabled": True},
            {"auth_user": 0, "label": "second", "cookie_file": "second.json", "proxy": "socks5://10.0.0.2:1080",
             "enabled": False},
        ],
        "active_account": 0,
    }
    path = folder / "config.json"
    path.write_text(json.dumps(config, indent=2))
    return config


def stored(settings):
    async def read():
        store = await open_store(settings)
        try:
            return {a.name: a for a in await store.list_accounts()}, await store.list_client_keys()
        finally:
            await store.close()

    return asyncio.run(read())


def test_dry_run_then_import(cli_env, tmp_path):
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    their_config(theirs)
    dry = runner.invoke(app, ["import", str(theirs / "config.json"), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    out = " ".join(dry.output.split())
    assert "dry run, nothing was written" in out and out.count("would add") >= 3  # two accounts, the keys
    assert "would add 2 of 2" in out and "setting default_model = 'gemini-3.5-flash': would set" in out
    assert "gemini_bl and xsrf_token are used only when the app page carries no build label or XSRF token" in out
    assert "AOOh0Psecret" not in dry.output  # an XSRF token is a session secret
    assert "hunter22" not in dry.output and "sk-their" not in dry.output and psid("main") not in dry.output
    assert not (cli_env / "config.toml").exists() and stored(load_settings(None))[0] == {}

    done = runner.invoke(app, ["import", str(theirs / "config.json")])
    assert done.exit_code == 0, done.output
    out = " ".join(done.output.split())
    assert "added 2 of 2" in out and "hunter22" not in done.output
    written = tomllib.loads((cli_env / "config.toml").read_text())
    assert written["default_model"] == "gemini-3.5-flash" and written["max_attempts"] == 4
    assert written["upstreams"]["gemini_web"] == {"first_byte_timeout": 180.0, "idle_timeout": 180.0,
                                                  "build_label": "boq_assistant-bard-web-server_20260716.08_p0"}
    settings = load_settings(None)
    assert settings.default_model == "gemini-3.5-flash" and settings.max_attempts == 4
    accounts, keys = stored(settings)
    main, second = accounts["main"], accounts["second"]
    assert main.secret["cookie"] == f"__Secure-1PSID={psid('main')}; __Secure-1PSIDTS=ts-main"
    assert main.secret["xsrf_token"] == "AOOh0Psecret" and "xsrf_token" not in second.secret
    assert main.secret["auth_user"] == 1 and main.secret["cookie_file"] == str((theirs / "cookies" / "main.txt").resolve())
    assert main.proxy == "http://user:hunter22@proxy.local:3128" and main.enabled  # the global proxy
    assert second.proxy == "socks5://10.0.0.2:1080" and not second.enabled and second.secret["auth_user"] == 0
    assert "SAPISID=sap-2" in second.secret["cookie"]
    ring = KeyRing([])
    ring.load(keys)
    assert ring.identify("sk-their-first-key") and ring.identify("sk-their-second-key") and not ring.identify("sk-x")

    dry_again = runner.invoke(app, ["import", str(theirs / "config.json"), "--dry-run"])  # says what the import will do
    out = " ".join(dry_again.output.split())
    assert "would skip: an account named 'main' exists already" in out and "would add 0 of 2" in out, out
    assert "would add " not in out.replace("would add 0 of 2", "")

    again = runner.invoke(app, ["import", str(theirs / "config.json")])  # nothing doubled
    out = " ".join(again.output.split())
    assert "skipped" in out and "added 0 of 2" in out and "unchanged" in out
    assert len(stored(settings)[0]) == 2


def test_a_missing_cookie_file_is_an_error_the_rest_is_imported(cli_env, tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"cookie_file": "nowhere.txt", "api_keys": ["sk-only-one-key"]}))
    result = runner.invoke(app, ["import", str(tmp_path / "config.json")])
    assert result.exit_code == 1 and "cannot read the cookie file" in result.output
    assert len(stored(load_settings(None))[1]) == 1


def test_a_request_without_a_model_gets_the_default_model(tmp_path):
    with running_web_fake() as fake:
        fake.account(psid("dflt"))
        gw = WebGateway(tmp_path, fake.url, {"web-dflt": {"cookie": f"__Secure-1PSID={psid('dflt')}"}},
                        default_model="gemini-web/pro").start()
        try:
            reply = chat(gw, {"messages": [{"role": "user", "content": "hi"}]})
            assert reply.status == 200, reply.text
            assert reply.json()["model"] == "gemini-web/pro"
            assert fake.requests_to("StreamGenerate")[-1].model == "9d8ca3786ebdfbea"  # Pro's id
        finally:
            gw.stop()


def test_the_replaced_servers_model_ids_are_served(tmp_path):
    # 782042369/gemini-web2api's config.example.json defaults to gemini-3.6-flash (its models.py falls back to
    # 3.8); gemini_webapi users say gemini-pro. An imported default_model, and clients, keep working.
    with running_web_fake() as fake:
        fake.account(psid("ids"))
        gw = WebGateway(tmp_path, fake.url, {"web-ids": {"cookie": f"__Secure-1PSID={psid('ids')}"}},
                        default_model="gemini-3.6-flash").start()
        try:
            assert chat(gw, {"messages": [{"role": "user", "content": "hi"}]}).status == 200
            for model, row in (("gemini-3.8-flash", "fbb127bbb056c959"), ("gemini-pro", "9d8ca3786ebdfbea")):
                reply = chat(gw, {"model": model, "messages": [{"role": "user", "content": "hi"}]})
                assert reply.status == 200, reply.text
                assert fake.requests_to("StreamGenerate")[-1].model == row
        finally:
            gw.stop()
