"""Signing in a Code Assist account: the installed-app authorization-code flow with a loopback redirect, as
the official clients do it (reference/antigravity.md §1.1-1.2, §9; codeassist-and-gemini-api.md A1), shared
by `gemgate login` (cli_login.py) and the server's `/auth/*` routes (web.py).

`begin` builds the authorization URL: `response_type=code`, the profile's client and scopes, a random
`state`, `access_type=offline` and `prompt=consent` (Google sends a refresh token only then, §1.3), and
PKCE S256 for both profiles. The Gemini CLI sends PKCE only in its user-code flow and Antigravity's
gateways differ (sub2api sends it); RFC 8252 §8.1 asks native apps to use PKCE and Google's installed-app
guide supports it, so a stolen code is useless without the verifier whichever profile is asked.
`finish` checks the callback's state, exchanges the code and makes the credential whole (userinfo email,
project discovery) through the upstream's own `refresh_credential`.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from ... import admin
from ...errors import Failure, Scope, UpstreamError
from ...redaction import KNOWN
from ...store import AccountRecord, Store
from ..base import NeedsReauth, Upstream
from . import credential, oauth
from .profiles import PROFILES, Profile

CALLBACK_PATHS = {"antigravity": "/oauth-callback", "gemini-cli": "/oauth2callback"}  # §1.2, A1


class LoginError(Exception):
    """The sign-in failed; the message is one line saying why and what to do (never a token)."""


@dataclass
class Pending:
    """A sign-in waiting for its callback: the profile, `redirect_uri`, `state`, PKCE `verifier`, the
    authorization `url` to open, when it started (epoch seconds), and what the account is to keep: `project`
    given by hand and its own `settings` (User-Agent, credits)."""

    profile: Profile
    redirect_uri: str
    state: str
    verifier: str
    url: str
    started: float = field(default_factory=time.time)
    project: str | None = None  # the user's own project (skips discovery; eligibility asked instead)
    settings: dict = field(default_factory=dict)  # the account's own (`credential.options`)


def begin(upstream: Upstream, profile_name: str, redirect_uri: str) -> Pending:
    """A new sign-in for `profile_name` whose browser comes back to `redirect_uri`. Raises LoginError for
    an unknown profile."""
    if profile_name not in PROFILES:
        raise LoginError(f"unknown profile '{profile_name}'; use {' or '.join(sorted(PROFILES))}")
    profile = upstream.settings.profile(profile_name)
    state, verifier = secrets.token_hex(32), generate_token(64)  # A1: a random 32-byte hex state
    url = prepare_grant_uri(
        upstream.settings.auth_url, profile.client_id, "code", redirect_uri=redirect_uri,
        scope=" ".join(profile.scopes), state=state, code_challenge=create_s256_code_challenge(verifier),
        code_challenge_method="S256", access_type="offline", prompt="consent",
    )
    return Pending(profile, redirect_uri, state, verifier, url)


def code_from(params: Mapping[str, str], pending: Pending) -> str:
    """The authorization code in the callback's query `params`. Raises LoginError when the user refused
    (`error=access_denied`), Google reported another error, the state is not this sign-in's, or no code came."""
    if not secrets.compare_digest(str(params.get("state", "")), pending.state):
        raise LoginError("the callback's state does not match this sign-in (a stale or forged redirect); start again")
    error = params.get("error")
    if error == "access_denied":
        raise LoginError("consent was denied in the browser; nothing was added")
    if error:
        raise LoginError(f"Google refused the sign-in: {error}")
    code = params.get("code")
    if not code:
        raise LoginError("the callback carries no authorization code; start again")
    return code


def pasted(text: str, pending: Pending) -> str:
    """The code from what a headless user pasted: the whole redirect URL (its state checked as `code_from`
    does) or the bare code. Raises LoginError as `code_from`."""
    text = text.strip()
    if "?" in text or text.startswith(("http://", "https://")):
        return code_from(dict(parse_qsl(urlsplit(text).query)), pending)
    if not text:
        raise LoginError("nothing was pasted; paste the whole address the browser was sent to, or its code")
    return text


