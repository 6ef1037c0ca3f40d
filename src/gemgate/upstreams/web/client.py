"""The web app's HTTP calls for one account: reading the app page, batchexecute, and opening StreamGenerate
(reference/gemini-web-protocol.md §1, §3, §6.8). Redirects are never followed (a redirect to Google's "sorry"
page is a block, §1.5); every answer's Set-Cookie is merged into the session's jar (§2.4)."""

from __future__ import annotations

import codecs
import re
from collections.abc import AsyncIterator

import aiohttp
from urllib.parse import urljoin, urlsplit

from ...errors import Cause, Failure, Scope, UpstreamError
from ...store import AccountRecord
from ..base import NeedsReauth
from . import cookies, protocol
from .errors import http_error, in_band_error, is_xsrf_rejection
from .framing import FrameReader, FramingError, read_frames
from .models import STATUS_NAMES, UNAUTHENTICATED, parse_catalogue
from .page import scrape, with_fallbacks
from .payload import error_code, payload_of, wrb_parts
from .session import Session
from .settings import GeminiWebSettings
from .transport import Answer, Transport

LABEL = "the Gemini web app"
# Issue 9: never fall back to guest mode; say how to bring fresh cookies.
REFRESH_ADVICE = (
    "export fresh cookies from a browser signed in to gemini.google.com (Firefox keeps them longest) and add "
    "them again: `gemgate accounts remove <name>` then `gemgate accounts add-cookie FILE --name <name>` (an "
    "account added from a file: export them into that file, which a running server takes in by itself)"
)


ERROR_BODY_BYTES = 64 * 1024  # of an error answer, read to classify it
# An upload's answer is the file id alone, e.g. "/contrib_service/ttl_1d/1709764705i7wdlyx3mdzndme3a767pluckv4flj"
# (§5.1): printable ASCII without spaces, far shorter than this.
FILE_ID_BYTES = 1024
_FILE_ID = re.compile(r"[\x21-\x7e]{1,1024}")
MAX_REDIRECTS = 3  # of the app page, within its own host
SIGN_IN_HOST = "accounts.google.com"


class XsrfRejected(Exception):
    """StreamGenerate or batchexecute refused the `at` token (HTTP 400 with an "xsrf" marker, §1.5)."""


