"""Upstream kind "gemini-api": the official Gemini API (generativelanguage v1beta) with API keys.

Endpoints and auth per reference/codeassist-and-gemini-api.md §B1: `x-goog-api-key`,
`models/{model}:streamGenerateContent?alt=sse`, `:countTokens`, `:embedContent`, `:batchEmbedContents`,
`GET models` with `pageSize` (max 1000) / `pageToken`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import ClassVar
from urllib.parse import quote

import orjson
import typer

from ...store import AccountRecord
from .._http import HttpClient
from ..base import Capability, Upstream, UpstreamSettings

KIND = "gemini-api"
LABEL = "the Gemini API"


class GeminiAPISettings(UpstreamSettings):
    """`[upstreams.gemini_api]`: `base_url` is the API root (fakes and mirrors stand in here)."""

    base_url: str = "https://generativelanguage.googleapis.com"


class GeminiAPI(Upstream):
    """Official Gemini API keys: generation, token counting, embeddings and model listing."""

    kind = KIND
    capabilities = frozenset(Capability)
    settings_model = GeminiAPISettings
    secret_fields = ("api_key",)
    fallback_models: ClassVar[tuple[str, ...]] = (
        "gemini-2.5-pro",
        "gemini-2.5-flash",
        "gemini-2.5-flash-lite",
        "gemini-3-pro-preview",
        "gemini-3-flash-preview",
        "gemini-embedding-001",
    )

    @classmethod
    def register_cli(cls, accounts: typer.Typer) -> None:
        """`gemgate accounts add-apikey`."""
        from .cli import register

        register(accounts)

    @classmethod
    def suggest_name(cls, secret: dict) -> str | None:
        """"apikey-" and the API key's last 4 characters."""
        api_key = secret.get("api_key")
        return f"apikey-{api_key.strip()[-4:]}" if isinstance(api_key, str) and api_key.strip() else None

    def __init__(self, settings: GeminiAPISettings) -> None:
        super().__init__(settings)
        self.base = settings.base_url.rstrip("/") + "/v1beta"
        self.http = HttpClient(settings, LABEL)

    async def start(self) -> None:
        """Open the HTTP session."""
        await self.http.start()

    async def close(self) -> None:
        """Close the HTTP session."""
        await self.http.close()

    def _url(self, model: str, method: str) -> str:
        return f"{self.base}/models/{quote(model, safe='-._')}:{method}"

    @staticmethod
    def _headers(account: AccountRecord) -> dict[str, str]:
        return {"x-goog-api-key": account.secret["api_key"], "content-type": "application/json"}

    async def _post_json(self, account: AccountRecord, url: str, body: dict) -> dict:
        return await self.http.json(
            "POST", url, body=orjson.dumps(body), headers=self._headers(account), proxy=self.proxy_for(account)
        )

    def stream(self, account: AccountRecord, model: str, request: dict) -> AsyncIterator[dict]:
        """`POST models/{model}:streamGenerateContent?alt=sse`; see `Upstream.stream`."""
        return self.http.stream_gemini(
            self._url(model, "streamGenerateContent") + "?alt=sse",
            body=orjson.dumps(request),
            headers=self._headers(account),
            proxy=self.proxy_for(account),
        )

    async def count_tokens(self, account: AccountRecord, model: str, body: dict) -> dict:
        """`POST models/{model}:countTokens` (ai.google.dev/api/tokens); see `Upstream.count_tokens`."""
        return await self._post_json(account, self._url(model, "countTokens"), body)

    async def embed(self, account: AccountRecord, model: str, body: dict, *, batch: bool) -> dict:
        """`POST models/{model}:embedContent` or `:batchEmbedContents` (ai.google.dev/api/embeddings)."""
        return await self._post_json(account, self._url(model, "batchEmbedContents" if batch else "embedContent"), body)

    async def list_models(self, account: AccountRecord) -> list[dict]:
        """Every page of `GET models` (pageSize 1000, at most 50 pages; ai.google.dev/api/models#method:-models.list),
        keeping entries that have a `name` ("models/<id>").
        """
        models: list[dict] = []
        token = None
        for _ in range(50):  # a bound, in case an upstream keeps handing out page tokens
            params = {"pageSize": "1000"}
            if token:
                params["pageToken"] = token
            page = await self.http.json(
                "GET", f"{self.base}/models", params=params, headers=self._headers(account),
                proxy=self.proxy_for(account),
            )
            models.extend(m for m in page.get("models") or () if isinstance(m, dict) and m.get("name"))
            token = page.get("nextPageToken")
            if not token:
                break
        return models
