"""The fake Google OAuth server over real HTTP: both flows, client auth, PKCE, refresh and its errors."""

from __future__ import annotations

import base64
import hashlib
import time
import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from gemgate.testing import ANTIGRAVITY, GEMINI_CLI, FakeGoogleOAuth
from tests.support.http import Headers, Reply, get, request

REDIRECT = "http://127.0.0.1:51121/oauth-callback"


@pytest.fixture(scope="module")
def oauth():
    fake = FakeGoogleOAuth()
    with fake.running() as url:
        fake.url = url
        yield fake


def authorize(oauth, client=ANTIGRAVITY, **extra) -> dict[str, str]:
    """Play the browser: GET the auth URL, return the redirect's query parameters."""
    params = {"client_id": client.client_id, "redirect_uri": REDIRECT, "response_type": "code",
              "scope": " ".join(client.scopes), "state": "st-123", "access_type": "offline",
              "prompt": "consent", **extra}
    reply = _no_redirect_get(f"{oauth.url}/o/oauth2/v2/auth?{urlencode(params)}")
    assert reply.status == 302, reply.body
    location = reply.headers["Location"]
    assert location.startswith(params["redirect_uri"])
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _no_redirect_get(url: str) -> Reply:
    try:
        with urllib.request.build_opener(_NoRedirect).open(url, timeout=10) as resp:
            return Reply(resp.status, Headers(resp.headers.items()), resp.read())
    except urllib.error.HTTPError as err:
        return Reply(err.code, Headers(err.headers.items()), err.read())


def token(oauth, form: dict, *, basic: tuple[str, str] | None = None):
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if basic:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{basic[0]}:{basic[1]}".encode()).decode()
    return request("POST", f"{oauth.url}/token", raw=urlencode(form).encode(), headers=headers)


def code_form(client, code: str, **extra) -> dict:
    return {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
            "client_id": client.client_id, "client_secret": client.client_secret, **extra}


