"""A fake of Google's OAuth 2.0 endpoints for installed apps ("login with Google").

How to use::

    oauth = FakeGoogleOAuth()                      # both real public clients registered
    url = await oauth.start()                      # or: with oauth.running() as url: ...
    # auth_url = f"{url}/o/oauth2/v2/auth", token_url = f"{url}/token",
    # userinfo_url = f"{url}/oauth2/v2/userinfo"
    refresh = oauth.issue_refresh_token("ann@example.com", ANTIGRAVITY.client_id)  # skip the browser
    oauth.revoke("ann@example.com")                # every grant of Ann -> invalid_grant
    oauth.token_lifetime = 1                       # new access tokens expire after 1 s
    oauth.expire_access_tokens()                   # or expire the issued ones now
    oauth.refresh_delay = 30                       # refresh grants answer after 30 s (a refresh in flight)
    oauth.requests                                 # every Exchange received

A test plays the browser by GETting the auth URL without following redirects: the 302 `Location`
carries `code` and `state` (or `error=access_denied` after `deny_next_consent()`). The account that
"signs in" is `login_hint` when given, else `default_email`.

Endpoints (paths as Google's hosts serve them; one fake serves all three hosts):
``GET /o/oauth2/v2/auth``, ``POST /token``, ``GET /oauth2/v2/userinfo``, ``GET /oauth2/v1/userinfo``,
``GET|POST /tokeninfo``, ``POST /revoke``.

Rules Google enforces, each with its source:
* client auth in the form body or HTTP Basic (reference/codeassist-and-gemini-api.md C: oauthlib's
  InstalledAppFlow sends Basic, google-auth-library the body); unknown client -> 401 invalid_client
  "The OAuth client was not found."; wrong secret -> 401 invalid_client "Unauthorized".
* a refresh token used with another client -> 401 unauthorized_client (antigravity.md §1.3,
  NoeFabris/opencode-antigravity-auth#36); revoked or unknown -> 400 invalid_grant "Token has been
  expired or revoked." (antigravity.md §1.3, codeassist-and-gemini-api.md C).
* codes are single use, short-lived, bound to client and redirect_uri; PKCE S256/plain checked when a
  code_challenge was sent (codeassist-and-gemini-api.md A1: the user-code flow uses S256).
* a refresh_token comes back only with access_type=offline and when consent was forced (prompt=consent)
  or given for the first time (antigravity.md §1.3); refresh answers never carry one (A1: "The refresh
  response has no refresh_token; the library keeps the old one").
* the granted `scope` adds `openid` when userinfo scopes were asked (A1, from a real oauth_creds.json).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Iterable
from urllib.parse import unquote, urlencode, urlsplit

from aiohttp import web

from gemgate.testing.fake_server import FakeServer
from gemgate.testing.http_record import Exchange, record

CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
USERINFO_EMAIL = "https://www.googleapis.com/auth/userinfo.email"
USERINFO_PROFILE = "https://www.googleapis.com/auth/userinfo.profile"
_BASE_SCOPES = (CLOUD_PLATFORM, USERINFO_EMAIL, USERINFO_PROFILE)


@dataclass(frozen=True)
class OAuthClient:
    """An installed-app OAuth client: id, secret, the scopes its app asks, and the Code Assist profile."""

    client_id: str
    client_secret: str
    scopes: tuple[str, ...]
    profile: str


# The public installed-app clients embedded in Google's apps (not secret; every gateway ships them).
# Gemini CLI: google-gemini/gemini-cli packages/core/src/code_assist/oauth2.ts (reference A1, antigravity.md §9).
GEMINI_CLI = OAuthClient(
    "681255809395-oo8ft2oprdrnp9e3aqf6av3hmdib135j.apps.googleusercontent.com",
    "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", _BASE_SCOPES, "gemini-cli")
# Antigravity: router-for-me/CLIProxyAPI internal/auth/antigravity/constants.go (antigravity.md §1.1).
ANTIGRAVITY = OAuthClient(
    "1071006060591-tmhssin2h21lcre235vtolojh4g403ep.apps.googleusercontent.com",
    "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",
    _BASE_SCOPES + ("https://www.googleapis.com/auth/cclog",
                    "https://www.googleapis.com/auth/experimentsandconfigs"),
    "antigravity")
DEFAULT_CLIENTS = (GEMINI_CLI, ANTIGRAVITY)

# Error bodies as Google answers them (RFC 6749 §5.2 shape).
EXPIRED_OR_REVOKED = "Token has been expired or revoked."
# The Gemini CLI's no-browser flow redirects to this Google page (reference A1).
CODEASSIST_AUTHCODE_REDIRECT = "https://codeassist.google.com/authcode"
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")


@dataclass
class AccessToken:
    """An issued access token: whose, for which client and scopes, valid until `expires_at` (epoch s)."""

    token: str
    email: str
    client_id: str
    scopes: tuple[str, ...]
    expires_at: float
    refresh_token: str | None = None

    @property
    def expired(self) -> bool:
        """True once `expires_at` has passed."""
        return time.time() >= self.expires_at


@dataclass
class _Grant:
    email: str
    client_id: str
    scopes: tuple[str, ...]
    revoked: bool = False
    refreshes: int = 0


@dataclass
class _Code:
    email: str
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    expires_at: float
    offline: bool
    consent: bool
    challenge: str | None = None
    challenge_method: str = "plain"


@dataclass
class Account:
    """A Google account of the fake: e-mail and profile fields userinfo answers."""

    email: str
    name: str = ""
    sub: str = field(default="")

    def __post_init__(self) -> None:
        if not self.name:
            self.name = self.email.split("@")[0].replace(".", " ").title()
        if not self.sub:
            self.sub = str(int(hashlib.sha256(self.email.encode()).hexdigest()[:15], 16))


class OAuthError(Exception):
    """An RFC 6749 error answer: `status`, `error`, `description`."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.status, self.error, self.description = status, error, description


