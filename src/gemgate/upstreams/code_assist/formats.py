"""Credential files other tools write, recognised and turned into the stored credential (`credential.from_file`).

Shapes (reference/antigravity.md §1.4, reference/codeassist-and-gemini-api.md A1):
- "oauth_creds": the Gemini CLI's `~/.gemini/oauth_creds.json` `{access_token, refresh_token, scope,
  token_type, id_token, expiry_date (ms)}`; the Gemini CLI OpenAI worker's `GCP_SERVICE_ACCOUNT` holds the
  same JSON (GewoonJaap/gemini-cli-openai README "Environment Setup"). Profile gemini-cli unless --profile.
- "gcli2api": Google-auth style `{client_id, client_secret, token, refresh_token, scopes, token_uri, project_id,
  expiry (ISO 8601), enable_credit?}`; the profile is the one whose OAuth client id it names
  (su-kaka/gcli2api src/auth.py).
- "cliproxyapi": `{type: "antigravity"|"gemini", access_token, refresh_token, expired (RFC 3339), timestamp (ms),
  expires_in, email, project_id, proxy_url?, user_agent?}` (CLIProxyAPI sdk/auth/antigravity.go); a `token`
  object, where present, holds the OAuth fields.
- "antigravity-manager": an Antigravity-Manager account, whose `token` object holds `{access_token,
  refresh_token, expires_in, expiry_timestamp, token_type, email, project_id, session_id, is_gcp_tos,
  id_token, oauth_client_key}` (lbjlaq/Antigravity-Manager src-tauri/src/models/token.rs, §1.4). Antigravity
  only. The unit of `expiry_timestamp` is not documented: a value above 1e11 is read as milliseconds.
- "antigravity-claude-proxy": one entry of its `accounts.json`: `{email, source, refreshToken, subscription
  {tier, projectId}, quota, isInvalid}`, the refresh token possibly carrying `|projectId|managedProjectId`
  (badrisnarayanan/antigravity-claude-proxy CLAUDE.md, src/account-manager/credentials.js, §1.4). Antigravity
  only; no access token (one is fetched on first use). What encloses the entries in the file is not
  documented: a JSON list of entries is read like any list (`sources`).
- "gemgate": our own stored shape (`credential.FIELDS`).

Everything raises ValueError with one sentence that names no token.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

from .credential import from_file
from .profiles import PROFILES

CLIPROXY_TYPES = {"antigravity": "antigravity", "gemini": "gemini-cli"}


@dataclass
class Parsed:
    """One credential read from a file: its `format` (see the module doc), the stored credential `secret`,
    and the account proxy the file names (CLIProxyAPI's `proxy_url`), or None."""

    format: str
    secret: dict
    proxy: str | None = None


def detect(data: object) -> str:
    """The format name of a parsed JSON document; ValueError when it is none of them."""
    if not isinstance(data, dict):
        raise ValueError("not a credential: the JSON is not an object")
    token = data.get("token")
    manager_keys = ("expiry_timestamp", "oauth_client_key")  # fields only Antigravity-Manager's token has
    if isinstance(token, dict) and "refresh_token" in token and any(k in token for k in manager_keys):
        return "antigravity-manager"
    if isinstance(data.get("type"), str) and ("refresh_token" in data or isinstance(token, dict)):
        return "cliproxyapi"
    if isinstance(data.get("refreshToken"), str) and "email" in data:
        return "antigravity-claude-proxy"
    if "client_id" in data and "refresh_token" in data:
        return "gcli2api"
    if "profile" in data and "refresh_token" in data:
        return "gemgate"
    if "refresh_token" in data:
        return "oauth_creds"
    raise ValueError("not a credential: no 'refresh_token' (sign in with offline access first)")


def _epoch(text: object) -> float | None:
    """Epoch seconds of an ISO 8601 / RFC 3339 time (nanoseconds cut to micro; no zone: UTC), or None."""
    if not isinstance(text, str) or not text.strip():
        return None
    text = re.sub(r"(\.\d{6})\d+", r"\1", text.strip())
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"the expiry '{text[:40]}' is not an ISO 8601 time") from None
    return (when if when.tzinfo else when.replace(tzinfo=timezone.utc)).timestamp()


