"""Upstream kind "gemini-api": the official Gemini API (generativelanguage v1beta) with API keys.

Endpoints and auth per reference/codeassist-and-gemini-api.md §B1: `x-goog-api-key`,
`models/{model}:streamGenerateContent?alt=sse`, `:countTokens`, `:embedContent`, `:batchEmbedContents`,
`GET models` with `pageSize` (max 1000) / `pageToken`.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import ClassVar
from urllib.parse import quote

import orjson
import typer

from ...errors import Failure, UpstreamError
from ...store import AccountRecord
from .._http import HttpClient
from ..base import Capability, Upstream, UpstreamSettings

KIND = "gemini-api"
LABEL = "the Gemini API"

# Google answers a batchEmbedContents with more requests than this with 400 "* BatchEmbedContentsRequest.requests:
# at most 100 requests can be in one batch" (the error quoted in langchain-ai/langchainjs#4491; the same limit made
# vercel/ai#16575 set the Google provider's maxEmbeddingsPerCall to 100 and weaviate/weaviate#11277 its batch size).
# OpenAI's /v1/embeddings takes up to 2048 inputs, so a client cannot know it: larger batches are split here.
MAX_BATCH_EMBED_REQUESTS = 100

# What a Gemini API key looks like (aistudio.google.com/apikey): "AIza" and 35 URL-safe characters.
API_KEY_SHAPE = re.compile(r"AIza[0-9A-Za-z_-]{35}")


class GeminiAPISettings(UpstreamSettings):
    """`[upstreams.gemini_api]`: `base_url` is the API root (fakes and mirrors stand in here)."""

    base_url: str = "https://generativelanguage.googleapis.com"


class GeminiAPI(Upstream):
    """Official Gemini API keys: generation, token counting, embeddings and model listing."""

    kind = KIND
    capabilities = frozenset(Capability) - {Capability.GEMS}  # gems are the web app's (§6.5 of its reference)
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
        """"apikey-" and as many of the key's last characters as `describe_secret` shows: 4, or 2 of a key
        shorter than 16 (a name is in every log line; 4 characters of a short key would be much of it)."""
        api_key = secret.get("api_key")
        if not isinstance(api_key, str) or not api_key.strip():
            return None
        key = api_key.strip()
        return f"apikey-{key[-4:] if len(key) >= 16 else key[-2:]}"

    @classmethod
    def secret_problem(cls, secret: dict) -> str | None:
        """Google's API keys are 39 characters: "AIza" and 35 letters, digits, '-' or '_'
        (aistudio.google.com/apikey); anything else cannot work against the real API."""
        api_key = secret.get("api_key")
        shape = (
            "a key is 39 characters, 'AIza' followed by 35 letters, digits, '-' or '_' "
            "(create one at https://aistudio.google.com/apikey)"
        )
        if not isinstance(api_key, str) or not api_key.strip():
            return f"the Gemini API key ('api_key') is empty: {shape}"
        if API_KEY_SHAPE.fullmatch(api_key.strip()):
            return None
        return f"that does not look like a Gemini API key: {shape}"

    @classmethod
    def credential_identity(cls, secret: dict) -> str | None:
        """The API key itself: two accounts with one key share one quota."""
        api_key = secret.get("api_key")
        return api_key.strip() if isinstance(api_key, str) and api_key.strip() else None

    @classmethod
    def describe_secret(cls, secret: dict) -> str:
        """The key's first 4 and last 4 characters (`AIza…x9Qk`); only the last 2 of a key shorter than 16."""
        api_key = (secret.get("api_key") or "").strip() if isinstance(secret.get("api_key"), str) else ""
        if not api_key:
            return ""
        return f"{api_key[:4]}…{api_key[-4:]}" if len(api_key) >= 16 else f"…{api_key[-2:]}"

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
        """`POST models/{model}:embedContent` or `:batchEmbedContents` (ai.google.dev/api/embeddings).

        A batch of more than `MAX_BATCH_EMBED_REQUESTS` requests is sent as consecutive batches of at most that
        many, and their answers are joined back into one response in the order of the requests.
        """
        if not batch:
            return await self._post_json(account, self._url(model, "embedContent"), body)
        url = self._url(model, "batchEmbedContents")
        requests = body.get("requests")
        if not isinstance(requests, list) or len(requests) <= MAX_BATCH_EMBED_REQUESTS:
            return await self._post_json(account, url, body)
        answers = []
        for start in range(0, len(requests), MAX_BATCH_EMBED_REQUESTS):
            part = requests[start: start + MAX_BATCH_EMBED_REQUESTS]
            try:
                answers.append((len(part), await self._post_json(account, url, {**body, "requests": part})))
            except UpstreamError as err:  # Google counts from the slice's start: point at the client's request
                err.message = _REQUEST_INDEX.sub(lambda m: f"requests[{int(m.group(1)) + start}]", err.message)
                raise
        return join_embed_batches(answers)

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


_REQUEST_INDEX = re.compile(r"requests\[(\d+)\]")


def join_embed_batches(answers: list[tuple[int, dict]]) -> dict:
    """One BatchEmbedContentsResponse from the answers to consecutive slices of a batch, each given with the
    number of requests it carried: `embeddings` concatenated in order, numeric `usageMetadata` fields summed
    (each slice counts only its own inputs), other top-level fields from the first answer. A slice answered with
    another number of embeddings than it asked for would shift every later vector: that is a MALFORMED failure.
    """
    joined: dict = {}
    embeddings: list = []
    usage: dict = {}
    for asked, answer in answers:
        got = answer.get("embeddings")
        if not isinstance(got, list) or len(got) != asked:
            count = len(got) if isinstance(got, list) else 0
            raise UpstreamError(
                Failure.MALFORMED, f"batchEmbedContents answered {count} embeddings for {asked} requests"
            )
        embeddings.extend(got)
        for key, value in answer.items():
            if key == "usageMetadata" and isinstance(value, dict):
                for name, n in value.items():
                    if isinstance(n, (int, float)) and not isinstance(n, bool):
                        usage[name] = usage.get(name, 0) + n
                    else:
                        usage.setdefault(name, n)
            elif key != "embeddings":
                joined.setdefault(key, value)
    joined["embeddings"] = embeddings
    if usage:
        joined["usageMetadata"] = usage
    return joined
