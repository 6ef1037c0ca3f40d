"""Media referenced by URL in a request: data: URLs decoded, http(s) URLs fetched behind an SSRF guard."""

from __future__ import annotations

import asyncio
import base64
import binascii
import ipaddress
import socket
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver
from aiohttp.resolver import DefaultResolver

from ..config import Settings
from ..errors import bad_request


def _forbidden_ip(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


class _GuardedResolver(AbstractResolver):
    """Resolves names and refuses private, loopback and link-local answers, so DNS cannot point inwards."""

    def __init__(self) -> None:
        self._inner = DefaultResolver()

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET):
        answers = await self._inner.resolve(host, port, family)
        allowed = [a for a in answers if not _forbidden_ip(a["host"])]
        if not allowed:
            raise OSError(f"{host} resolves only to private or local addresses")
        return allowed

    async def close(self) -> None:
        await self._inner.close()


def decode_data_url(url: str, param: str) -> tuple[str, str]:
    """(mime type, base64 data) of a data: URL (RFC 2397; no media type means text/plain).

    Base64 payloads are checked and passed on as they are; others are percent-decoded and base64-encoded.
    Raises GatewayError 400 naming `param` for a malformed URL or invalid base64.
    """
    header, sep, payload = url.partition(",")
    if not sep or not header.startswith("data:"):
        raise bad_request(f"{param} is not a valid data: URL (expected data:<mime>;base64,<data>)", param)
    meta = header[5:].split(";")
    mime = meta[0] or "text/plain"
    if "base64" in meta[1:]:
        try:
            base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            raise bad_request(f"{param} holds invalid base64 data", param) from None
        return mime, payload
    from urllib.parse import unquote_to_bytes

    return mime, base64.b64encode(unquote_to_bytes(payload)).decode()


class MediaFetcher:
    """Fetches http(s) media for requests with one aiohttp session: at most `fetch_max_bytes` bytes, within
    `fetch_timeout` seconds in total, redirects followed by hand (5 hops, each checked); unless
    `fetch_allow_private`, local and private targets are refused, by name and by DNS answer.
    """

    def __init__(self, settings: Settings) -> None:
        self.allow_private = settings.fetch_allow_private
        self.max_bytes = settings.fetch_max_bytes
        self.timeout = settings.fetch_timeout
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        """Open the session (with the guarded resolver unless private fetches are allowed)."""
        resolver = DefaultResolver() if self.allow_private else _GuardedResolver()
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(resolver=resolver, limit=64),
            timeout=aiohttp.ClientTimeout(total=self.timeout),
        )

    async def close(self) -> None:
        """Close the session."""
        if self._session is not None:
            await self._session.close()

    def _check_target(self, url: str, param: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise bad_request(f"{param}: only http(s) and data: URLs are supported", param)
        if self.allow_private:
            return
        host = parts.hostname
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if (literal is not None and _forbidden_ip(host)) or host == "localhost" or host.endswith(".localhost"):
            raise bad_request(f"{param}: fetching from private or local addresses is not allowed", param)

    async def fetch(self, url: str, param: str) -> tuple[str, str]:
        """(mime type, base64 data) of the resource at an http(s) URL (mime from Content-Type, else
        application/octet-stream). Raises GatewayError 400 naming `param` for a refused target, a non-200
        answer, more than `max_bytes` bytes, too many redirects, or any network error or timeout."""
        try:
            for _ in range(5):  # follow redirects by hand so every hop is checked
                self._check_target(url, param)
                async with self._session.get(url, allow_redirects=False) as resp:
                    if resp.status in (301, 302, 303, 307, 308) and "location" in resp.headers:
                        url = urljoin(url, resp.headers["location"])
                        continue
                    if resp.status != 200:
                        raise bad_request(f"{param}: fetching the URL gave HTTP {resp.status}", param)
                    if (resp.content_length or 0) > self.max_bytes:
                        raise bad_request(f"{param}: the resource is larger than {self.max_bytes} bytes", param)
                    data = bytearray()
                    async for block in resp.content.iter_chunked(65536):
                        data += block
                        if len(data) > self.max_bytes:
                            raise bad_request(f"{param}: the resource is larger than {self.max_bytes} bytes", param)
                    mime = resp.content_type or "application/octet-stream"
                    return mime, base64.b64encode(bytes(data)).decode()
            raise bad_request(f"{param}: too many redirects", param)
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
            raise bad_request(f"{param}: could not fetch the URL ({exc.__class__.__name__}: {exc})", param) from None

    async def inline(self, url: str, param: str) -> dict:
        """A Gemini inlineData part `{"inlineData": {"mimeType", "data" (base64)}}` for a data: or http(s) URL
        (ai.google.dev/api/caching#Blob). Raises GatewayError 400 as `decode_data_url` and `fetch` do."""
        if url.startswith("data:"):
            mime, data = decode_data_url(url, param)
        else:
            mime, data = await self.fetch(url, param)
        return {"inlineData": {"mimeType": mime, "data": data}}
