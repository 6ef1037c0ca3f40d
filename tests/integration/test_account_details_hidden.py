"""No client error names an account (break8b fault 2): every account-caused failure form of each fake — the
Gemini API fake's FAIL forms, each row of the Code Assist taxonomy, gemini-web's errors and blocks — sent through
every dialect (OpenAI chat streamed and not, Responses, Anthropic Messages, Gemini native streamed and not, the
Code Assist inbound `/v1internal`), and no account name, e-mail, project id or link token is in the client's
body. They are the operator's: `accounts list` and the log keep them."""

from __future__ import annotations

import pytest

from gemgate.testing.code_assist_errors import REASONS
from gemgate.testing.gemini_errors import PROJECT
from tests.support.code_assist import CodeAssistGateway, running_fakes
from tests.support.gateway import API_KEYS, GatewayThread
from tests.support.http import post
from tests.support.web import WebGateway, cookie, psid, running_web_fake

NAME = "zelda-private-account"
EMAIL = "zelda.private@example.com"
# What none of the answers may contain (lower-cased match): the account's name and e-mail, Google's project
# number and the console link naming it, the verification link and its sign-in token.
LEAKS = [NAME, EMAIL, "@example.com", PROJECT.split("/")[1], "console.developers.google.com", "plt=",
         "signin/continue", "accounts.google.com"]
DIALECTS = ["chat", "chat-stream", "responses", "anthropic", "gemini", "gemini-sse", "code-assist"]


def send(gw, dialect: str, model: str, text: str):
    user = [{"role": "user", "content": text}]
    if dialect.startswith("chat"):
        body = {"model": model, "messages": user, "stream": dialect == "chat-stream"}
        return post(f"{gw.url}/v1/chat/completions", body, key=gw.key)
    if dialect == "responses":
        return post(f"{gw.url}/v1/responses", {"model": model, "input": text}, key=gw.key)
    if dialect == "anthropic":
        return post(f"{gw.url}/v1/messages", {"model": model, "max_tokens": 64, "messages": user}, key=gw.key,
                    key_header="x-api-key", headers={"anthropic-version": "2023-06-01"})
    contents = [{"role": "user", "parts": [{"text": text}]}]
    if dialect == "code-assist":
        body = {"model": model, "project": "gemgate", "user_prompt_id": "p1", "request": {"contents": contents}}
        return post(f"{gw.url}/v1internal:generateContent", body, key=gw.key)
    action = "streamGenerateContent?alt=sse" if dialect == "gemini-sse" else "generateContent"
    return post(f"{gw.url}/v1beta/models/{model}:{action}", {"contents": contents}, key=gw.key)


def reset(gw) -> None:
    """The account usable again after the last answer cooled, disabled or marked it (as `accounts reset` and
    `accounts enable` would), so each dialect meets the failure itself."""
    pool = gw.gateway.pool
    for acc in pool.accounts.values():
        acc.record.enabled, acc.record.disabled_reason, acc.reauth = True, None, None
        acc.cooldowns.clear()
        acc.missing.clear()
    pool.invalidate()


def sweep(gw, model: str, text: str, extra: tuple[str, ...] = ()) -> None:
    for dialect in DIALECTS:
        reset(gw)
        reply = send(gw, dialect, model, text)
        body = reply.text.lower()
        leaked = [t for t in (*LEAKS, *extra) if t.lower() in body]
        assert not leaked, (dialect, text, leaked, reply.text)
        # The failure was met (not the gateway's own answer about an unknown model).
        assert reply.status >= 400 or "error" in body, (dialect, text, reply.text)
        assert "no configured account serves it" not in body, (dialect, text, reply.text)


@pytest.fixture(scope="module")
def ca_fakes():
    with running_fakes() as running:
        yield running


@pytest.mark.parametrize("reason", REASONS)
def test_code_assist_taxonomy_rows(ca_fakes, tmp_path, reason):
    email = f"{reason.lower().replace('_', '-')}.{EMAIL}"
    ca_fakes.ca.account(email, tier="g1-pro-tier")
    project = ca_fakes.ca.account(email).project
    status = {"RATE_LIMIT_EXCEEDED": 429, "QUOTA_EXHAUSTED": 429, "RESOURCE_EXHAUSTED": 429,
              "INSUFFICIENT_G1_CREDITS_BALANCE": 429, "MODEL_CAPACITY_EXHAUSTED": 503, "UNAUTHENTICATED": 401,
              "NOT_FOUND": 404, "INVALID_ARGUMENT": 400}.get(reason, 403)
    with CodeAssistGateway(tmp_path, ca_fakes, {NAME: ca_fakes.credential(email)}) as gw:
        sweep(gw, "gemini-3-flash", f"FAIL {status} {reason} 90s", (email, project))


def test_code_assist_account_refused_at_discovery(ca_fakes, tmp_path):
    email = f"verify.{EMAIL}"
    ca_fakes.ca.account(email, tier="free-tier", validation_url="https://accounts.google.com/signin/continue?plt=zz9")
    with CodeAssistGateway(tmp_path, ca_fakes, {NAME: ca_fakes.credential(email, with_project=False)}) as gw:
        sweep(gw, "gemini-2.5-flash", "hello", (email, "zz9"))  # a fallback model: discovery never ends


API_FORMS = ["429", "401", "403", "404", "500", "503", "400 API_KEY_INVALID", "400 FAILED_PRECONDITION",
             "401 ACCESS_TOKEN_EXPIRED", "403 API_KEY_SERVICE_BLOCKED", "403 SERVICE_DISABLED",
             "403 CONSUMER_SUSPENDED", "403 LEAKED", "403 PERMISSION_DENIED", "404 ENTITY"]


class KeyGateway(GatewayThread):
    """A gateway whose one Gemini API account has the private name."""

    def _seed(self) -> None:
        self.add_accounts("gemini-api", {NAME: {"api_key": API_KEYS[0]}})


@pytest.mark.parametrize("form", API_FORMS)
def test_gemini_api_fail_forms(fake_api, tmp_path, form):
    with KeyGateway(tmp_path, fake_api.url, []) as gw:
        sweep(gw, "gemini-2.5-flash", f"FAIL {form}")


@pytest.fixture(scope="module")
def web_fake():
    with running_web_fake() as fake:
        yield fake


@pytest.mark.parametrize("prompt", ["SORRY", "WEB-HTTP 429", "WEB-HTTP 401", "WEB-HTTP 403", "WEB-HTTP 500",
                                    "WEB-ERROR 1037", "WEB-ERROR 1052", "WEB-ERROR 1060", "WEB-ERROR 1095",
                                    "WEB-ERROR 1013"])
def test_gemini_web_errors(web_fake, tmp_path, prompt):
    tag = "zelda" + prompt.replace(" ", "").replace("-", "").lower()
    web_fake.account(psid(tag))
    with WebGateway(tmp_path, web_fake.url, {NAME: {"cookie": cookie(tag)}}) as gw:
        sweep(gw, "gemini-web/flash", prompt, (psid(tag),))
