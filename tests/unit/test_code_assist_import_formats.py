"""`gemgate import` without a network: every credential format recognised from its documented shape
(reference/antigravity.md §1.4, codeassist-and-gemini-api.md A1), the merge rule, and the sources — zip
archives (a zip bomb refused), base64, directories, environment variables."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import zipfile
from datetime import datetime, timezone

import pytest

from gemgate.errors import Failure, UpstreamError
from gemgate.upstreams.code_assist import CodeAssist, formats, sources
from gemgate.upstreams.code_assist.importer import Importer, merged
from gemgate.upstreams.code_assist.profiles import ANTIGRAVITY, GEMINI_CLI

EXPIRY = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)


def oauth_creds(**extra) -> dict:
    """~/.gemini/oauth_creds.json (A1): expiry_date in ms."""
    return {"access_token": "ya29.a", "refresh_token": "1//r-oc", "scope": " ".join(GEMINI_CLI.scopes),
            "token_type": "Bearer", "expiry_date": EXPIRY.timestamp() * 1000, **extra}


def gcli2api(client=ANTIGRAVITY, **extra) -> dict:
    """A gcli2api credential (Google-auth style, §1.4)."""
    return {"client_id": client.client_id, "client_secret": client.client_secret, "token": "ya29.g",
            "refresh_token": "1//r-g", "scopes": list(client.scopes), "token_uri": "https://oauth2.googleapis.com/token",
            "project_id": "proj-g", "expiry": "2026-12-07T12:00:00.123456789Z", **extra}


def cliproxy(type_="antigravity", **extra) -> dict:
    """A CLIProxyAPI auth file (§1.4): expired RFC 3339, timestamp in ms."""
    return {"type": type_, "access_token": "ya29.c", "refresh_token": "1//r-c", "expires_in": 3599,
            "timestamp": 1765105200000, "expired": "2026-12-07T12:00:00Z", "email": "c@example.com",
            "project_id": "proj-c", **extra}


def manager(**token) -> dict:
    """An Antigravity-Manager account (§1.4, models/account.rs + models/token.rs): the documented `token`
    fields, plus account state fields the importer ignores."""
    return {"disabled": False, "validation_blocked": False, "proxy_id": None, "token": {
        "access_token": "ya29.m", "refresh_token": "1//r-m", "expires_in": 3599,
        "expiry_timestamp": int(EXPIRY.timestamp()), "token_type": "Bearer", "email": "m@example.com",
        "project_id": "proj-m", "session_id": "-123", "is_gcp_tos": False, "id_token": None,
        "oauth_client_key": None, **token}}


def claude_proxy(**extra) -> dict:
    """One antigravity-claude-proxy accounts.json entry (§1.4: CLAUDE.md, credentials.js)."""
    return {"email": "p@example.com", "source": "oauth", "refreshToken": "1//r-p|proj-user|proj-managed",
            "subscription": {"tier": "g1-pro-tier", "projectId": "proj-sub"},
            "quota": {"models": {"gemini-3-flash": {"remainingFraction": 0.5, "resetTime": "2026-12-07T12:00:00Z"}}},
            "isInvalid": False, **extra}


def test_antigravity_manager_account():
    parsed = formats.parse(manager())
    assert parsed.format == "antigravity-manager"
    assert parsed.secret == {"profile": "antigravity", "refresh_token": "1//r-m", "access_token": "ya29.m",
                             "expiry": EXPIRY.timestamp(), "email": "m@example.com", "project_id": "proj-m",
                             "tier": None}
    assert formats.parse(manager(expiry_timestamp=int(EXPIRY.timestamp() * 1000))).secret["expiry"] == EXPIRY.timestamp()
    with pytest.raises(ValueError, match="antigravity client, not gemini-cli"):
        formats.parse(manager(), "gemini-cli")


def test_antigravity_claude_proxy_entry_with_project_suffixes():
    parsed = formats.parse(claude_proxy())
    assert parsed.format == "antigravity-claude-proxy"
    assert parsed.secret == {"profile": "antigravity", "refresh_token": "1//r-p", "access_token": None,
                             "expiry": None, "email": "p@example.com", "project_id": "proj-managed",
                             "tier": "g1-pro-tier"}
    assert formats.parse(claude_proxy(refreshToken="1//r-q|proj-user")).secret["project_id"] == "proj-user"
    assert formats.parse(claude_proxy(refreshToken="1//r-q")).secret["project_id"] == "proj-sub"
    listed = list(sources.from_paths([base64.b64encode(json.dumps([claude_proxy(), claude_proxy(email="q@example.com")]).encode()).decode()]))
    assert [formats.parse(i.data).secret["email"] for i in listed] == ["p@example.com", "q@example.com"]


def test_gemini_cli_oauth_creds_default_to_the_gemini_cli_profile():
    parsed = formats.parse(oauth_creds())
    assert parsed.format == "oauth_creds"
    assert parsed.secret["profile"] == "gemini-cli" and parsed.secret["expiry"] == EXPIRY.timestamp()
    assert parsed.secret["email"] is None and parsed.secret["refresh_token"] == "1//r-oc"
    assert formats.parse(oauth_creds(), "antigravity", "p1").secret.items() >= {"profile": "antigravity", "project_id": "p1"}.items()


@pytest.mark.parametrize("client,profile", [(ANTIGRAVITY, "antigravity"), (GEMINI_CLI, "gemini-cli")])
def test_gcli2api_profile_follows_the_client_id(client, profile):
    parsed = formats.parse(gcli2api(client))
    assert parsed.format == "gcli2api"
    assert parsed.secret == {"profile": profile, "refresh_token": "1//r-g", "access_token": "ya29.g",
                             "expiry": EXPIRY.timestamp() + 0.123456, "email": None, "project_id": "proj-g",
                             "tier": None}


def test_gcli2api_foreign_client_needs_profile_and_contradiction_is_refused():
    with pytest.raises(ValueError, match="--profile"):
        formats.parse(gcli2api(client_id="someone-else"))
    assert formats.parse(gcli2api(client_id="someone-else"), "gemini-cli").secret["profile"] == "gemini-cli"
    with pytest.raises(ValueError, match="antigravity client, not gemini-cli"):
        formats.parse(gcli2api(ANTIGRAVITY), "gemini-cli")


@pytest.mark.parametrize("type_,profile", [("antigravity", "antigravity"), ("gemini", "gemini-cli")])
def test_cliproxyapi(type_, profile):
    parsed = formats.parse(cliproxy(type_, proxy_url="socks5://127.0.0.1:1080"))
    assert parsed.format == "cliproxyapi" and parsed.proxy == "socks5://127.0.0.1:1080"
    assert parsed.secret.items() >= {"profile": profile, "email": "c@example.com", "project_id": "proj-c",
                                     "expiry": EXPIRY.timestamp(), "access_token": "ya29.c"}.items()


def test_cliproxyapi_expiry_from_timestamp_and_nested_token():
    data = {k: v for k, v in cliproxy().items() if k not in ("expired", "access_token", "refresh_token")}
    data["token"] = {"access_token": "ya29.n", "refresh_token": "1//r-n"}
    secret = formats.parse(data).secret
    assert secret["expiry"] == 1765105200 + 3599 and secret["refresh_token"] == "1//r-n"
    with pytest.raises(ValueError, match="not antigravity or gemini"):
        formats.parse(cliproxy("claude"))


def test_not_a_credential_says_why_without_echoing():
    with pytest.raises(ValueError, match="refresh_token"):
        formats.parse({"access_token": "ya29.secret-only"})
    with pytest.raises(ValueError, match="not an object"):
        formats.parse(["x"])
    with pytest.raises(ValueError, match="ISO 8601") as err:
        formats.parse(gcli2api(expiry="tomorrow"))
    assert "1//r-g" not in str(err.value)


def test_merge_keeps_the_newer_token_and_the_stored_project():
    stored = {"profile": "antigravity", "refresh_token": "old", "access_token": "a-old", "expiry": 100.0,
              "email": "e", "project_id": "kept", "tier": "t"}
    older = {**stored, "refresh_token": "older", "expiry": 50.0, "project_id": None, "tier": None}
    newer = {**stored, "refresh_token": "new", "access_token": "a-new", "expiry": 200.0, "project_id": None}
    assert merged(stored, older, False) == stored  # older, and names no project: nothing changes
    assert merged(stored, newer, False) == {**stored, "refresh_token": "new", "access_token": "a-new", "expiry": 200.0}
    assert merged(stored, older, True)["refresh_token"] == "older"  # the environment's copy wins
    assert merged(stored, {**older, "project_id": "named"}, False).items() >= {"project_id": "named", "tier": None}.items()


def zipped(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_zip_entries_at_any_depth_and_directories(tmp_path):
    (tmp_path / "d" / "sub").mkdir(parents=True)
    (tmp_path / "d" / "sub" / "a.zip").write_bytes(zipped({
        "creds/ag_proj-1.json": json.dumps(gcli2api()).encode(), "README.txt": b"skip me",
        "deep/er/c.json": json.dumps(cliproxy()).encode()}))
    (tmp_path / "d" / "b.json").write_text(json.dumps(oauth_creds()))
    (tmp_path / "d" / "notes.txt").write_text("ignored")
    items = list(sources.from_paths([str(tmp_path / "d")]))
    assert [i.label.split("/d/")[1] for i in items] == ["b.json", "sub/a.zip!creds/ag_proj-1.json", "sub/a.zip!deep/er/c.json"]
    assert [formats.detect(i.data) for i in items] == ["oauth_creds", "gcli2api", "cliproxyapi"]


def test_zip_bomb_is_refused_before_unpacking(tmp_path, monkeypatch):
    bomb = tmp_path / "bomb.zip"
    bomb.write_bytes(zipped({"x.json": b" " * (sources.MAX_ZIP_BYTES + 1)}))  # deflates to ~64 KB
    [item] = sources.from_paths([str(bomb)])
    assert item.error.startswith("refused") and item.data is None
    many = tmp_path / "many.zip"
    many.write_bytes(zipped({f"{i}.json": b"{}" for i in range(sources.MAX_ZIP_ENTRIES + 1)}))
    assert next(sources.from_paths([str(many)])).error.startswith("refused")


def test_zip_entry_lying_about_its_size_is_cut(tmp_path, monkeypatch):
    monkeypatch.setattr(sources, "MAX_FILE_BYTES", 100)
    path = tmp_path / "big.zip"
    path.write_bytes(zipped({"x.json": json.dumps(oauth_creds(pad="x" * 200)).encode()}))
    assert "larger than" in next(sources.from_paths([str(path)])).error


def test_base64_file_argument_and_lists(tmp_path):
    encoded = base64.b64encode(json.dumps(gcli2api()).encode()).decode()
    path = tmp_path / "cred.b64"
    path.write_text(encoded[:40] + "\n" + encoded[40:])
    assert formats.detect(next(sources.from_paths([str(path)])).data) == "gcli2api"
    urlsafe = base64.urlsafe_b64encode(json.dumps(oauth_creds()).encode()).decode().rstrip("=")
    [item] = sources.from_paths([urlsafe])
    assert item.label == "argument 1" and formats.detect(item.data) == "oauth_creds"
    listed = tmp_path / "list.json"
    listed.write_text(json.dumps([oauth_creds(), cliproxy()]))
    assert [i.label[-2:] for i in sources.from_paths([str(listed)])] == ["#1", "#2"]


def test_unreadable_inputs_become_items_with_reasons(tmp_path):
    (tmp_path / "bad.json").write_text("{nope")
    (tmp_path / "bad.zip").write_bytes(b"PK\x03\x04 broken")
    reasons = [i.error for i in sources.from_paths([str(tmp_path / "bad.json"), str(tmp_path / "bad.zip"),
                                                    "missing.json", "x" * 60])]
    assert reasons[0] == "neither JSON nor base64 of JSON"
    assert reasons[1] in ("not a valid zip archive", "neither JSON nor base64 of JSON")
    assert reasons[2] == "no such file or directory" and reasons[3].startswith("no such file, and")


def test_environment_variables_in_name_order_and_preferred():
    env = {"GCLI_CREDS_2": json.dumps(gcli2api()), "GCLI_CREDS_1": base64.b64encode(json.dumps(cliproxy()).encode()).decode(),
           "GCP_SERVICE_ACCOUNT": json.dumps(oauth_creds()), "GCLI_CREDS_EMPTY": " ", "HOME": "/root"}
    items = list(sources.from_environment(env))
    assert [i.label for i in items] == ["env GCLI_CREDS_1", "env GCLI_CREDS_2", "env GCP_SERVICE_ACCOUNT"]
    assert all(i.preferred for i in items)
    assert [formats.detect(i.data) for i in items] == ["cliproxyapi", "gcli2api", "oauth_creds"]


def test_a_token_echoed_in_a_reason_is_redacted():
    """The tokens being imported are registered for redaction while they are held: a refusal that quotes one
    (as an upstream may) shows "[redacted]" in the table."""
    class Echoing:
        secret_values = CodeAssist.secret_values

        async def identify(self, secret, proxy):
            raise UpstreamError(Failure.AUTH_EXPIRED, f"bad token {secret['refresh_token']}")

    creds = oauth_creds(refresh_token="1//0gSecretRefreshTokenValue123")
    [row] = asyncio.run(Importer(Echoing(), store=None).run([sources.Item("f.json", creds)]))
    assert row.result == "error" and "1//0gSecretRefreshTokenValue123" not in row.reason
    assert "cannot learn its email: bad token [redacted]" == row.reason
