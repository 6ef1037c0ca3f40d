"""What every upstream kind shares on the wire: one long-lived aiohttp session, the mapping of transport
errors and non-200 answers into the failure taxonomy (written once), and reading Gemini chunk streams."""

from __future__ import annotations

import asyncio
import contextlib
import traceback
import logging
from collections.abc import AsyncIterator, Callable

import aiohttp
import orjson

from ..errors import Cause, Failure, Scope, UpstreamError
from ..gemini.parts import finished
from ._sse import EventTooLarge, sse_data
from .base import UpstreamSettings
from .google_errors import classify

log = logging.getLogger("gemgate.upstream")


class transport_errors:  # noqa: N801 - used like a function: `with transport_errors(label, doing):`
    """Turn timeouts and aiohttp errors inside the block into UpstreamError (TIMEOUT / TRANSIENT).

    `label` names the upstream ("the Gemini API"), `doing` the step ("cannot reach it", "the stream broke").
    A class rather than a generator context manager: it runs on every upstream call.
    """

    __slots__ = ("label", "doing")

    def __init__(self, label: str, doing: str) -> None:
        self.label, self.doing = label, doing

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, tb) -> None:
        if kind is None:
            return
        if issubclass(kind, asyncio.TimeoutError):
            raise UpstreamError(Failure.TIMEOUT, f"{self.label}: no answer in time ({self.doing})") from exc
        if issubclass(kind, aiohttp.ClientError):
            # The operator learns where (host, port: of the upstream or of a proxy); the client only what.
            log.warning("%s: %s: %s", self.label, self.doing, _where(exc))
            if issubclass(kind, (aiohttp.ClientProxyConnectionError, aiohttp.ClientHttpProxyError)):
                raise proxy_failed(self.label, self.doing) from exc
            raise UpstreamError(Failure.TRANSIENT, f"{self.label}: {self.doing} ({_plainly(exc)})") from exc


def proxy_failed(label: str, doing: str) -> UpstreamError:
    """The account's proxy could not be reached or refused the tunnel: a fault of the account's setup, not of
    Google, so the account cools (`Pool._cool_passing`) and requests go to other accounts meanwhile, instead
    of each waiting for the same proxy first. TRANSIENT: the proxy may come back."""
    return UpstreamError(
        Failure.TRANSIENT, f"{label}: {doing} (the account's proxy cannot be used)", scope=Scope.ACCOUNT,
        cause=Cause.ACCOUNT,
    )


def _where(exc: BaseException) -> str:
    """The fault for the log: the address that could not be reached, if any, and the error's kind."""
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"{type(exc).__name__} for {exc.host}:{exc.port} ({exc.strerror or exc.os_error})"
    return type(exc).__name__


def _plainly(exc: BaseException) -> str:
    """A transport fault in a few words for the client: never the client library's internals, nor an address,
    host name or proxy of the operator's setup (issue 7 round 2: an unreachable proxy was named to clients)."""
    if isinstance(exc, aiohttp.ClientPayloadError):
        return "the answer broke off before its end"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "the server closed the connection"
    if isinstance(exc, aiohttp.ClientConnectorError):  # proxy errors too: ClientProxyConnectionError is one
        return "no connection could be made"
    if isinstance(exc, aiohttp.ClientResponseError):
        return f"bad HTTP answer {exc.status}"
    if isinstance(exc, aiohttp.ClientOSError):
        return exc.strerror or "network error"
    return type(exc).__name__


def redirected(label: str, status: int) -> UpstreamError:
    """The error for an upstream that answered with a redirect (HTTP `status`, 3xx). Google's APIs do not
    redirect, so it comes from a proxy, a captive portal or a wrong base URL in between: TRANSIENT, so the
    request is tried on another account (which may go through another proxy) and no account is blamed. The
    Location is not told to the client; the status is enough for the operator to look."""
    return UpstreamError(Failure.TRANSIENT, f"{label} answered with a redirect (HTTP {status}), which is not followed")


