"""Media referenced by URL in a request: data: URLs decoded, http(s) URLs fetched behind an SSRF guard.

The guard decides on the IP address of each socket the fetcher is about to connect (`addresses.guarded_socket`),
never on the URL's spelling, so no normalisation, redirect or DNS answer gets around it. Every way a fetch can
fail before a body is read (a refused address, DNS failure, refused or timed-out connection, non-200 answer,
redirect loop) gives the caller the same 400, so the gateway cannot be used to map ports or names.
Declared media types are checked against the bytes (`sniff.checked_type`).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
from urllib.parse import unquote_to_bytes, urljoin

import aiohttp

from ..config import Settings
from ..errors import GatewayError, bad_request
from .addresses import guarded_socket
from .sniff import HEAD_BYTES, b64_head, checked_type

log = logging.getLogger("gemgate.media")
_REDIRECTS = (301, 302, 303, 307, 308)
_MAX_HOPS = 5


def _web_scheme(url: str) -> bool:
    # not urlsplit: it raises on malformed hosts such as "http://[::1/x", which must be a 400 like any other
    return url.partition(":")[0].lower() in ("http", "https")


def unreachable(param: str) -> GatewayError:
    """The one 400 for a URL the fetcher refuses or cannot get: it never says which of the two it was."""
    return bad_request(f"{param}: URL not allowed or not reachable", param)


def decode_data_url(url: str, param: str) -> tuple[str, str]:
    """(mime type, base64 data) of a data: URL (RFC 2397; no media type means text/plain), the type
    checked against the bytes by `sniff.checked_type` (re-typed when they show another format).

    Base64 payloads are checked and passed on as they are; others are percent-decoded and base64-encoded.
    Raises GatewayError 400 naming `param` for a malformed URL, invalid base64, or bytes that are not of
    the declared media type.
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
        return checked_type(mime, b64_head(payload), param), payload
    raw = unquote_to_bytes(payload)
    return checked_type(mime, raw[:HEAD_BYTES], param), base64.b64encode(raw).decode()


class MediaFetcher:
    """Fetches http(s) media for requests with one aiohttp session: at most `fetch_max_bytes` bytes, within
    `fetch_timeout` seconds in total, redirects followed by hand (5 hops). Unless `fetch_allow_private`,
    every socket's address is vetted as it is connected (`addresses.guarded_socket`), so loopback, private,
    link-local, CGNAT, multicast, reserved and documentation addresses, and IPv6 forms carrying them, are
    never connected to. The session uses no proxy (`trust_env` is off): a proxy would make the guard see
    only the proxy's address, so adding one needs the target vetted before the request instead.
    """

    def __init__(self, settings: Settings) -> None:
        self.allow_private = settings.fetch_allow_private
        self.max_bytes = settings.fetch_max_bytes
        self.timeout = settings.fetch_timeout
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        """Open the session (sockets vetted by address unless private fetches are allowed)."""
        factory = None if self.allow_private else guarded_socket
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=64, socket_factory=factory),
            timeout=aiohttp.ClientTimeout(total=self.timeout),
            trust_env=False,
        )

    async def close(self) -> None:
        """Close the session."""
        if self._session is not None:
            await self._session.close()

    async def fetch(self, url: str, param: str) -> tuple[str, str]:
        """(mime type, base64 data) of the resource at an http(s) URL: the type from Content-Type (else
        application/octet-stream), checked against the bytes by `sniff.checked_type`.
        Raises GatewayError 400 naming `param`: "only http(s) and data: URLs" for another scheme; larger
        than `max_bytes`; the bytes not of the declared media type; and `unreachable` (one message) for a
        refused address, a DNS or connection failure, a timeout, a non-200 answer or too many redirects."""
        if not _web_scheme(url):
            raise bad_request(f"{param}: only http(s) and data: URLs are supported", param)
        try:
            async with asyncio.timeout(self.timeout):  # the whole fetch, every hop included
                return await self._follow(url, param)
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError, ValueError) as exc:
            # ValueError: URLs yarl/IDNA cannot encode; the log, not the caller, learns what went wrong
            log.info("media fetch for %s failed: %s: %s", param, exc.__class__.__name__, exc)
            raise unreachable(param) from None

    async def _follow(self, url: str, param: str) -> tuple[str, str]:
        for _ in range(_MAX_HOPS):  # by hand, so each hop's scheme is checked; its address is vetted on connect
            async with self._session.get(url, allow_redirects=False) as resp:
                if resp.status in _REDIRECTS and "location" in resp.headers:
                    url = urljoin(url, resp.headers["location"])
                    if not _web_scheme(url):
                        break
                    continue
                if resp.status != 200:
                    log.info("media fetch for %s: HTTP %s", param, resp.status)
                    raise unreachable(param)
                data = await self._body(resp, param)
                declared = resp.content_type or "application/octet-stream"
                return checked_type(declared, data[:HEAD_BYTES], param), base64.b64encode(data).decode()
        log.info("media fetch for %s: too many redirects or a redirect to another scheme", param)
        raise unreachable(param)

    async def _body(self, resp: aiohttp.ClientResponse, param: str) -> bytes:
        too_big = bad_request(f"{param}: the resource is larger than {self.max_bytes} bytes", param)
        if (resp.content_length or 0) > self.max_bytes:
            raise too_big
        data = bytearray()
        async for block in resp.content.iter_chunked(65536):
            data += block
            if len(data) > self.max_bytes:
                raise too_big
        return bytes(data)

    async def inline(self, url: str, param: str) -> dict:
        """A Gemini inlineData part `{"inlineData": {"mimeType", "data" (base64)}}` for a data: or http(s) URL
        (ai.google.dev/api/caching#Blob). Raises GatewayError 400 as `decode_data_url` and `fetch` do."""
        if url.startswith("data:"):
            mime, data = decode_data_url(url, param)
        else:
            mime, data = await self.fetch(url, param)
        return {"inlineData": {"mimeType": mime, "data": data}}