def _named_profile(named: str, given: str | None, where: str) -> str:
    """The file's own profile, checked against --profile (a refresh token works only with its own client)."""
    if given and given != named:
        raise ValueError(f"{where} says it was issued to the {named} client, not {given}; leave out --profile")
    return named


def _gcli2api(data: dict, profile: str | None) -> dict:
    client = data.get("client_id")
    named = next((p.name for p in PROFILES.values() if p.client_id == client), None)
    if named is None and not profile:
        raise ValueError("its client_id is neither the antigravity nor the gemini-cli client; say --profile")
    return {
        "profile": _named_profile(named, profile, "its client_id") if named else profile,
        "refresh_token": data.get("refresh_token"), "access_token": data.get("token") or data.get("access_token"),
        "expiry": _epoch(data.get("expiry")), "email": data.get("email"), "project_id": data.get("project_id"),
        "credits": data.get("enable_credit"),  # gcli2api's own switch for AI credits (§1.4)
    }


def _cliproxyapi(data: dict, profile: str | None) -> dict:
    token = {**data, **data["token"]} if isinstance(data.get("token"), dict) else data
    named = CLIPROXY_TYPES.get(data["type"])
    if named is None:
        raise ValueError(f"its type '{data['type'][:30]}' is not antigravity or gemini")
    expiry = _epoch(token.get("expired") or token.get("expiry"))
    stamp, expires_in = token.get("timestamp"), token.get("expires_in")
    if expiry is None and isinstance(stamp, (int, float)) and isinstance(expires_in, (int, float)):
        expiry = stamp / 1000 + expires_in
    return {
        "profile": _named_profile(named, profile, f"its type '{data['type']}'"),
        "refresh_token": token.get("refresh_token"), "access_token": token.get("access_token"), "expiry": expiry,
        "email": data.get("email") or token.get("email"), "project_id": data.get("project_id") or token.get("project_id"),
        "user_agent": data.get("user_agent"),  # a per-file override (§1.4)
    }


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _manager(data: dict, profile: str | None) -> dict:
    token = data["token"]
    return {
        "profile": _named_profile("antigravity", profile, "an Antigravity-Manager account"),
        "refresh_token": token.get("refresh_token"), "access_token": token.get("access_token"),
        "expiry": token.get("expiry_timestamp"), "email": _text(token.get("email")) or _text(data.get("email")),
        "project_id": _text(token.get("project_id")),
    }


def _claude_proxy(data: dict, profile: str | None) -> dict:
    refresh, _, rest = data["refreshToken"].partition("|")
    project, _, managed = rest.partition("|")
    subscription = data.get("subscription") if isinstance(data.get("subscription"), dict) else {}
    return {
        "profile": _named_profile("antigravity", profile, "an antigravity-claude-proxy account"),
        "refresh_token": refresh, "email": _text(data.get("email")),
        # The managed project is the one generation names (§3.1); the user's own project otherwise.
        "project_id": _text(managed) or _text(project) or _text(subscription.get("projectId")),
        "tier": _text(subscription.get("tier")),
    }


def parse(data: object, profile: str | None = None, project: str | None = None) -> Parsed:
    """The stored credential from any known format. `profile` is --profile (the client for files that do not
    name one; a contradiction is an error), `project` is --project (wins over the file's). Raises ValueError."""
    kind = detect(data)
    proxy = None
    if kind == "gcli2api":
        data = _gcli2api(data, profile)
    elif kind == "cliproxyapi":
        proxy = data.get("proxy_url") if isinstance(data.get("proxy_url"), str) and data.get("proxy_url") else None
        data = _cliproxyapi(data, profile)
    elif kind == "antigravity-manager":
        data = _manager(data, profile)
    elif kind == "antigravity-claude-proxy":
        data = _claude_proxy(data, profile)
    elif kind == "gemgate" and data.get("profile") in PROFILES:
        data = {**data, "profile": _named_profile(data["profile"], profile, "its 'profile'")}
    elif kind == "oauth_creds":
        data = {**data, "profile": profile or "gemini-cli"}
    return Parsed(kind, from_file(data, None, project), proxy)
