"""How the web upstream's requests travel: curl_cffi with a browser's TLS and HTTP/2 fingerprint (the design map:
"the web upstream needs browser-like TLS, for which curl_cffi is made"; gemini_webapi 2.x impersonates Chrome,
reference/gemini-web-protocol.md §1.1), or the kind's aiohttp session when `impersonate` is empty. Both never
follow redirects and keep no cookies of their own (the session's jar is the only one), and both turn transport
faults into UpstreamError without naming the operator's hosts or proxies."""

from __future__ import annotations

import abc
import asyncio
import logging
from collections.abc import AsyncIterator

import aiohttp

from ...errors import Failure, UpstreamError
from .._http import HttpClient, proxy_failed, transport_errors
from .settings import GeminiWebSettings

log = logging.getLogger("gemgate.web")


class Answer(abc.ABC):
    """A response being read: `status`, its `Set-Cookie` values and `Location`; `chunks` the body as it
    arrives; `close` releases the connection (always call it)."""

    status: int
    set_cookies: list[str]
    location: str | None

    @abc.abstractmethod
    def chunks(self) -> AsyncIterator[bytes]:
        """The body's bytes as they arrive; raises UpstreamError when the transfer breaks."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Release the connection."""

    async def read(self, limit: int, label: str) -> bytes:
        """The whole body (closed after); more than `limit` bytes is Failure.MALFORMED."""
        pieces: list[bytes] = []
        size = 0
        try:
            async for piece in self.chunks():
                size += len(piece)
                if size > limit:
                    raise UpstreamError(Failure.MALFORMED, f"{label} sent an answer larger than {limit} bytes")
                pieces.append(piece)
        finally:
            await self.close()
        return b"".join(pieces)


class Transport(abc.ABC):
    """Sends one request and hands back its Answer once the head arrived."""

    async def start(self) -> None:
        """Open the long-lived session."""

    async def close(self) -> None:
        """Close it."""

    @abc.abstractmethod
    async def send(self, method: str, url: str, *, headers: dict[str, str], body: bytes | None, params: dict | None,
                   proxy: str | None) -> Answer:
        """The answer's head; raises UpstreamError (TIMEOUT, TRANSIENT) when no answer came."""


class _AiohttpAnswer(Answer):
    def __init__(self, response: aiohttp.ClientResponse, label: str) -> None:
        self._response, self._label = response, label
        self.status = response.status
        self.set_cookies = response.headers.getall("Set-Cookie", [])
        self.location = response.headers.get("Location")

    async def chunks(self) -> AsyncIterator[bytes]:
        """See Answer."""
        with transport_errors(self._label, "the answer broke off"):
            async for piece in self._response.content.iter_any():
                yield piece

    async def close(self) -> None:
        """See Answer."""
        self._response.release()


class AiohttpTransport(Transport):
    """The kind's shared aiohttp session (`HttpClient`: no cookie jar, timeouts from the settings)."""

    def __init__(self, settings: GeminiWebSettings, label: str) -> None:
        self.http = HttpClient(settings, label)
        self.label = label

    async def start(self) -> None:
        """See Transport."""
        await self.http.start()

    async def close(self) -> None:
        """See Transport."""
        await self.http.close()

    async def send(self, method: str, url: str, *, headers: dict[str, str], body: bytes | None, params: dict | None,
                   proxy: str | None) -> Answer:
        """See Transport."""
        with transport_errors(self.label, "cannot reach it"):
            response = await self.http.session.request(method, url, data=body, params=params, headers=headers,
                                                       proxy=proxy, allow_redirects=False)
        return _AiohttpAnswer(response, self.label)


class curl_errors(transport_errors):  # noqa: N801 - used like a function: `with curl_errors(label, doing):`
    """curl_cffi's faults inside the block as UpstreamError: timeouts TIMEOUT, the rest TRANSIENT in a few
    words (its messages quote hosts and proxies: logged for the operator, never sent to clients)."""

    __slots__ = ()

    def __exit__(self, kind, exc, tb) -> None:
        from curl_cffi.requests.exceptions import ProxyError, RequestException, Timeout

        if kind is None:
            return
        if issubclass(kind, (Timeout, asyncio.TimeoutError)):
            raise UpstreamError(Failure.TIMEOUT, f"{self.label}: no answer in time ({self.doing})") from exc
        if issubclass(kind, RequestException):
            log.warning("%s: %s: %s", self.label, self.doing, type(exc).__name__)
            if issubclass(kind, ProxyError):
                raise proxy_failed(self.label, self.doing) from exc
            raise UpstreamError(Failure.TRANSIENT, f"{self.label}: {self.doing} ({type(exc).__name__})") from exc


class _CurlAnswer(Answer):
    def __init__(self, response, label: str, acurl) -> None:
        self._response, self._label, self._acurl = response, label, acurl
        self.status = response.status_code
        self.set_cookies = [v for v in response.headers.get_list("set-cookie") if v]
        self.location = response.headers.get("location")

    async def chunks(self) -> AsyncIterator[bytes]:
        """See Answer."""
        with curl_errors(self._label, "the answer broke off"):
            async for piece in self._response.aiter_content():
                yield piece

    async def close(self) -> None:
        """See Answer. A transfer not read to its end is aborted (its handle taken off curl's multi handle, so
        the connection closes and the model stops): curl_cffi's own `aclose` would wait for the transfer to end,
        a whole answer's time (or a stall's) after the gateway stopped reading."""
        task = self._response.astream_task
        if task is not None and not task.done():
            self._acurl.remove_handle(self._response.curl)
            await asyncio.wait([task])  # ends cancelled: not an error of this close
            return
        await self._response.aclose()


class CurlTransport(Transport):
    """A curl_cffi AsyncSession impersonating `settings.impersonate` (a curl_cffi browser target such as
    "chrome"), with up to `settings.connections` transfers at once; cookies discarded (each account's own jar is
    sent as the Cookie header). `connect_timeout`; a silence longer than the larger of `first_byte_timeout` and
    `idle_timeout` ends a transfer (curl's low-speed limit, the way curl_cffi times streams out)."""

    def __init__(self, settings: GeminiWebSettings, label: str) -> None:
        self.settings, self.label = settings, label
        self._session = None

    async def start(self) -> None:
        """See Transport."""
        from curl_cffi.requests import AsyncSession

        self._session = AsyncSession(impersonate=self.settings.impersonate, max_clients=self.settings.connections,
                                     allow_redirects=False, discard_cookies=True)

    async def close(self) -> None:
        """See Transport."""
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

    async def send(self, method: str, url: str, *, headers: dict[str, str], body: bytes | None, params: dict | None,
                   proxy: str | None) -> Answer:
        """See Transport."""
        if self._session is None:
            raise RuntimeError(f"{self.label} upstream not started")
        silence = max(self.settings.first_byte_timeout, self.settings.idle_timeout)
        with curl_errors(self.label, "cannot reach it"):
            response = await self._session.request(
                method, url, headers=headers, data=body, params=params, proxy=proxy, stream=True,
                timeout=(self.settings.connect_timeout, silence), allow_redirects=False,
            )
        return _CurlAnswer(response, self.label, self._session.acurl)


def make_transport(settings: GeminiWebSettings, label: str) -> Transport:
    """curl_cffi when `impersonate` names a browser, else aiohttp."""
    return CurlTransport(settings, label) if settings.impersonate else AiohttpTransport(settings, label)