class FakeGoogleOAuth(FakeServer):
    """Google's authorization, token, userinfo, tokeninfo and revoke endpoints, keyed on client_id."""

    def __init__(self, *, clients: Iterable[OAuthClient] = DEFAULT_CLIENTS, token_lifetime: float = 3599.0,
                 code_lifetime: float = 600.0, default_email: str = "user@example.com") -> None:
        """
        clients: registered OAuth clients (default: the Gemini CLI and Antigravity public clients).
        token_lifetime: seconds an access token lives (Google answers expires_in 3599, antigravity.md §1.3).
        code_lifetime: seconds an authorization code can be exchanged.
        default_email: who signs in when the auth request has no login_hint.
        """
        super().__init__()
        self.clients = {c.client_id: c for c in clients}
        self.token_lifetime = token_lifetime
        self.code_lifetime = code_lifetime
        self.default_email = default_email
        self.accounts: dict[str, Account] = {}
        self.requests: list[Exchange] = []
        self._grants: dict[str, _Grant] = {}  # refresh token -> grant
        self._access: dict[str, AccessToken] = {}
        self._codes: dict[str, _Code] = {}
        self._consented: set[tuple[str, str]] = set()
        self._deny_next = False
        self.refresh_delay = 0.0  # seconds a refresh_token grant waits before it is answered

    # -- test hooks ---------------------------------------------------------

    def add_client(self, client: OAuthClient) -> None:
        """Register another OAuth client."""
        self.clients[client.client_id] = client

    def account(self, email: str) -> Account:
        """The account `email`, created on first use."""
        return self.accounts.setdefault(email, Account(email))

    def issue_refresh_token(self, email: str, client_id: str = ANTIGRAVITY.client_id,
                            scopes: Iterable[str] | None = None) -> str:
        """A refresh token as if `email` had consented to `client_id` (default: the client's scopes)."""
        client = self.clients[client_id]
        self.account(email)
        token = "1//0" + secrets.token_urlsafe(48)
        self._grants[token] = _Grant(email, client_id, tuple(scopes or client.scopes))
        self._consented.add((email, client_id))
        return token

    def issue_access_token(self, email: str, client_id: str = ANTIGRAVITY.client_id, *,
                           lifetime: float | None = None, scopes: Iterable[str] | None = None) -> AccessToken:
        """An access token without any HTTP exchange (for tests that start from a stored credential)."""
        client = self.clients[client_id]
        self.account(email)
        return self._new_access(email, client_id, tuple(scopes or client.scopes), None, lifetime)

    def revoke(self, email_or_token: str) -> None:
        """Revoke one refresh token, or every grant and access token of an e-mail; access tokens issued from
        a revoked grant die too (Google: revoking a refresh token revokes its access tokens)."""
        for token, grant in list(self._grants.items()):
            if email_or_token in (token, grant.email):
                grant.revoked = True
        for token, access in list(self._access.items()):
            if access.email == email_or_token:
                del self._access[token]

    def expire_access_tokens(self, email: str | None = None) -> None:
        """Make issued access tokens (of `email`, or all) expired now."""
        for access in list(self._access.values()):
            if email is None or access.email == email:
                access.expires_at = min(access.expires_at, time.time() - 1)

    def deny_next_consent(self) -> None:
        """The next authorization request is refused by the user (redirect with error=access_denied)."""
        self._deny_next = True

    def token_info(self, token: str) -> AccessToken | None:
        """The access token `token` as issued (expired ones included), None if unknown or revoked."""
        access = self._access.get(token)
        if access is None:
            return None
        grant = self._grants.get(access.refresh_token or "")
        if grant is not None and grant.revoked:
            return None
        return access

    def refresh_count(self, refresh_token: str) -> int:
        """How many refresh_token grants succeeded with this refresh token."""
        grant = self._grants.get(refresh_token)
        return grant.refreshes if grant else 0

    def refresh_token_of(self, email: str, client_id: str | None = None) -> str | None:
        """The newest live refresh token of `email` (for `client_id`, if given)."""
        live = [t for t, g in list(self._grants.items())
                if g.email == email and not g.revoked and client_id in (None, g.client_id)]
        return live[-1] if live else None

    # -- app ------------------------------------------------------------------

    def build_app(self) -> web.Application:
        """The aiohttp app with every endpoint."""
        app = web.Application()
        app.router.add_get("/o/oauth2/v2/auth", self._recorded(self._authorize))
        app.router.add_post("/token", self._recorded(self._token))
        for path in ("/oauth2/v2/userinfo", "/oauth2/v1/userinfo"):
            app.router.add_get(path, self._recorded(self._userinfo))
        app.router.add_route("*", "/tokeninfo", self._recorded(self._tokeninfo))
        app.router.add_post("/revoke", self._recorded(self._revoke))
        return app

    def _recorded(self, handler):
        async def wrapped(request: web.Request) -> web.StreamResponse:
            exchange = await record(request)
            self.requests.append(exchange)
            try:
                response = await handler(request, exchange)
            except OAuthError as err:
                response = web.json_response({"error": err.error, "error_description": err.description},
                                             status=err.status)
            exchange.status = response.status
            return response
        return wrapped

    # -- authorization endpoint ---------------------------------------------

    async def _authorize(self, request: web.Request, exchange: Exchange) -> web.StreamResponse:
        q = exchange.query
        client = self.clients.get(q.get("client_id", ""))
        exchange.client_id = q.get("client_id")
        if client is None:
            # Google shows its own error page, never redirecting to an unverified client.
            return _error_page(401, "invalid_client", "The OAuth client was not found.")
        redirect = q.get("redirect_uri", "")
        if not _redirect_allowed(redirect):
            return _error_page(400, "redirect_uri_mismatch",
                               "You can't sign in to this app because it doesn't comply with Google's OAuth 2.0 "
                               "policy.")
        if q.get("response_type") != "code":
            return _redirect(redirect, error="unsupported_response_type", state=q.get("state"))
        scopes = tuple(q.get("scope", "").split())
        if not scopes:
            return _error_page(400, "invalid_request", "Missing required parameter: scope")
        challenge, method = q.get("code_challenge"), q.get("code_challenge_method", "plain")
        if challenge is not None and method not in ("S256", "plain"):
            return _error_page(400, "invalid_request", f"Invalid code_challenge_method: {method}")
        if self._deny_next:
            self._deny_next = False
            return _redirect(redirect, error="access_denied", state=q.get("state"))
        email = q.get("login_hint") or self.default_email
        self.account(email)
        exchange.account = email
        code = "4/0" + secrets.token_urlsafe(40)
        prompts = q.get("prompt", "").split()
        self._codes[code] = _Code(email, client.client_id, redirect, scopes, time.time() + self.code_lifetime,
                                  q.get("access_type") == "offline",
                                  "consent" in prompts or (email, client.client_id) not in self._consented,
                                  challenge, method)
        self._consented.add((email, client.client_id))
        # Google's redirect carries state (verbatim), code, the granted scope, authuser and prompt.
        return _redirect(redirect, state=q.get("state"), code=code, scope=" ".join(_granted(scopes)),
                         authuser="0", prompt="consent")

    # -- token endpoint -------------------------------------------------------

    async def _token(self, request: web.Request, exchange: Exchange) -> web.Response:
        form = exchange.body if isinstance(exchange.body, dict) else {}
        client = self._client_auth(exchange, form)
        exchange.client_id = client.client_id
        grant_type = form.get("grant_type", "")
        if not grant_type:
            raise OAuthError(400, "unsupported_grant_type", "Invalid grant_type: ")
        if grant_type == "authorization_code":
            return self._exchange_code(client, form, exchange)
        if grant_type == "refresh_token":
            if self.refresh_delay > 0:  # a slow token endpoint, so a test can act while a refresh is in flight
                await asyncio.sleep(self.refresh_delay)
            return self._refresh(client, form, exchange)
        raise OAuthError(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}")

    def _client_auth(self, exchange: Exchange, form: dict) -> OAuthClient:
        client_id, secret = form.get("client_id"), form.get("client_secret")
        auth = exchange.header("Authorization") or ""
        if auth[:6].lower() == "basic ":
            try:
                pair = base64.b64decode(auth[6:].strip()).decode("utf-8")
            except ValueError:
                raise OAuthError(401, "invalid_client", "Unauthorized") from None
            # RFC 6749 §2.3.1: both halves are form-urlencoded before joining.
            basic_id, _, basic_secret = pair.partition(":")
            client_id, secret = unquote(basic_id.replace("+", " ")), unquote(basic_secret.replace("+", " "))
        if not client_id:
            raise OAuthError(400, "invalid_request", "Could not determine client ID from request.")
        client = self.clients.get(client_id)
        if client is None:
            raise OAuthError(401, "invalid_client", "The OAuth client was not found.")
        if not secret:
            raise OAuthError(400, "invalid_request", "client_secret is missing.")
        if secret != client.client_secret:
            raise OAuthError(401, "invalid_client", "Unauthorized")
        return client

    def _exchange_code(self, client: OAuthClient, form: dict, exchange: Exchange) -> web.Response:
        code_text = form.get("code", "")
        if not code_text:
            raise OAuthError(400, "invalid_request", "Missing required parameter: code")
        code = self._codes.pop(code_text, None)  # single use: gone even if the exchange fails
        if code is None or code.expires_at < time.time() or code.client_id != client.client_id:
            raise OAuthError(400, "invalid_grant", "Malformed auth code." if code is None else "Bad Request")
        if form.get("redirect_uri", "") != code.redirect_uri:
            raise OAuthError(400, "redirect_uri_mismatch", "Bad Request")
        if code.challenge is not None:
            verifier = form.get("code_verifier")
            if not verifier:
                raise OAuthError(400, "invalid_grant", "Missing code verifier.")
            if _pkce(verifier, code.challenge_method) != code.challenge:
                raise OAuthError(400, "invalid_grant", "Invalid code verifier.")
        exchange.account = code.email
        refresh = None
        if code.offline and code.consent:
            refresh = "1//0" + secrets.token_urlsafe(48)
            self._grants[refresh] = _Grant(code.email, client.client_id, code.scopes)
        access = self._new_access(code.email, client.client_id, code.scopes, refresh, None)
        return web.json_response(self._token_body(access, refresh))

    def _refresh(self, client: OAuthClient, form: dict, exchange: Exchange) -> web.Response:
        token = form.get("refresh_token", "")
        if not token:
            raise OAuthError(400, "invalid_request", "Missing required parameter: refresh_token")
        grant = self._grants.get(token)
        if grant is None or grant.revoked:
            raise OAuthError(400, "invalid_grant", EXPIRED_OR_REVOKED)
        exchange.account = grant.email
        if grant.client_id != client.client_id:
            raise OAuthError(401, "unauthorized_client", "Unauthorized")
        scopes = grant.scopes
        if form.get("scope"):
            asked = tuple(form["scope"].split())
            if not set(asked) <= set(grant.scopes) | {"openid"}:
                raise OAuthError(400, "invalid_scope", "Some requested scopes were invalid. {invalid=[%s]}"
                                 % ", ".join(sorted(set(asked) - set(grant.scopes))))
            scopes = asked
        grant.refreshes += 1
        access = self._new_access(grant.email, client.client_id, scopes, token, None)
        return web.json_response(self._token_body(access, None))

    def _new_access(self, email: str, client_id: str, scopes: tuple[str, ...], refresh: str | None,
                    lifetime: float | None) -> AccessToken:
        life = self.token_lifetime if lifetime is None else lifetime
        access = AccessToken("ya29." + secrets.token_urlsafe(60), email, client_id, scopes, time.time() + life,
                             refresh)
        self._access[access.token] = access
        return access

    def _token_body(self, access: AccessToken, refresh: str | None) -> dict:
        body: dict = {"access_token": access.token, "expires_in": max(0, round(access.expires_at - time.time()))}
        if refresh:
            body["refresh_token"] = refresh
        body["scope"] = " ".join(_granted(access.scopes))
        body["token_type"] = "Bearer"
        if "openid" in _granted(access.scopes):
            body["id_token"] = _id_token(self.account(access.email), access.client_id)
        return body

    # -- userinfo, tokeninfo, revoke --------------------------------------

    async def _userinfo(self, request: web.Request, exchange: Exchange) -> web.Response:
        auth = exchange.header("Authorization") or ""
        token = auth[7:].strip() if auth[:7].lower() == "bearer " else exchange.query.get("access_token", "")
        access = self.token_info(token) if token else None
        if access is None or access.expired:
            # Google's userinfo error shape (a google.rpc.Status, not RFC 6749).
            missing = "Request is missing required authentication credential." if not token else \
                "Request had invalid authentication credentials."
            return web.json_response({"error": {
                "code": 401, "status": "UNAUTHENTICATED",
                "message": missing + " Expected OAuth 2 access token, login cookie or other valid authentication "
                "credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."}},
                status=401)
        exchange.account, exchange.client_id = access.email, access.client_id
        account = self.account(access.email)
        given, _, family = account.name.partition(" ")
        return web.json_response({
            "id": account.sub, "email": account.email, "verified_email": True, "name": account.name,
            "given_name": given, "family_name": family, "picture": "https://lh3.googleusercontent.com/a/fake"})

    async def _tokeninfo(self, request: web.Request, exchange: Exchange) -> web.Response:
        form = exchange.body if isinstance(exchange.body, dict) else {}
        token = exchange.query.get("access_token") or form.get("access_token", "")
        auth = exchange.header("Authorization") or ""
        if not token and auth[:7].lower() == "bearer ":
            token = auth[7:].strip()
        access = self.token_info(token) if token else None
        if access is None or access.expired:
            raise OAuthError(400, "invalid_token", "Invalid Value")
        exchange.account, exchange.client_id = access.email, access.client_id
        left = max(0, int(access.expires_at - time.time()))
        return web.json_response({
            "azp": access.client_id, "aud": access.client_id, "sub": self.account(access.email).sub,
            "scope": " ".join(access.scopes), "exp": str(int(access.expires_at)), "expires_in": str(left),
            "email": access.email, "email_verified": "true", "access_type": "offline"})

    async def _revoke(self, request: web.Request, exchange: Exchange) -> web.Response:
        form = exchange.body if isinstance(exchange.body, dict) else {}
        token = form.get("token") or exchange.query.get("token", "")
        if token in self._grants:
            self.revoke(token)
        elif token in self._access:
            access = self._access.pop(token)
            access.expires_at = 0
        else:
            raise OAuthError(400, "invalid_token", "Token expired or revoked")
        return web.json_response({})


