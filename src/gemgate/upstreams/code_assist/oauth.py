"""Refreshing a Code Assist access token at the profile's OAuth client (RFC 6749 §6 refresh_token grant,
done by authlib; reference/antigravity.md §1.3: client id and secret in the form body, Google's token JSON
back). Dead refresh tokens become NeedsReauth with what to run; everything else is a retryable UpstreamError.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable

import httpx2
from authlib.integrations.base_client import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client

from ...errors import Failure, Scope, UpstreamError
from .._http import proxy_failed
from ..base import NeedsReauth
from .profiles import Profile
from .settings import CodeAssistSettings

LABEL = "Google's OAuth token endpoint"

# Errors that only a new sign-in fixes: the grant was revoked or expired ("Token has been expired or
# revoked."), or the token belongs to another OAuth client (unauthorized_client, 401: NoeFabris/
# opencode-antigravity-auth issue #36; invalid_client as antigravity-claude-proxy treats it), §1.3.
DEAD_GRANT = frozenset({"invalid_grant", "unauthorized_client", "invalid_client"})
# Google's access tokens live 3599 s (the `expires_in` it sends, §1.3); an answer without a usable lifetime
# is taken to mean that, and none is believed past a day.
DEFAULT_LIFETIME = 3599.0
MAX_LIFETIME = 24 * 3600.0


def reauth_reason(error: str, description: str | None, profile: str) -> str:
    """The needs-reauth reason for a refused refresh: what Google said and the command that fixes it."""
    said = f"{error}: {description}" if description else error
    if error == "invalid_grant":
        why = "the sign-in was revoked or expired"
    else:
        why = f"the refresh token was not issued to the {profile} profile's OAuth client (wrong --profile?)"
    return (
        f"Google refused the refresh token ({said}): {why}. Sign in again: `gemgate login --profile {profile}` "
        f"(the account keeps its name), or `gemgate accounts remove <name>`, then "
        f"`gemgate accounts add-oauth --profile {profile} --file <oauth_creds.json>`"
    )


def client(settings: CodeAssistSettings, profile: Profile, proxy: str | None, user_agent: str | None = None,
           **kwargs) -> AsyncOAuth2Client:
    """authlib's OAuth client for the profile's installed-app client (id and secret in the form body, as the
    official clients send them, §1.3), through the account's proxy (not $HTTP_PROXY), with the section's
    timeouts and the account's own User-Agent if it has one. `kwargs`: more client options (scope,
    redirect_uri, code_challenge_method)."""
    timeout = httpx2.Timeout(settings.first_byte_timeout, connect=settings.connect_timeout)
    if user_agent:
        kwargs["headers"] = {"User-Agent": user_agent}
    return AsyncOAuth2Client(
        profile.client_id, profile.client_secret, token_endpoint_auth_method="client_secret_post",
        timeout=timeout, proxy=proxy, trust_env=False, **kwargs,
        follow_redirects=False,  # httpx's default, said here: a redirect would carry the tokens elsewhere
    )


async def token_call(call: Awaitable[dict]) -> dict:
    """The token JSON `call` (an authlib token request) answers. Raises UpstreamError TIMEOUT/TRANSIENT when
    the endpoint cannot be reached or answers 5xx, MALFORMED when a 2xx/4xx body is not a JSON object (a
    proxy's or captive portal's page: authlib raises a bare ValueError for it, which served every request of
    the account as a 500); authlib's OAuthError (Google's RFC 6749 §5.2 error) passes."""
    try:
        return await call
    except ValueError as exc:
        raise UpstreamError(Failure.MALFORMED, f"{LABEL}: {exc}") from None
    except httpx2.TimeoutException:
        raise UpstreamError(Failure.TIMEOUT, f"{LABEL}: no answer in time") from None
    except httpx2.HTTPStatusError as exc:
        raise UpstreamError(
            Failure.TRANSIENT, f"{LABEL} answered HTTP {exc.response.status_code}", status=exc.response.status_code
        ) from None
    except httpx2.ProxyError:
        raise proxy_failed(LABEL, "cannot reach it") from None
    except httpx2.HTTPError as exc:
        raise UpstreamError(Failure.TRANSIENT, f"{LABEL}: cannot reach it ({type(exc).__name__})") from None


def with_token(secret: dict, token: dict, now: float | None = None) -> dict:
    """`secret` with the token answer's `access_token`, `expiry` (epoch seconds, from `expires_in`) and
    `refresh_token` when Google sent one (a text). An `expires_in` that is missing, not in the future or over
    MAX_LIFETIME counts as DEFAULT_LIFETIME. Raises UpstreamError MALFORMED without an access token."""
    access = token.get("access_token")
    if not isinstance(access, str) or not access:
        raise UpstreamError(Failure.MALFORMED, f"{LABEL} answered without an access_token")
    now = time.time() if now is None else now
    expires_in = token.get("expires_in")
    expiry = float(now + expires_in) if isinstance(expires_in, (int, float)) else token.get("expires_at")
    if not isinstance(expiry, (int, float)) or not now < expiry <= now + MAX_LIFETIME:
        expiry = now + DEFAULT_LIFETIME  # none, past (a refresh per request) or absurd (no refresh ahead of expiry)
    rotated = token.get("refresh_token")
    return {
        **secret,
        "access_token": access,
        "expiry": float(expiry),
        "refresh_token": rotated if isinstance(rotated, str) and rotated.strip() else secret.get("refresh_token"),
    }


async def refresh(
    settings: CodeAssistSettings, profile: Profile, secret: dict, proxy: str | None, now: float | None = None
) -> dict:
    """`secret` with a new `access_token` and `expiry` (epoch seconds), and a new `refresh_token` if Google
    rotated it. Raises NeedsReauth for a dead grant (DEAD_GRANT), UpstreamError TRANSIENT/TIMEOUT when the
    endpoint cannot be reached or answers 5xx, AUTH_EXPIRED (account) for any other OAuth error."""
    try:
        async with client(settings, profile, proxy, secret.get("user_agent")) as oauth:
            token = await token_call(oauth.refresh_token(settings.token_url, refresh_token=secret["refresh_token"]))
    except OAuthError as exc:
        if exc.error in DEAD_GRANT:
            raise NeedsReauth(reauth_reason(exc.error, exc.description, profile.name)) from None
        raise UpstreamError(
            Failure.AUTH_EXPIRED, f"{LABEL} refused the refresh: {exc.error}", scope=Scope.ACCOUNT
        ) from None
    return with_token(secret, token, now)
