"""The sign-in started from the server (login.py's flow): `GET /auth/login?profile=[&project=&user_agent=
&credits=]` → 302 to Google →
`GET /auth/callback` (exchange, discovery, the account stored: the running gateway takes it within
change_poll_seconds) → a small page; `GET /auth/status` → `{"authenticated", "accounts": [{"email",
"profile", "projectId", "tier", "expiresAt"}]}` (the shape the OAuth proxy gemgate replaces answers).

Until an admin credential exists these routes answer loopback clients only; /auth/login and /auth/status
need a client key (the app's ClientAuth), the callback is protected by the one-time `state` instead.
"""

from __future__ import annotations

import html
import re
import ipaddress
import time
from datetime import datetime, timezone

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ... import admin
from ...redaction import redact
from . import credential
from .login import LoginError, Pending, begin, code_from, finish, model_ids, save, summary
from .profiles import PROFILES

CALLBACK = "/auth/callback"
OPEN_PATHS = frozenset({CALLBACK})
MAX_PENDING = 64  # sign-ins waiting at once; the oldest is dropped beyond it
# Google Cloud project ids: 6-30 characters, lowercase letters, digits and hyphens, starting with a letter
# (cloud.google.com/resource-manager/docs/creating-managing-projects#before_you_begin), older ones scoped by a
# domain ("example.com:my-project").
PROJECT_ID = re.compile(r"(?:[a-z0-9.-]{1,63}:)?[a-z][a-z0-9-]{4,28}[a-z0-9]")


def _loopback(request: Request) -> bool:
    """Whether the client (as the server saw it, after any trusted X-Forwarded-For) is on this machine."""
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return host == "localhost"


def _refused() -> JSONResponse:
    return JSONResponse(
        {"error": {"message": "sign-in routes answer only clients on this machine (no admin credential yet)",
                   "type": "permission_error", "code": 403}}, status_code=403)


def _bad(message: str) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": "invalid_request_error", "code": 400}}, status_code=400)


def _flag(value: str | None) -> bool | None:
    """`credits=true|false|1|0|yes|no` (None when absent). Raises ValueError for anything else."""
    if value is None:
        return None
    if value.lower() in ("true", "1", "yes", "on"):
        return True
    if value.lower() in ("false", "0", "no", "off"):
        return False
    raise ValueError("credits: give true or false")


def _page(status: int, text: str) -> HTMLResponse:
    return HTMLResponse(f"<!DOCTYPE html><title>gemgate sign-in</title><p>{html.escape(redact(text))}</p>",
                        status_code=status)


def _upstream(request: Request):
    return request.app.state.gateway.upstreams["code-assist"]


def _pending(upstream) -> dict[str, Pending]:
    """The sign-ins this server started and still waits for, by state; expired ones dropped."""
    waiting: dict[str, Pending] = upstream.logins
    deadline = time.time() - upstream.settings.login_timeout_seconds
    for state in [s for s, p in waiting.items() if p.started < deadline]:
        del waiting[state]
    return waiting


def callback_url(request: Request) -> str:
    """Where Google sends the browser back: this server's own address, from its settings (`host`, `port`; the
    socket's own port when the setting is 0), never from the request's Host header, which any client with a
    key could set to another host so the authorization code went there. A wildcard or non-loopback bind
    answers the browser on loopback (these routes serve only clients on this machine)."""
    settings = request.app.state.gateway.settings
    port = settings.port or (request.scope.get("server") or ("", 0))[1]
    try:
        bound = ipaddress.ip_address(settings.host.strip("[]"))
    except ValueError:
        bound = None
    if settings.host == "localhost" or (bound is not None and bound.is_loopback):
        host = f"[{bound}]" if bound is not None and bound.version == 6 else settings.host
    else:
        host = "[::1]" if bound is not None and bound.version == 6 else "127.0.0.1"
    return f"http://{host}:{port}{CALLBACK}"