def _granted(scopes: Iterable[str]) -> list[str]:
    """Google adds openid to the granted scopes when userinfo scopes were asked (reference A1)."""
    scopes = list(dict.fromkeys(scopes))
    if "openid" not in scopes and any(s in (USERINFO_EMAIL, USERINFO_PROFILE, "email", "profile") for s in scopes):
        scopes.insert(0, "openid")
    return scopes


def _pkce(verifier: str, method: str) -> str:
    if method == "plain":
        return verifier
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).decode().rstrip("=")


def _redirect_allowed(uri: str) -> bool:
    """Installed-app clients may redirect to any loopback port and path (antigravity.md §1.2) or to the
    Gemini CLI's no-browser page (reference A1)."""
    if uri == CODEASSIST_AUTHCODE_REDIRECT:
        return True
    parts = urlsplit(uri)
    return parts.scheme == "http" and (parts.hostname or "") in _LOOPBACK_HOSTS + ("::1",)


def _redirect(uri: str, **params: str | None) -> web.Response:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return web.Response(status=302, headers={"Location": f"{uri}{'&' if '?' in uri else '?'}{query}"})


def _error_page(status: int, error: str, description: str) -> web.Response:
    text = f"<!DOCTYPE html><html><title>Error {status}: {error}</title><p>Error {status}: {error}</p>" \
           f"<p>{description}</p></html>"
    return web.Response(status=status, text=text, content_type="text/html")


def _id_token(account: Account, client_id: str) -> str:
    """An unsigned JWT-shaped id_token (clients here only store it)."""
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")
    now = int(time.time())
    claims = {"iss": "https://accounts.google.com", "azp": client_id, "aud": client_id, "sub": account.sub,
              "email": account.email, "email_verified": True, "iat": now, "exp": now + 3600}
    return f"{part({'alg': 'RS256', 'kid': 'fake', 'typ': 'JWT'})}.{part(claims)}.{secrets.token_urlsafe(32)}"
