"""`gemgate import config.json` for the cookie-based OpenAI server gemgate replaces (the gemini-web2api family,
e.g. 782042369/gemini-web2api `config.py` DEFAULT_CONFIG): its accounts and their cookie files, client keys and
settings, planned offline and then applied.

Its config (JSON) and what each key becomes here:
- `accounts`: [{`cookie_file`, `auth_user`, `proxy`, `xsrf_token`, `label`, `enabled`}]; without it, the legacy
  single account of the top-level `cookie_file`, `auth_user`, `xsrf_token` (its `migrate_legacy_account`).
  Each becomes a gemini-web account from its cookie file (relative paths against the config's folder, as its
  `resolve_path` does), which stays watched and receives rotated cookies (`lifecycle`). Its proxy: its own, else
  the top-level `proxy`. `enabled: false` accounts are imported disabled.
- `api_keys` → client keys (stored as hashes; the clients keep using the same keys).
- `default_model` → the `default_model` setting (the model of a request that names none).
- `retry_attempts` → `max_attempts`; `request_timeout_sec` → `[upstreams.gemini_web]` `first_byte_timeout` and
  `idle_timeout` (its one httpx timeout bounds both the wait for the answer and each read).
- `gemini_bl` → `[upstreams.gemini_web] build_label`; an account's `xsrf_token` → its own `xsrf_token`. They are
  the app page's `cfb2h` and `SNlM0e` (§1.2): gemgate reads both afresh at every session start and uses these only
  when the page carries none (`page.with_fallbacks`), since a pinned copy goes stale when Google ships a new build
  (that server auto-updates its own `gemini_bl` for that reason).
Settings go into the TOML config file (`config_io`), accounts and keys into the store.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import cookie_file
from .cookies import CookieFormatError, header

MARKERS = ("cookie_file", "gemini_bl", "xsrf_token", "auth_user")  # keys only that server's config has


@dataclass
class PlannedAccount:
    """One account to add: `name` (None: the kind's default), `secret`, `proxy`, `enabled`, the cookie file it
    comes from (`source`) and `problem` (why it cannot be imported; None when it can)."""

    name: str | None
    source: str
    secret: dict = field(default_factory=dict, repr=False)
    proxy: str | None = field(default=None, repr=False)
    enabled: bool = True
    problem: str | None = None


@dataclass
class Plan:
    """What an import of one config does: `accounts`, client `keys` (the key strings, never printed), `settings`
    (dotted setting path -> value, e.g. "upstreams.gemini_web.first_byte_timeout") and `notes` (what is not
    imported, and why)."""

    config: Path
    accounts: list[PlannedAccount] = field(default_factory=list)
    keys: list[str] = field(default_factory=list, repr=False)
    settings: dict[str, object] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def claims(path: Path) -> bool:
    """Whether `path` is such a config: a JSON object with one of MARKERS, at the top or in an `accounts` entry."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return False
    if not isinstance(data, dict):
        return False
    entries = data.get("accounts") if isinstance(data.get("accounts"), list) else []
    return any(k in data for k in MARKERS) or any(isinstance(a, dict) and "cookie_file" in a for a in entries)


def _auth_user(value: object) -> int | None:
    """Its `auth_user` ("1", 1 or null) as the N of /u/N/."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    return int(value) if isinstance(value, str) and value.strip().isdigit() else None


def _account(entry: dict, folder: Path, default_proxy: object) -> PlannedAccount:
    raw = entry.get("cookie_file")
    label = entry.get("label") if isinstance(entry.get("label"), str) and entry["label"].strip() else None
    proxy = entry.get("proxy") or default_proxy
    planned = PlannedAccount(label, str(raw or ""), proxy=proxy if isinstance(proxy, str) and proxy else None,
                             enabled=entry.get("enabled", True) is not False)
    if not isinstance(raw, str) or not raw.strip():
        planned.problem = "no cookie_file"
        return planned
    path = Path(raw).expanduser()
    path = (path if path.is_absolute() else folder / path).resolve()
    planned.source = str(path)
    try:
        loaded = cookie_file.read(path)
    except OSError as exc:
        planned.problem = f"cannot read the cookie file ({exc.strerror or exc})"
        return planned
    except CookieFormatError as exc:
        planned.problem = str(exc)
        return planned
    planned.secret = {"cookie": header(loaded.jar), "expires": loaded.expires, "cookie_file": str(path),
                      "cookie_file_digest": loaded.digest, "loaded_at": time.time()}
    user = _auth_user(entry.get("auth_user"))
    if user is not None:
        planned.secret["auth_user"] = user
    if isinstance(entry.get("xsrf_token"), str) and entry["xsrf_token"].strip():
        planned.secret["xsrf_token"] = entry["xsrf_token"].strip()
    return planned


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0 else None


def plan(path: Path) -> Plan:
    """The Plan for the config at `path` (reads it and its cookie files; no store, no network). Raises OSError
    or ValueError for a config that cannot be read as a JSON object."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a JSON object")
    out = Plan(path)
    folder = path.resolve().parent
    entries = [a for a in data.get("accounts") or [] if isinstance(a, dict)]
    if not entries and any(data.get(k) is not None for k in ("cookie_file", "xsrf_token", "auth_user")):
        entries = [{k: data.get(k) for k in ("cookie_file", "auth_user", "xsrf_token")}]  # the legacy single account
    out.accounts = [_account(e, folder, data.get("proxy")) for e in entries]
    out.keys = [k.strip() for k in data.get("api_keys") or [] if isinstance(k, str) and k.strip()]
    if isinstance(data.get("default_model"), str) and data["default_model"].strip():
        out.settings["default_model"] = data["default_model"].strip()
    attempts = data.get("retry_attempts")
    if isinstance(attempts, int) and not isinstance(attempts, bool) and attempts > 0:
        out.settings["max_attempts"] = attempts
    timeout = _number(data.get("request_timeout_sec"))
    if timeout is not None:
        out.settings["upstreams.gemini_web.first_byte_timeout"] = timeout
        out.settings["upstreams.gemini_web.idle_timeout"] = timeout
    if isinstance(data.get("gemini_bl"), str) and data["gemini_bl"].strip():
        out.settings["upstreams.gemini_web.build_label"] = data["gemini_bl"].strip()
    if "upstreams.gemini_web.build_label" in out.settings or any(a.secret.get("xsrf_token") for a in out.accounts):
        out.notes.append("gemini_bl and xsrf_token are used only when the app page carries no build label or XSRF "
                         "token: gemgate reads both from the page at every session start (a pinned copy goes stale)")
    return out