class HttpClient:
    """One aiohttp session for an upstream kind (never one per request), created at start.

    Timeouts come from the kind's settings (seconds): `connect_timeout` for the connection, and the larger
    of `first_byte_timeout` and `idle_timeout` for any silence while reading. `classify(status, body)` turns
    an error answer into an UpstreamError (default: google_errors.classify; a kind with its own error
    reasons refines it, as Code Assist does).
    """

    def __init__(
        self, settings: UpstreamSettings, label: str, classify: Callable[[int, bytes], UpstreamError] = classify
    ) -> None:
        self.label = label
        self.classify = classify
        self.event_bytes = settings.event_bytes
        self._timeout = aiohttp.ClientTimeout(
            total=None,
            sock_connect=settings.connect_timeout,
            sock_read=max(settings.first_byte_timeout, settings.idle_timeout),
        )
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        """Open the session."""
        connector = aiohttp.TCPConnector(limit=0, ttl_dns_cache=300, keepalive_timeout=60)
        # No cookie jar: a Set-Cookie in one account's answer must never ride along on another account's request
        # (the web kind keeps each account's cookies itself).
        self._session = aiohttp.ClientSession(connector=connector, timeout=self._timeout, cookie_jar=aiohttp.DummyCookieJar())

    async def close(self) -> None:
        """Close the session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def session(self) -> aiohttp.ClientSession:
        """The open session; RuntimeError before start."""
        if self._session is None:
            raise RuntimeError(f"{self.label} upstream not started")
        return self._session

    async def request(
        self, method: str, url: str, *, body: bytes | None = None, headers: dict, proxy: str | None,
        params: dict | None = None,
    ) -> aiohttp.ClientResponse:
        """Send a request and return the 200 response, unread; any other status raises the classified error."""
        with transport_errors(self.label, "cannot reach it"):
            # Redirects are never followed: aiohttp would resend the account's key (x-goog-api-key, ?key=) to
            # wherever the Location points, past any check of where upstream calls may go.
            response = await self.session.request(
                method, url, data=body, headers=headers, proxy=proxy, params=params, allow_redirects=False
            )
            if response.status != 200:
                try:
                    raw = await response.read()
                finally:
                    response.release()
                if 300 <= response.status < 400:
                    raise redirected(self.label, response.status)
                raise self.classify(response.status, raw)
        return response

    async def json(self, method: str, url: str, **kw) -> dict:
        """The JSON body of a 200 answer; an unreadable body is Failure.MALFORMED."""
        response = await self.request(method, url, **kw)
        chunks: list[bytes] = []
        size = 0
        try:
            with transport_errors(self.label, "the answer broke off"):
                async for piece in response.content.iter_any():
                    size += len(piece)
                    if size > self.event_bytes:
                        chunks.clear()
                        raise self._too_large()
                    chunks.append(piece)
        finally:
            response.release()
        return self._object(b"".join(chunks), "answer")

    def _too_large(self) -> UpstreamError:
        return UpstreamError(
            Failure.MALFORMED, f"{self.label} sent an answer larger than {self.event_bytes} bytes (event_bytes)"
        )

    def _object(self, raw: bytes, what: str) -> dict:
        """A JSON object from the upstream; anything else is Failure.MALFORMED."""
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            data = _UNREADABLE  # raised outside: the decode error's `doc` (the whole text) must not ride on
        if data is _UNREADABLE:
            raise UpstreamError(Failure.MALFORMED, f"{self.label} sent an unreadable {what}")
        if not isinstance(data, dict):
            raise UpstreamError(Failure.MALFORMED, f"{self.label} sent an {what} that is not a JSON object")
        return data

    def _chunk(self, data: bytes, unwrap: Callable[[dict], dict] | None) -> dict:
        """One streamed event as a response chunk; raises the classified error of an `{"error": …}` event and
        Failure.MALFORMED for anything the gateway could not read."""
        chunk = self._object(data, "event")
        try:
            if "error" in chunk:
                error = chunk["error"] if isinstance(chunk["error"], dict) else {}
                code = error.get("code")
                raise self.classify(code if type(code) is int and 400 <= code <= 599 else 500, data)
            if unwrap is not None:
                chunk = unwrap(chunk)
            if _well_formed(chunk):
                return chunk
        except (LookupError, TypeError, ValueError, AttributeError):
            pass
        raise UpstreamError(Failure.MALFORMED, f"{self.label} sent an event that is not a response chunk")

    async def stream_gemini(
        self, url: str, *, body: bytes, headers: dict, proxy: str | None,
        unwrap: Callable[[dict], dict] | None = None,
    ) -> AsyncIterator[dict]:
        """POST `body` and yield the Gemini response chunks of the SSE answer (`unwrap` takes a chunk out of
        an envelope, as Code Assist's `{"response": …}`). Closing the iterator releases the connection.

        An event holding `{"error": …}` (google.rpc.Status, as @google/genai's throwIfStreamErrorChunk
        reads it) raises the classified error; an event that is not a JSON object, or whose candidates,
        content or parts are not shaped as ai.google.dev/api/generate-content#generatecontentresponse says,
        is Failure.MALFORMED; an empty stream is Failure.MALFORMED; a stream that ends without a finishReason
        is Failure.TRANSIENT; an event over `event_bytes` is Failure.MALFORMED. A failure keeps no event alive
        (the frames its traceback holds are cleared: an exception kept in a reference cycle held a 400 MiB
        event about four times over until the cycle collector ran).
        """
        response = await self.request("POST", url, body=body, headers=headers, proxy=proxy)
        last: dict | None = None  # the last chunk with candidates: Gemini puts finishReason on it
        seen = False
        try:
            with transport_errors(self.label, "the stream broke"):
                async with contextlib.aclosing(sse_data(response, self.event_bytes)) as events:
                    async for data in events:
                        chunk = self._chunk(data, unwrap)
                        if "candidates" in chunk or last is None:
                            last = chunk
                        seen = True
                        yield chunk
        except EventTooLarge:
            raise self._too_large() from None
        except Exception as exc:
            data = chunk = None
            _forget_frames(exc)
            raise
        finally:
            response.release()
        if not seen:
            raise UpstreamError(Failure.MALFORMED, f"{self.label} returned an empty stream")
        if not finished(last):
            raise UpstreamError(Failure.TRANSIENT, f"{self.label}: the stream ended before the model finished")


# The types of the fields the gateway reads, per level of a GenerateContentResponse
# (ai.google.dev/api/generate-content#generatecontentresponse); a field of another type makes the chunk
# unreadable (Failure.MALFORMED), so no renderer meets a string where it counts tokens.
_NUMBER = (int, float)
_CHUNK_TYPES = {"candidates": list, "usageMetadata": dict, "promptFeedback": dict, "modelVersion": str, "responseId": str}
_CANDIDATE_TYPES = {
    "index": int, "finishReason": str, "content": dict, "logprobsResult": dict, "citationMetadata": dict,
    "groundingMetadata": dict, "avgLogprobs": _NUMBER, "finishMessage": str, "safetyRatings": list,
}
_CONTENT_TYPES = {"parts": list, "role": str}
_PART_TYPES = {
    "text": str, "thought": bool, "thoughtSignature": str, "functionCall": dict, "functionResponse": dict,
    "inlineData": dict,
}
_CALL_TYPES = {"name": str, "args": dict, "id": str}
_LOGPROBS_TYPES = {"chosenCandidates": list, "topCandidates": list, "logProbabilitySum": _NUMBER}
_TOKEN_TYPES = {"token": str, "logProbability": _NUMBER, "tokenId": int}


def _typed(obj: object, types: dict) -> bool:
    """`obj` is a dict whose fields named in `types` (where present) have those types (a JSON true is no number).
    Walks the object's own fields (a chunk has fewer than the table) and looks each up: one dict probe per field."""
    if type(obj) is not dict:
        return False
    for key, value in obj.items():
        kind = types.get(key)
        if kind is not None and value is not None and (
            not isinstance(value, kind) or (type(value) is bool and kind is not bool)
        ):
            return False
    return True


_UNREADABLE = object()


def _forget_frames(exc: BaseException) -> None:
    """Clear the locals of the finished frames in `exc`'s traceback and those of its causes, so a kept
    exception does not keep what they held (a whole upstream event) alive."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        traceback.clear_frames(exc.__traceback__)
        exc = exc.__cause__ or exc.__context__


def _well_formed(chunk: object) -> bool:
    """A chunk whose fields the gateway reads have the types the API reference gives (a few dict lookups per
    object: this runs on every chunk). Counts in usageMetadata are integers; logprobs tokens are checked only
    when present."""
    if not _typed(chunk, _CHUNK_TYPES):
        return False
    usage = chunk.get("usageMetadata")
    if usage:
        for key, value in usage.items():
            if type(value) is not int and key.endswith("Count"):
                return False
    for cand in chunk.get("candidates") or ():
        if not _typed(cand, _CANDIDATE_TYPES):
            return False
        content = cand.get("content")
        if content is not None:
            if not _typed(content, _CONTENT_TYPES):
                return False
            for part in content.get("parts") or ():
                if not _typed(part, _PART_TYPES):
                    return False
                if "functionCall" in part and not _typed(part["functionCall"], _CALL_TYPES):
                    return False
        logprobs = cand.get("logprobsResult")
        if logprobs is not None and not _logprobs_well_formed(logprobs):
            return False
        cited = cand.get("citationMetadata")
        if cited is not None and not isinstance(cited.get("citationSources", []), list):
            return False
    return True


def _logprobs_well_formed(result: dict) -> bool:
    if not _typed(result, _LOGPROBS_TYPES):
        return False
    for chosen in result.get("chosenCandidates") or ():
        if not _typed(chosen, _TOKEN_TYPES):
            return False
    for top in result.get("topCandidates") or ():
        if type(top) is not dict or not isinstance(top.get("candidates", []), list):
            return False
        if not all(_typed(c, _TOKEN_TYPES) for c in top.get("candidates") or ()):
            return False
    return True