async def login(request: Request) -> Response:
    """302 to Google's consent page for `?profile=` (default antigravity). Also, as `gemgate login` takes them:
    `project` (the user's own project id: no discovery, eligibility asked after the sign-in), `user_agent` and
    `credits` (`true`/`false`), kept by the account. 400 in OpenAI's error shape for an unknown profile or a
    value that cannot be used."""
    if not _loopback(request):
        return _refused()
    profile = request.query_params.get("profile", "antigravity")
    if profile not in PROFILES:
        return _bad(f"unknown profile '{redact(profile)[:40]}'; use {' or '.join(sorted(PROFILES))}")
    query = request.query_params
    try:
        own = credential.options(query.get("user_agent"), _flag(query.get("credits")))
    except ValueError as exc:
        return _bad(f"{exc}")
    project = (query.get("project") or "").strip() or None
    if project is not None and not PROJECT_ID.fullmatch(project):
        return _bad("project: give a Google Cloud project id (6-30 lowercase letters, digits and hyphens)")
    upstream = _upstream(request)
    pending = begin(upstream, profile, callback_url(request))
    pending.project, pending.settings = project, own
    waiting = _pending(upstream)
    while len(waiting) >= MAX_PENDING:
        waiting.pop(next(iter(waiting)))
    waiting[pending.state] = pending
    return RedirectResponse(pending.url, status_code=302)


async def callback(request: Request) -> Response:
    """Google's redirect: the state must be one this server issued (used once); the account is added."""
    if not _loopback(request):
        return _refused()
    upstream = _upstream(request)
    pending = _pending(upstream).pop(request.query_params.get("state", ""), None)
    if pending is None:
        return _page(400, "Sign-in refused: this sign-in is unknown or expired (state mismatch). Start again.")
    gateway = request.app.state.gateway
    try:
        secret = await finish(upstream, pending, code_from(request.query_params, pending), project=pending.project,
                              settings=pending.settings)
        if pending.project:  # no discovery ran to say whether Google serves the account through this profile
            await model_ids(upstream, secret)
        view, replaced = await save(gateway.store, secret)
    except LoginError as exc:
        return _page(400, f"Sign-in failed: {exc}")
    except admin.AdminError as exc:
        return _page(409, f"Sign-in failed: {exc.message}")
    done = "renewed" if replaced else "added"
    return _page(200, f"Signed in: account '{view.name}' {done} ({summary(secret)}). You can close this tab.")


def _quota(record) -> dict:
    """`{model id: {"remainingFraction", "resetTime"}}` of the latest quota reading, in fetchAvailableModels'
    quotaInfo shape (reference/antigravity.md §7.1); fields not reported are left out."""
    out: dict[str, dict] = {}
    for model, reading in (record.quota.models.items() if record.quota is not None else ()):
        entry: dict = {}
        if reading.fraction is not None:
            entry["remainingFraction"] = reading.fraction
        if reading.reset is not None:
            entry["resetTime"] = datetime.fromtimestamp(reading.reset, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        out[model] = entry
    return out


async def status(request: Request) -> Response:
    """The stored Code Assist accounts (never a token); `authenticated` when there is at least one. Besides the
    fields the replaced proxy answers, `quota`: each model's quota at the latest reading (`_quota`)."""
    if not _loopback(request):
        return _refused()
    accounts = [
        {"email": a.secret.get("email"), "profile": a.secret.get("profile"), "projectId": a.secret.get("project_id"),
         "tier": a.secret.get("tier"), "expiresAt": a.secret.get("expiry"), "quota": _quota(a)}
        for a in await request.app.state.gateway.store.list_accounts() if a.kind == "code-assist"
    ]
    return JSONResponse({"authenticated": bool(accounts), "accounts": accounts})


ROUTES = [
    Route("/auth/login", login, methods=["GET"]),
    Route(CALLBACK, callback, methods=["GET"]),
    Route("/auth/status", status, methods=["GET"]),
]