def test_loopback_flow_with_body_auth_then_userinfo(oauth):
    query = authorize(oauth, login_hint="ann@example.com")
    assert query["state"] == "st-123"
    reply = token(oauth, code_form(ANTIGRAVITY, query["code"]))
    body = reply.json()
    assert reply.status == 200, body
    assert body["token_type"] == "Bearer" and body["refresh_token"].startswith("1//")
    assert 3500 < body["expires_in"] <= 3599
    # Google adds openid to the granted scopes (reference A1).
    assert body["scope"].split()[0] == "openid" and set(ANTIGRAVITY.scopes) <= set(body["scope"].split())
    info = get(f"{oauth.url}/oauth2/v2/userinfo?alt=json", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert info.status == 200 and info.json()["email"] == "ann@example.com"
    v1 = get(f"{oauth.url}/oauth2/v1/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert v1.json()["email"] == "ann@example.com"


def test_codes_are_single_use(oauth):
    code = authorize(oauth)["code"]
    assert token(oauth, code_form(ANTIGRAVITY, code)).status == 200
    again = token(oauth, code_form(ANTIGRAVITY, code))
    assert again.status == 400 and again.json()["error"] == "invalid_grant"


def test_codes_expire(oauth):
    oauth.code_lifetime = -1
    try:
        code = authorize(oauth)["code"]
    finally:
        oauth.code_lifetime = 600
    assert token(oauth, code_form(ANTIGRAVITY, code)).json()["error"] == "invalid_grant"


def test_redirect_uri_must_match_the_authorization_request(oauth):
    code = authorize(oauth)["code"]
    reply = token(oauth, code_form(ANTIGRAVITY, code, redirect_uri="http://127.0.0.1:9/other"))
    assert reply.status == 400 and reply.json()["error"] == "redirect_uri_mismatch"


def test_pkce_s256_with_basic_auth(oauth):
    verifier = "v" * 50
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    code = authorize(oauth, GEMINI_CLI, code_challenge=challenge, code_challenge_method="S256")["code"]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": verifier}
    reply = token(oauth, form, basic=(GEMINI_CLI.client_id, GEMINI_CLI.client_secret))
    assert reply.status == 200, reply.body
    assert oauth.requests[-1].client_id == GEMINI_CLI.client_id


@pytest.mark.parametrize("verifier, message", [(None, "Missing code verifier."), ("w" * 50, "Invalid code verifier.")])
def test_pkce_mismatch_is_invalid_grant(oauth, verifier, message):
    challenge = base64.urlsafe_b64encode(hashlib.sha256(b"v" * 50).digest()).decode().rstrip("=")
    code = authorize(oauth, code_challenge=challenge, code_challenge_method="S256")["code"]
    extra = {"code_verifier": verifier} if verifier else {}
    reply = token(oauth, code_form(ANTIGRAVITY, code, **extra))
    assert reply.status == 400 and reply.json() == {"error": "invalid_grant", "error_description": message}


def test_refresh_answers_no_refresh_token_and_counts(oauth):
    refresh = oauth.issue_refresh_token("bob@example.com", GEMINI_CLI.client_id)
    form = {"grant_type": "refresh_token", "refresh_token": refresh}
    reply = token(oauth, {**form, "client_id": GEMINI_CLI.client_id, "client_secret": GEMINI_CLI.client_secret})
    body = reply.json()
    assert reply.status == 200 and "refresh_token" not in body and body["access_token"].startswith("ya29.")
    basic = token(oauth, form, basic=(GEMINI_CLI.client_id, GEMINI_CLI.client_secret))
    assert basic.status == 200
    assert oauth.refresh_count(refresh) == 2
    assert oauth.token_info(body["access_token"]).email == "bob@example.com"


def test_revoked_refresh_token_is_invalid_grant(oauth):
    refresh = oauth.issue_refresh_token("carl@example.com")
    access = token(oauth, {"grant_type": "refresh_token", "refresh_token": refresh, "client_id": ANTIGRAVITY.client_id,
                           "client_secret": ANTIGRAVITY.client_secret}).json()["access_token"]
    oauth.revoke("carl@example.com")
    reply = token(oauth, {"grant_type": "refresh_token", "refresh_token": refresh,
                          "client_id": ANTIGRAVITY.client_id, "client_secret": ANTIGRAVITY.client_secret})
    assert reply.status == 400
    assert reply.json() == {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
    assert oauth.token_info(access) is None  # revoking the grant kills its access tokens
    standalone = oauth.issue_access_token("carl@example.com")
    oauth.revoke("carl@example.com")
    assert oauth.token_info(standalone.token) is None


def test_refresh_token_of_the_other_client_is_unauthorized_client(oauth):
    refresh = oauth.issue_refresh_token("dan@example.com", ANTIGRAVITY.client_id)
    reply = token(oauth, {"grant_type": "refresh_token", "refresh_token": refresh,
                          "client_id": GEMINI_CLI.client_id, "client_secret": GEMINI_CLI.client_secret})
    assert reply.status == 401 and reply.json()["error"] == "unauthorized_client"


@pytest.mark.parametrize("client_id, secret, status, error", [
    ("nobody.apps.googleusercontent.com", "x", 401, "invalid_client"),
    (ANTIGRAVITY.client_id, "wrong", 401, "invalid_client"),
    (ANTIGRAVITY.client_id, "", 400, "invalid_request"),
])
def test_client_authentication_errors(oauth, client_id, secret, status, error):
    refresh = oauth.issue_refresh_token("eve@example.com")
    reply = token(oauth, {"grant_type": "refresh_token", "refresh_token": refresh, "client_id": client_id,
                          "client_secret": secret})
    assert reply.status == status and reply.json()["error"] == error


def test_unknown_grant_type(oauth):
    reply = token(oauth, {"grant_type": "password", "client_id": ANTIGRAVITY.client_id,
                          "client_secret": ANTIGRAVITY.client_secret})
    assert reply.status == 400 and reply.json()["error"] == "unsupported_grant_type"


def test_no_refresh_token_without_offline_access(oauth):
    code = authorize(oauth, access_type="online")["code"]
    assert "refresh_token" not in token(oauth, code_form(ANTIGRAVITY, code)).json()


def test_consent_denied_and_bad_requests(oauth):
    oauth.deny_next_consent()
    assert authorize(oauth) == {"error": "access_denied", "state": "st-123"}
    unknown = _no_redirect_get(f"{oauth.url}/o/oauth2/v2/auth?" + urlencode(
        {"client_id": "x", "redirect_uri": REDIRECT, "response_type": "code", "scope": "openid"}))
    assert unknown.status == 401 and b"invalid_client" in unknown.body
    remote = _no_redirect_get(f"{oauth.url}/o/oauth2/v2/auth?" + urlencode(
        {"client_id": ANTIGRAVITY.client_id, "redirect_uri": "https://evil.example/cb", "response_type": "code",
         "scope": "openid"}))
    assert remote.status == 400


def test_expired_access_token_is_refused_by_userinfo(oauth):
    access = oauth.issue_access_token("fay@example.com", lifetime=-1)
    reply = get(f"{oauth.url}/oauth2/v2/userinfo", headers={"Authorization": f"Bearer {access.token}"})
    assert reply.status == 401 and reply.json()["error"]["status"] == "UNAUTHENTICATED"
    assert get(f"{oauth.url}/oauth2/v2/userinfo").status == 401


def test_google_auth_refreshes_against_the_fake(oauth):
    # google-auth as a real client of the token endpoint (reference C: token_uri is honoured).
    from google.auth.exceptions import RefreshError
    from google.auth.transport.requests import Request
    from google.oauth2.credentials import Credentials

    refresh = oauth.issue_refresh_token("gil@example.com", GEMINI_CLI.client_id)
    creds = Credentials(None, refresh_token=refresh, token_uri=f"{oauth.url}/token", client_id=GEMINI_CLI.client_id,
                        client_secret=GEMINI_CLI.client_secret, scopes=list(GEMINI_CLI.scopes))
    creds.refresh(Request())
    assert oauth.token_info(creds.token).email == "gil@example.com"
    assert creds.expiry is not None and creds.refresh_token == refresh
    oauth.revoke(refresh)
    with pytest.raises(RefreshError, match="invalid_grant"):
        creds.refresh(Request())


def test_token_lifetime_is_configurable(oauth):
    oauth.token_lifetime = 0
    try:
        refresh = oauth.issue_refresh_token("hal@example.com")
        body = token(oauth, {"grant_type": "refresh_token", "refresh_token": refresh,
                             "client_id": ANTIGRAVITY.client_id, "client_secret": ANTIGRAVITY.client_secret}).json()
    finally:
        oauth.token_lifetime = 3599
    assert body["expires_in"] == 0
    time.sleep(0.01)
    assert oauth.token_info(body["access_token"]).expired


def test_tokeninfo_and_revoke(oauth):
    access = oauth.issue_access_token("ida@example.com", GEMINI_CLI.client_id)
    info = get(f"{oauth.url}/tokeninfo?access_token={access.token}").json()
    assert info["email"] == "ida@example.com" and info["aud"] == GEMINI_CLI.client_id and int(info["expires_in"]) > 0
    refresh = oauth.issue_refresh_token("ida@example.com", GEMINI_CLI.client_id)
    revoke = request("POST", f"{oauth.url}/revoke", raw=urlencode({"token": refresh}).encode(),
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert revoke.status == 200
    again = token(oauth, {"grant_type": "refresh_token", "refresh_token": refresh}, basic=(
        GEMINI_CLI.client_id, GEMINI_CLI.client_secret))
    assert again.json()["error"] == "invalid_grant"
    assert get(f"{oauth.url}/tokeninfo?access_token=nope").status == 400


def test_google_auth_oauthlib_installed_app_flow(oauth, monkeypatch):
    # oauthlib's InstalledAppFlow as a real client: PKCE S256 and HTTP Basic client auth (reference C).
    flow_module = pytest.importorskip("google_auth_oauthlib.flow")
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # http token_uri (tests only)
    monkeypatch.setenv("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")  # Google adds openid to the granted scopes
    config = {"installed": {"client_id": GEMINI_CLI.client_id, "client_secret": GEMINI_CLI.client_secret,
                            "auth_uri": f"{oauth.url}/o/oauth2/v2/auth", "token_uri": f"{oauth.url}/token",
                            "redirect_uris": [REDIRECT]}}
    flow = flow_module.InstalledAppFlow.from_client_config(config, scopes=list(GEMINI_CLI.scopes))
    flow.redirect_uri = REDIRECT
    url, state = flow.authorization_url(access_type="offline", prompt="consent", login_hint="jo@example.com")
    location = _no_redirect_get(url).headers["Location"]
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert query["state"] == state
    flow.fetch_token(code=query["code"])
    assert oauth.token_info(flow.credentials.token).email == "jo@example.com"
    exchange = oauth.requests[-1]
    assert exchange.header("Authorization").startswith("Basic ") and exchange.body["code_verifier"]
    assert "code_challenge=" in url and "code_challenge_method=S256" in url
