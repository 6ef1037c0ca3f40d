"""The stored Code Assist credential and the file shapes it is read from.

Stored (an account's `secret`): `{"profile": "antigravity"|"gemini-cli", "refresh_token", "access_token"|None,
"expiry": epoch seconds|None, "email"|None, "project_id"|None, "tier"|None}` (the shared contract of issue 8;
the fields reference/antigravity.md §1.4 recommends persisting), and the account's settings (OPTIONS):
"user_agent" (str|None: the User-Agent of every call made for it — generation, discovery, userinfo, token
refresh — instead of the profile's; "the UA should be configurable per credential", §2.2, as CLIProxyAPI's
per-file `user_agent`, §1.4) and "credits" (bool|None: pay with Google One AI credits once the free quota
is exhausted, §7.3; None: the profile's `credits` setting).
"""

from __future__ import annotations

import base64
import binascii

import orjson

from .profiles import PROFILES

OPTIONS = ("user_agent", "credits")
FIELDS = ("profile", "refresh_token", "access_token", "expiry", "email", "project_id", "tier", *OPTIONS)
MAX_USER_AGENT = 512


def user_agent_problem(value: object) -> str | None:
    """Why `value` cannot be a User-Agent header (one line of printable ASCII, at most MAX_USER_AGENT
    characters), or None."""
    if not isinstance(value, str) or not value.strip():
        return "the User-Agent must be a non-empty text"
    if len(value) > MAX_USER_AGENT or not all(" " <= c <= "~" for c in value):
        return f"the User-Agent must be one line of printable ASCII, at most {MAX_USER_AGENT} characters"
    return None


def options(user_agent: str | None = None, credits: bool | None = None) -> dict:
    """The account settings given on a command line (None: not given, left out). Raises ValueError for a
    User-Agent that cannot be sent."""
    out: dict = {}
    if user_agent is not None:
        problem_ = user_agent_problem(user_agent)
        if problem_:
            raise ValueError(problem_)
        out["user_agent"] = user_agent.strip()
    if credits is not None:
        out["credits"] = credits
    return out


def _jwt_email(id_token: object) -> str | None:
    """The `email` claim of an OpenID id_token, read without checking its signature: it only names the
    account until userinfo confirms it. None when absent or unreadable."""
    if not isinstance(id_token, str) or id_token.count(".") != 2:
        return None
    payload = id_token.split(".")[1]
    try:
        claims = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (binascii.Error, ValueError):
        return None
    email = claims.get("email") if isinstance(claims, dict) else None
    return email if isinstance(email, str) and email else None


def _seconds(value: object) -> float | None:
    """Epoch seconds from a number that may be milliseconds (Gemini CLI's `expiry_date`)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value / 1000 if value > 1e11 else float(value)


def from_file(data: object, profile: str | None = None, project: str | None = None) -> dict:
    """The stored credential from a file's JSON: our own shape, or the Gemini CLI's `oauth_creds.json`
    (`access_token`, `refresh_token`, `expiry_date` in ms, `scope`, `token_type`, `id_token`;
    gemini-cli packages/core/src/code_assist/oauth2.ts). `profile` and `project` override the file's.

    Raises ValueError saying what is missing; never echoes a token.
    """
    if not isinstance(data, dict):
        raise ValueError("the credential file must hold one JSON object")
    refresh = data.get("refresh_token")
    if not isinstance(refresh, str) or not refresh.strip():
        raise ValueError("the credential file has no 'refresh_token' (sign in with offline access first)")
    profile = profile or data.get("profile")
    if profile not in PROFILES:
        raise ValueError(f"say which OAuth client issued it: --profile {' or '.join(sorted(PROFILES))}")
    expiry = _seconds(data.get("expiry")) if "expiry" in data else _seconds(data.get("expiry_date"))
    access = data.get("access_token")
    email = data.get("email") if isinstance(data.get("email"), str) else _jwt_email(data.get("id_token"))
    own = {"user_agent": data.get("user_agent") if user_agent_problem(data.get("user_agent")) is None else None,
           "credits": data.get("credits") if isinstance(data.get("credits"), bool) else None}
    return {
        "profile": profile,
        "refresh_token": refresh.strip(),
        "access_token": access if isinstance(access, str) and access else None,
        "expiry": expiry,
        "email": email or None,
        "project_id": project or (data.get("project_id") if isinstance(data.get("project_id"), str) else None) or None,
        "tier": data.get("tier") if isinstance(data.get("tier"), str) else None,
        **{k: v for k, v in own.items() if v is not None},  # account settings only where the file has them
    }


def problem(secret: dict) -> str | None:
    """Why a stored credential cannot work, in one sentence without the secret; None when it looks right."""
    if secret.get("profile") not in PROFILES:
        return f"the credential needs 'profile': one of {', '.join(sorted(PROFILES))}"
    refresh = secret.get("refresh_token")
    if not isinstance(refresh, str) or not refresh.strip():
        return "the credential needs a 'refresh_token' (from a Google sign-in with offline access)"
    if secret.get("expiry") is not None and _seconds(secret.get("expiry")) is None:
        return "'expiry' must be epoch seconds"
    if secret.get("user_agent") is not None and user_agent_problem(secret["user_agent"]):
        return user_agent_problem(secret["user_agent"])
    if secret.get("credits") is not None and not isinstance(secret["credits"], bool):
        return "'credits' must be true or false"
    return None


def identity(secret: dict) -> str | None:
    """email + profile: one Google account signed in through one client is one quota."""
    email, profile = secret.get("email"), secret.get("profile")
    return f"{email.strip().lower()}|{profile}" if isinstance(email, str) and email.strip() and profile else None


def describe(secret: dict) -> str:
    """`email (profile)`, or just the profile while the email is unknown, with the account's own settings:
    `ann@example.com (antigravity; credits on; User-Agent "antigravity/cli/1.0.13 …")`; never a token."""
    email, profile = secret.get("email"), secret.get("profile") or "?"
    shown = [str(profile)]
    if isinstance(secret.get("credits"), bool):
        shown.append(f"credits {'on' if secret['credits'] else 'off'}")
    if isinstance(secret.get("user_agent"), str):
        shown.append(f'User-Agent "{secret["user_agent"]}"')
    about = "; ".join(shown)
    return f"{email} ({about})" if isinstance(email, str) and email else f"({about})"
