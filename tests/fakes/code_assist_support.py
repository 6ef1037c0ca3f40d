"""Helpers for the fake Code Assist tests: envelopes of both profiles and one authenticated caller."""

from __future__ import annotations

from typing import Any

from gemgate.testing import ANTIGRAVITY, GEMINI_CLI, FakeCodeAssist, FakeGoogleOAuth, OAuthClient
from tests.support.http import Reply, post, request
from tests.support.payloads import user

AG_UA = "antigravity/hub/2.9.1 darwin/arm64"
OLD_AG_UA = "antigravity/1.15.8 darwin/arm64"
CLI_UA = "GeminiCLI/0.61.0/gemini-2.5-pro (linux; x64; terminal) google-api-nodejs-client/10.9.0"


def ag_envelope(project: str | None, model: str = "gemini-3-flash", text: str = "hello there",
                **inner: Any) -> dict[str, Any]:
    """The Antigravity envelope (antigravity.md §4.2): camelCase, sessionId inside request."""
    body: dict[str, Any] = {"model": model, "userAgent": "antigravity", "requestType": "agent",
                            "requestId": "agent-0f0e", "request": {"contents": [user(text)], "sessionId": "-42",
                                                                   **inner}}
    if project is not None:
        body["project"] = project
    return body


def cli_envelope(project: str | None, model: str = "gemini-2.5-pro", text: str = "hello there",
                 **inner: Any) -> dict[str, Any]:
    """The Gemini CLI envelope (reference A3): user_prompt_id and request.session_id in snake_case."""
    body: dict[str, Any] = {"model": model, "user_prompt_id": "p-1",
                            "request": {"contents": [user(text)], "session_id": "s-1", **inner}}
    if project is not None:
        body["project"] = project
    return body


class Caller:
    """One account signed in through one OAuth client, calling the fake over HTTP."""

    def __init__(self, ca: FakeCodeAssist, url: str, email: str, client: OAuthClient = ANTIGRAVITY,
                 user_agent: str | None = None) -> None:
        self.ca, self.url, self.email, self.client = ca, url, email, client
        self.user_agent = user_agent or (AG_UA if client is ANTIGRAVITY else CLI_UA)
        self.token = ca.oauth.issue_access_token(email, client.client_id).token

    @property
    def project(self) -> str | None:
        """The account's project as the fake has it."""
        return self.ca.account(self.email).project

    def headers(self, **extra: str) -> dict[str, str]:
        """Authorization and User-Agent of this caller."""
        return {"Authorization": f"Bearer {self.token}", "User-Agent": self.user_agent, **extra}

    def rpc(self, method: str, body: Any = None, query: str = "", **headers: str) -> Reply:
        """POST /v1internal:<method>."""
        return post(f"{self.url}/v1internal:{method}{query}", body if body is not None else {},
                    headers=self.headers(**headers))

    def get(self, path: str) -> Reply:
        """GET a path of the fake with this caller's token."""
        return request("GET", f"{self.url}{path}", headers=self.headers())

    def envelope(self, **kw: Any) -> dict[str, Any]:
        """This profile's generation envelope for the account's project."""
        maker = ag_envelope if self.client is ANTIGRAVITY else cli_envelope
        return maker(kw.pop("project", self.project), **kw)


def new_fakes() -> tuple[FakeGoogleOAuth, FakeCodeAssist]:
    """A fresh OAuth fake and a Code Assist fake that trusts it."""
    oauth = FakeGoogleOAuth()
    return oauth, FakeCodeAssist(oauth)


__all__ = ["AG_UA", "CLI_UA", "GEMINI_CLI", "OLD_AG_UA", "Caller", "ag_envelope", "cli_envelope", "new_fakes"]
