"""Media referenced by URL in a request: data: URLs decoded, http(s) URLs fetched behind an SSRF guard.

The guard decides on the IP address of each socket the fetcher is about to connect (`addresses.guarded_socket`),
never on the URL's spelling, so no normalisation, redirect or DNS answer gets around it. Every way a fetch can
fail before a body is read (a refused address, DNS failure, refused or timed-out connection, non-200 answer,
redirect loop) gives the caller the same 400, so the gateway cannot be used to map ports or names.
Declared media types are checked against the bytes (`sniff.checked_type`).

What one request may fetch is bounded ([limits] media_urls, media_bytes, media_fetches), and its fetched bytes
count in the process-wide budget of bodies in flight (`budget.LEDGER`): issue 7 round 2 took the process from
80 to 876 MB with ten 19 MiB images in one 1.4 KB request, and jammed every client's fetches with one
request's 200 slow URLs.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import errno
import logging
import socket
from urllib.parse import unquote_to_bytes, urljoin

import aiohttp

from ..config import Settings
from ..errors import GatewayError, bad_request
from .addresses import guarded_socket, loopback_socket
from .budget import LEDGER, Ledger
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


class Share:
    """What one request has fetched so far: at most `limit` bytes in total (400 naming the URL's `param` past
    it, limits.media_bytes), each byte also taken from the request's `ledger` (503 when the process holds too
    much; none outside a served request)."""

    __slots__ = ("limit", "ledger", "fetched")

    def __init__(self, limit: int, ledger: Ledger | None) -> None:
        self.limit, self.ledger, self.fetched = limit, ledger, 0

    def take(self, more: int, param: str) -> None:
        """Count `more` bytes just fetched for `param`; raises GatewayError 400 or 503 as above."""
        self.fetched += more
        if self.fetched > self.limit:
            raise bad_request(
                f"{param}: the media fetched for this request pass {self.limit} bytes in total "
                "(limits.media_bytes); send fewer or smaller files",
                param,
            )
        if self.ledger is not None:
            self.ledger.take(more)


class LocalNamesOnly(aiohttp.ThreadedResolver):
    """The resolver of a fetcher kept on this machine (`fetch_loopback_only`): `localhost` and its subdomains
    (RFC 6761 §6.3: always loopback) are looked up, any other name fails with OSError before a DNS query is
    sent. IP literals never reach a resolver (aiohttp answers them itself); `loopback_socket` vets those."""

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET):
        """aiohttp's ResolveResult list for `host`, or OSError for a name other than localhost."""
        name = host.rstrip(".").lower()
        if name != "localhost" and not name.endswith(".localhost"):
            raise OSError(errno.EACCES, f"refused: media URLs reach only this machine here, not {host}")
        return await super().resolve("localhost", port, family)