async def finish(upstream: Upstream, pending: Pending, code: str, proxy: str | None = None,
                 project: str | None = None, settings: dict | None = None) -> dict:
    """The stored credential (`credential.FIELDS`) for the signed-in account: the code exchanged (with the
    PKCE verifier), then the upstream's refresh_credential reads the email (userinfo) and finds the project
    (discovery) unless `project` is given. `settings`: the account's own (`credential.options`), its
    User-Agent used from the code exchange on. Raises LoginError saying why, never quoting a token."""
    settings = settings or {}
    try:
        async with oauth.client(upstream.settings, pending.profile, proxy, settings.get("user_agent"),
                                redirect_uri=pending.redirect_uri) as session:
            token = await oauth.token_call(session.fetch_token(upstream.settings.token_url, code=code,
                                                               code_verifier=pending.verifier))
        base = {"profile": pending.profile.name, "email": None, "project_id": project or None, "tier": None, **settings}
        secret = oauth.with_token(base, token)
    except OAuthError as exc:
        said = f"{exc.error}: {exc.description}" if exc.description else exc.error
        raise LoginError(f"Google refused the authorization code ({said}); sign in again") from None
    except UpstreamError as exc:
        raise LoginError(f"the code exchange failed: {exc.message}") from None
    if not secret.get("refresh_token"):
        raise LoginError("Google sent no refresh token (consent was not forced); sign in again")
    # Its own id: discovery runs once per account id (CodeAssist._discovery), and sign-ins may overlap.
    record = AccountRecord(id=f"login-{secrets.token_hex(8)}", name="login", kind=upstream.kind, secret=secret, proxy=proxy)
    KNOWN.set("login", upstream.secret_values(secret))  # whatever Google answers next is scrubbed of them
    try:
        return await upstream.refresh_credential(record, patient=True)
    except NeedsReauth as exc:
        raise LoginError(exc.reason) from None
    except UpstreamError as exc:
        raise _unusable(exc) from None
    finally:
        KNOWN.set("login", ())


def _unusable(exc: UpstreamError) -> LoginError:
    return LoginError(f"signed in, but the account cannot be used: {exc.message.replace('<name>', 'NAME')}")


async def model_ids(upstream: Upstream, secret: dict, proxy: str | None = None) -> list[str] | None:
    """The ids of the models the signed-in account can use (one quota RPC), None when that call fails: the
    summary goes without them. Raises LoginError when Google refuses the account itself (FORBIDDEN: with
    `--project` no discovery ran to say so, and the account would only be disabled at its first use)."""
    record = AccountRecord(id="login", name="login", kind=upstream.kind, secret=secret, proxy=proxy)
    try:
        return [m["name"].removeprefix("models/") for m in await upstream.list_models(record)]
    except UpstreamError as exc:
        if exc.failure is Failure.FORBIDDEN and exc.scope is Scope.ACCOUNT:
            raise _unusable(exc) from None
        return None
    except (NeedsReauth, KeyError):
        return None


async def save(store: Store, secret: dict, name: str | None = None, proxy: str | None = None) -> tuple[admin.AccountView, bool]:
    """Store the signed-in credential: `(view, replaced)`. A Google account already in the pool through the
    same profile (`credential.identity`: signing in again after needs_reauth) gets the new credential in place,
    keeping its name, proxy and (for the same project, when `secret` has none: set in it, for the summary) tier,
    its cooldowns and re-auth mark cleared and enabled (`admin.enable_account`);
    otherwise a new account is added (`admin.add_account`; AdminError as it raises)."""
    identity = credential.identity(secret)
    for other in await store.list_accounts():
        if identity is not None and other.kind == "code-assist" and credential.identity(other.secret) == identity:
            if not secret.get("tier") and secret.get("project_id") == other.secret.get("project_id"):
                secret["tier"] = other.secret.get("tier")  # --project skipped the discovery that reads it
            await store.update_account_secret(other.id, secret)
            return await admin.enable_account(store, other.id), True
    return await admin.add_account(store, "code-assist", name, secret, proxy), False


def summary(secret: dict, models: list[str] | None = None) -> str:
    """One line about a signed-in account: email, profile, tier, project and (if known) its models."""
    parts = [f"{secret.get('email') or '?'} ({secret.get('profile')})",
             f"tier {secret.get('tier') or 'unknown'}", f"project {secret.get('project_id') or 'none'}"]
    if models:
        parts.append("models " + ", ".join(models))
    return ", ".join(parts)
