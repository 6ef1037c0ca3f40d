"""Upstream: the official Gemini API (generativelanguage v1beta) with API keys."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from urllib.parse import quote

import aiohttp
import orjson

from ..errors import UpstreamError, UpstreamKind
from ..store import AccountRecord
from .base import Upstream
from .google_errors import classify
from .sse import sse_data

KIND = "gemini-api"


class GeminiAPI(Upstream):
    kind = KIND
    fallback_models = (
        "gemini-2.5-pro",
        "gemini-2.5-flash",
        "gemini-2.5-flash-lite",
        "gemini-3-pro-preview",
        "gemini-3-flash-preview",
        "gemini-embedding-001",
    )

    def __init__(
        self,
        base_url: str,
        *,
        connect_timeout: float = 15.0,
        first_byte_timeout: float = 300.0,
        idle_timeout: float = 300.0,
    ) -> None:
        self.base = base_url.rstrip("/") + "/v1beta"
        self._timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=connect_timeout, sock_read=max(first_byte_timeout, idle_timeout)
        )
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        connector = aiohttp.TCPConnector(limit=0, ttl_dns_cache=300, keepalive_timeout=60)
        self._session = aiohttp.ClientSession(
            connector=connector, timeout=self._timeout, json_serialize=lambda o: orjson.dumps(o).decode()
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("upstream not started")
        return self._session

    def _url(self, model: str, method: str) -> str:
        return f"{self.base}/models/{quote(model, safe='-._')}:{method}"

    @staticmethod
    def _headers(account: AccountRecord) -> dict[str, str]:
        return {"x-goog-api-key": account.secret["api_key"], "content-type": "application/json"}

    async def _post(self, account: AccountRecord, url: str, body: dict) -> aiohttp.ClientResponse:
        try:
            response = await self.session.post(
                url, data=orjson.dumps(body), headers=self._headers(account), proxy=account.proxy
            )
        except asyncio.TimeoutError as exc:
            raise UpstreamError(UpstreamKind.TIMEOUT, "no answer from the Gemini API in time") from exc
        except aiohttp.ClientError as exc:
            raise UpstreamError(UpstreamKind.TRANSIENT, f"cannot reach the Gemini API: {exc}") from exc
        if response.status != 200:
            try:
                body_bytes = await response.read()
            finally:
                response.release()
            raise classify(response.status, body_bytes)
        return response

    async def stream(self, account: AccountRecord, model: str, request: dict) -> AsyncIterator[dict]:
        response = await self._post(account, self._url(model, "streamGenerateContent") + "?alt=sse", request)
        seen = False
        try:
            async for data in sse_data(response):
                try:
                    chunk = orjson.loads(data)
                except orjson.JSONDecodeError as exc:
                    raise UpstreamError(UpstreamKind.MALFORMED, "the Gemini API sent an unreadable event") from exc
                if isinstance(chunk, dict) and "error" in chunk:
                    raise classify(int(chunk["error"].get("code") or 500), data)
                seen = True
                yield chunk
        except asyncio.TimeoutError as exc:
            raise UpstreamError(UpstreamKind.TIMEOUT, "the Gemini API stream went silent") from exc
        except aiohttp.ClientError as exc:
            raise UpstreamError(UpstreamKind.TRANSIENT, f"the Gemini API stream broke: {exc}") from exc
        finally:
            response.release()
        if not seen:
            raise UpstreamError(UpstreamKind.MALFORMED, "the Gemini API returned an empty stream")

    async def _json(self, account: AccountRecord, url: str, body: dict) -> dict:
        response = await self._post(account, url, body)
        try:
            return orjson.loads(await response.read())
        except (orjson.JSONDecodeError, aiohttp.ClientError) as exc:
            raise UpstreamError(UpstreamKind.MALFORMED, "the Gemini API sent an unreadable answer") from exc
        finally:
            response.release()

    async def count_tokens(self, account: AccountRecord, model: str, body: dict) -> dict:
        return await self._json(account, self._url(model, "countTokens"), body)

    async def embed(self, account: AccountRecord, model: str, body: dict, *, batch: bool) -> dict:
        method = "batchEmbedContents" if batch else "embedContent"
        return await self._json(account, self._url(model, method), body)

    async def list_models(self, account: AccountRecord) -> list[dict]:
        models: list[dict] = []
        token = None
        for _ in range(50):  # a bound, in case an upstream keeps handing out page tokens
            params = {"pageSize": "1000"}
            if token:
                params["pageToken"] = token
            try:
                async with self.session.get(
                    f"{self.base}/models", params=params, headers=self._headers(account), proxy=account.proxy
                ) as response:
                    body = await response.read()
                    if response.status != 200:
                        raise classify(response.status, body)
            except aiohttp.ClientError as exc:
                raise UpstreamError(UpstreamKind.TRANSIENT, f"cannot reach the Gemini API: {exc}") from exc
            page = orjson.loads(body)
            models.extend(m for m in page.get("models") or () if isinstance(m, dict) and m.get("name"))
            token = page.get("nextPageToken")
            if not token:
                break
        return models