class MediaFetcher:
    """Fetches http(s) media for requests with one aiohttp session: at most `fetch_max_bytes` bytes, within
    `fetch_timeout` seconds in total, redirects followed by hand (5 hops). Unless `fetch_allow_private`,
    every socket's address is vetted as it is connected (`addresses.guarded_socket`), so loopback, private,
    link-local, CGNAT, multicast, reserved and documentation addresses, and IPv6 forms carrying them, are
    never connected to. The session uses no proxy (`trust_env` is off): a proxy would make the guard see
    only the proxy's address, so adding one needs the target vetted before the request instead.
    """

    def __init__(self, settings: Settings) -> None:
        self.limits = settings.limits
        self.allow_private = settings.fetch_allow_private
        self.loopback_only = settings.fetch_loopback_only
        self.max_bytes = settings.fetch_max_bytes
        self.timeout = settings.fetch_timeout
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        """Open the session: sockets vetted by address unless private fetches are allowed; only loopback
        addresses and localhost when `fetch_loopback_only` (that wins)."""
        factory = None if self.allow_private else guarded_socket
        resolver = None
        if self.loopback_only:
            factory, resolver = loopback_socket, LocalNamesOnly()
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=64, socket_factory=factory, resolver=resolver),
            timeout=aiohttp.ClientTimeout(total=self.timeout),
            trust_env=False,
        )

    async def close(self) -> None:
        """Close the session."""
        if self._session is not None:
            await self._session.close()

    async def inline_all(self, refs: list) -> None:
        """Fill each `MediaRef`'s part with its `inline` data: at most `limits.media_urls` refs (else a 400
        naming the first one past it), `limits.media_fetches` fetched at once, `limits.media_bytes` in total.
        The first failure cancels the other fetches and is raised (GatewayError 400 or 503, as `fetch`)."""
        limit = self.limits.media_urls
        if len(refs) > limit:
            raise bad_request(
                f"the request refers to {len(refs)} media URLs; at most {limit} are fetched (limits.media_urls): "
                "send the others inline as data: URLs",
                refs[limit].param,
            )
        share = Share(self.limits.media_bytes, LEDGER.get())
        gate = asyncio.Semaphore(self.limits.media_fetches)

        async def one(ref) -> None:
            """Fill one ref's part, waiting for a turn among the request's `media_fetches`."""
            async with gate:
                ref.part.update(await self.inline(ref.url, ref.param, share))

        try:
            async with asyncio.TaskGroup() as group:
                for ref in refs:
                    group.create_task(one(ref))
        except BaseExceptionGroup as failed:
            raise failed.exceptions[0] from None  # the first failure; the others were cancelled

    async def fetch(self, url: str, param: str, share: Share | None = None) -> tuple[str, str]:
        """(mime type, base64 data) of the resource at an http(s) URL: the type from Content-Type (else
        application/octet-stream), checked against the bytes by `sniff.checked_type`.
        Raises GatewayError 400 naming `param`: "only http(s) and data: URLs" for another scheme; larger
        than `max_bytes`; the bytes not of the declared media type; and `unreachable` (one message) for a
        refused address, a DNS or connection failure, a timeout, a non-200 answer or too many redirects.
        `share` counts the bytes as they arrive (400 / 503 from `Share.take`); None: only `max_bytes` holds."""
        if not _web_scheme(url):
            raise bad_request(f"{param}: only http(s) and data: URLs are supported", param)
        try:
            async with asyncio.timeout(self.timeout):  # the whole fetch, every hop included
                return await self._follow(url, param, share or Share(self.limits.media_bytes, None))
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError, ValueError) as exc:
            # ValueError: URLs yarl/IDNA cannot encode; the log, not the caller, learns what went wrong
            log.info("media fetch for %s failed: %s: %s", param, exc.__class__.__name__, exc)
            raise unreachable(param) from None

    async def _follow(self, url: str, param: str, share: Share) -> tuple[str, str]:
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
                data = await self._body(resp, param, share)
                declared = resp.content_type or "application/octet-stream"
                return checked_type(declared, bytes(data[:HEAD_BYTES]), param), base64.b64encode(data).decode()
        log.info("media fetch for %s: too many redirects or a redirect to another scheme", param)
        raise unreachable(param)

    async def _body(self, resp: aiohttp.ClientResponse, param: str, share: Share) -> bytearray:
        too_big = bad_request(f"{param}: the resource is larger than {self.max_bytes} bytes", param)
        if (resp.content_length or 0) > self.max_bytes:
            raise too_big
        data = bytearray()  # not copied to bytes: b64encode reads it as it is
        async for block in resp.content.iter_chunked(65536):
            data += block
            if len(data) > self.max_bytes:
                raise too_big
            share.take(len(block), param)
        return data

    async def inline(self, url: str, param: str, share: Share | None = None) -> dict:
        """A Gemini inlineData part `{"inlineData": {"mimeType", "data" (base64)}}` for a data: or http(s) URL
        (ai.google.dev/api/caching#Blob). Raises GatewayError 400 (503) as `decode_data_url` and `fetch` do."""
        if url.startswith("data:"):
            mime, data = decode_data_url(url, param)
        else:
            mime, data = await self.fetch(url, param, share)
        return {"inlineData": {"mimeType": mime, "data": data}}