def auth_user(account: AccountRecord) -> int | None:
    """The account index N of `/u/N/` (None: the default account)."""
    value = account.secret.get("auth_user")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class WebClient:
    """The calls, over the kind's one transport (`transport.make_transport`)."""

    def __init__(self, settings: GeminiWebSettings, transport: Transport) -> None:
        self.settings = settings
        self.transport = transport
        self.base = settings.base_url.rstrip("/")
        parts = urlsplit(self.base)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.host = parts.hostname or ""
        self.rotate_host = urlsplit(settings.rotate_cookies_url).hostname or ""  # whose Set-Cookie is taken (a fake's)

    def _headers(self, account: AccountRecord, cookie: str) -> dict[str, str]:
        return protocol.page_headers(self.origin, cookie, auth_user(account))

    async def _send(self, method: str, path: str, account: AccountRecord, cookie: str, *, body: bytes | None = None,
                    params: dict | None = None, headers: dict | None = None) -> Answer:
        # The app's own paths go under the account index; a redirect's target is taken as it is.
        known = path in (protocol.APP_PATH, protocol.BATCH_PATH, protocol.STREAM_PATH)
        url = self.base + (protocol.account_path(path, auth_user(account)) if known else path)
        return await self.transport.send(method, url, headers={**self._headers(account, cookie), **(headers or {})},
                                         body=body, params=params, proxy=account.proxy or self.settings.proxy)

    async def _fail(self, response: Answer, session: Session | None) -> UpstreamError:
        """The error for a non-200 answer (read and closed); XsrfRejected is raised for a stale token."""
        try:
            body = await response.read(ERROR_BODY_BYTES, LABEL)
        except UpstreamError:
            body = b""  # an error page too large or cut off: its status says enough
        if session is not None:
            session.take_cookies(response.set_cookies, self.host)
        if is_xsrf_rejection(response.status, body):
            raise XsrfRejected()
        return http_error(LABEL, response.status, body, response.location, self.settings)

    async def _text(self, response: Answer) -> str:
        return (await response.read(self.settings.event_bytes, LABEL)).decode("utf-8", errors="replace")

    async def start_session(self, account: AccountRecord, jar: dict[str, str] | None = None) -> Session:
        """Read the app page and the account's models (§1.4 steps 2 and 4) with `jar` (default: the stored
        cookies; a live session's newer jar when it is renewed). Raises NeedsReauth for a signed-out page or an
        UNAUTHENTICATED account, UpstreamError otherwise."""
        stored = account.secret.get("cookie") or ""
        jar = dict(jar) if jar is not None else cookies.parse_header(stored)
        changed = cookies.header(jar) != stored
        page, merged = await self._app_page(account, jar)
        changed = changed or merged
        secret = account.secret
        scraped = scrape(page, self.settings.language)
        tokens = with_fallbacks(scraped, _text_value(secret.get("xsrf_token")),
                                _text_value(secret.get("build_label")) or self.settings.build_label)
        configured_xsrf = tokens.xsrf is not None and scraped.xsrf is None
        if not tokens.found:
            raise UpstreamError(Failure.MALFORMED, f"{LABEL} answered with a page that is not the app")
        if not tokens.signed_in:
            raise NeedsReauth(f"Google served the signed-out app page: the account's cookies have expired; {REFRESH_ADVICE}")
        session = Session(jar=jar, stored=stored, tokens=tokens, pending=changed)
        try:
            payload = await self.batch(session, account, protocol.MODELS_RPC, [])
        except XsrfRejected:
            if not configured_xsrf:
                raise
            # The page carried no token and the configured one is refused: a signed-out page, never guest mode.
            raise NeedsReauth("Google refused the account's configured XSRF token on a page that carries none: the "
                              f"cookies have likely expired; {REFRESH_ADVICE}") from None
        catalogue = parse_catalogue(payload)
        if catalogue.status == UNAUTHENTICATED:
            raise NeedsReauth(f"Google says the account is signed out (status 1016); {REFRESH_ADVICE}")
        if not catalogue.available:
            why = STATUS_NAMES.get(catalogue.status, "rejected")
            raise UpstreamError(Failure.FORBIDDEN, f"{LABEL}: the account cannot use Gemini ({why}, status {catalogue.status})",
                                scope=Scope.ACCOUNT)
        session.catalogue = catalogue
        return session

    async def _app_page(self, account: AccountRecord, jar: dict[str, str]) -> tuple[str, bool]:
        """The app page's HTML, and whether its answers' Set-Cookie changed `jar` (merged in place). 2.1.1
        follows redirects here (§1.1); these are followed only within the app's own host (so the cookies go
        nowhere else), at most MAX_REDIRECTS; one to Google's sign-in is a signed-out session (NeedsReauth), to
        the "sorry" page a block, elsewhere TRANSIENT."""
        target: str = protocol.APP_PATH
        changed = False
        for _ in range(MAX_REDIRECTS + 1):
            response = await self._send("GET", target, account, cookies.header(jar))
            changed |= cookies.merge_set_cookies(jar, response.set_cookies, self.host)
            if response.status == 200:
                return await self._text(response), changed
            location = response.location or ""
            where = urlsplit(urljoin(self.base + "/", location))
            if not 300 <= response.status < 400 or "/sorry/" in location or where.netloc != urlsplit(self.base).netloc:
                if where.hostname == SIGN_IN_HOST:
                    await response.close()
                    raise NeedsReauth(f"Google sent the app to its sign-in page: the account's cookies have expired; {REFRESH_ADVICE}")
                raise await self._fail(response, None)
            await response.close()
            target = where.path + (f"?{where.query}" if where.query else "")
        raise UpstreamError(Failure.TRANSIENT, f"{LABEL} redirected the app page more than {MAX_REDIRECTS} times")

    async def rotate_cookies(self, account: AccountRecord, jar: dict[str, str]) -> list[str]:
        """POST RotateCookies (§2.1) with only `__Secure-1PSID` and `__Secure-1PSIDTS` of `jar` (more cookies gave
        HTTP 401, §1.3, §2.4) and the literal body; returns the answer's Set-Cookie values (the new 1PSIDTS, §2.2;
        the body is ignored). Raises NeedsReauth for a 401 or a redirect to the sign-in page (signed out),
        UpstreamError for other refusals."""
        sent = {name: jar[name] for name in protocol.ROTATE_COOKIES if jar.get(name)}
        response = await self.transport.send(
            "POST", self.settings.rotate_cookies_url, headers=protocol.rotate_headers(cookies.header(sent)),
            body=protocol.ROTATE_BODY, params=None, proxy=account.proxy or self.settings.proxy)
        where = urlsplit(response.location or "")
        if response.status == 200 or response.status == 401 or where.hostname == SIGN_IN_HOST:
            await response.close()  # the body says nothing (§2.2)
            if response.status == 200:
                return response.set_cookies
            raise NeedsReauth(f"Google refused to renew the account's cookies (RotateCookies HTTP {response.status}): "
                              f"they have expired; {REFRESH_ADVICE}")
        raise await self._fail(response, None)

    async def batch(self, session: Session, account: AccountRecord, rpc: str, payload: object,
                    source_path: str = "/app") -> object:
        """One batchexecute call; its payload decoded (None when empty). Raises XsrfRejected, UpstreamError."""
        return (await self.batch_calls(session, account, [(rpc, payload, "generic")], source_path))["generic"]

    async def batch_calls(self, session: Session, account: AccountRecord, calls: list[tuple[str, object, str]],
                          source_path: str = "/app") -> dict[str, object]:
        """Several batchexecute calls `(rpc, payload, identifier)` in one request (§6.8; gems list two `CNgdBe`
        calls told apart by identifier, §6.5): each identifier's payload decoded (None when empty), the answer's
        part matched by its rpc id and identifier (`part[-1]`). An error part fails them all. Raises
        XsrfRejected, UpstreamError."""
        rpcids = ",".join(dict.fromkeys(rpc for rpc, _, _ in calls))
        body = protocol.batch_body(session.tokens.xsrf or "", calls)
        params = protocol.query(session.tokens, session.next_reqid(), rpcids=rpcids, **{"source-path": source_path})
        headers = {"X-Same-Domain": "1", "x-goog-ext-525001261-jspb": protocol.neutral_header(session.client_uuid),
                   "x-goog-ext-73010989-jspb": "[0]"}
        response = await self._send("POST", protocol.BATCH_PATH, account, session.cookie_header, body=body,
                                    params=params, headers=headers)
        if response.status != 200:
            raise await self._fail(response, session)
        session.take_cookies(response.set_cookies, self.host)
        wanted = {(rpc, ident) for rpc, _, ident in calls}
        found: dict[str, object] = {}
        try:
            for frame in read_frames(await self._text(response)):
                for part in wrb_parts(frame):
                    code = error_code(part) if part[1] in {rpc for rpc, _ in wanted} else None
                    if code is not None:
                        raise in_band_error(code, LABEL, self.settings)
                    ident = part[-1] if isinstance(part[-1], str) else "generic"
                    if (part[1], ident) in wanted and ident not in found:
                        found[ident] = payload_of(part)
        except (FramingError, ValueError):
            raise UpstreamError(Failure.MALFORMED, f"{LABEL} sent an unreadable {rpcids} answer") from None
        missing = [ident for _, _, ident in calls if ident not in found]
        if missing:
            raise UpstreamError(Failure.MALFORMED, f"{LABEL} sent no {rpcids} answer for {', '.join(missing)}")
        return found

    async def upload(self, session: Session, account: AccountRecord, name: str, mime: str, data: bytes) -> str:
        """Upload one file as 2.1.1 does (§5.1, verified): a multipart POST to `upload_url` with the form field
        `file` (filename and type), `protocol.upload_headers`, no cookies; the answer's body is the file id.
        Raises UpstreamError: BAD_REQUEST 400 when the file is refused as too large (HTTP 413), else as any
        other non-200 answer (`errors.http_error`)."""
        form = aiohttp.FormData()
        form.add_field("file", data, filename=name, content_type=mime)
        writer = form()
        headers = {**protocol.upload_headers(self.origin, session.tokens.push_id or protocol.DEFAULT_PUSH_ID),
                   "Content-Type": writer.content_type}
        response = await self.transport.send("POST", self.settings.upload_url, headers=headers,
                                             body=await writer.as_bytes(), params=None,
                                             proxy=account.proxy or self.settings.proxy)
        if response.status == 413:
            await response.close()
            raise UpstreamError(Failure.BAD_REQUEST, f"{LABEL} refused a file of {len(data)} bytes as too large",
                                status=400, cause=Cause.SERVICE)
        if response.status != 200:
            raise await self._fail(response, None)
        try:
            file_id = (await response.read(FILE_ID_BYTES, LABEL)).decode("ascii").strip()
        except (UpstreamError, UnicodeDecodeError):
            file_id = ""
        if not _FILE_ID.fullmatch(file_id):  # a page, an error text, garbage: never sent on inside a message
            raise UpstreamError(Failure.MALFORMED, f"{LABEL} answered an upload without a file id")
        return file_id

    async def stream_frames(self, session: Session, account: AccountRecord, body: bytes,
                            headers: dict[str, str]) -> AsyncIterator[object]:
        """POST StreamGenerate and yield its frames as they arrive. Raises XsrfRejected before the first one for
        a stale token, UpstreamError for other refusals and for a body that is not frames."""
        params = protocol.query(session.tokens, session.next_reqid())
        response = await self._send("POST", protocol.STREAM_PATH, account, session.cookie_header, body=body,
                                    params=params, headers=headers)
        if response.status != 200:
            raise await self._fail(response, session)
        session.take_cookies(response.set_cookies, self.host)
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        reader = FrameReader(self.settings.event_bytes)  # one frame at most as large as any event
        try:
            async for piece in response.chunks():
                for frame in reader.feed(decoder.decode(piece)):
                    yield frame
            for frame in reader.feed(decoder.decode(b"", final=True)) + reader.close():
                yield frame
        except FramingError as exc:
            raise UpstreamError(Failure.MALFORMED, f"{LABEL} sent an unreadable answer ({exc})") from None
        finally:
            await response.close()


def _text_value(value: object) -> str | None:
    """A configured token: a non-empty string, else None."""
    return value.strip() if isinstance(value, str) and value.strip() else None
