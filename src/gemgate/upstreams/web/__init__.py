"""Upstream kind "gemini-web": the Gemini web app (gemini.google.com) with a browser's cookies.

The protocol is implemented here from reference/gemini-web-protocol.md (the popular client library is
AGPL-3.0 and is not used): `protocol` lays out requests, `framing` reads the length-prefixed answers,
`payload`/`candidate`/`snapshots` turn cumulative snapshots into Gemini chunks, `page` scrapes the session
tokens, `models` the account's catalogue, `cookies` the accepted cookie forms and Set-Cookie merging,
`client` the HTTP calls, `session` one account's live state, `lifecycle` the rotation schedule and the cookie
file watch, `cookie_file` reading and writing back a cookie file in its own form.

Credential lifecycle: the session (page tokens, models) is made in `refresh_credential`, which the gateway's
CredentialKeeper runs single-flight per account and whose result (the cookie jar with every Set-Cookie merged)
it persists atomically before use. A signed-out page is NeedsReauth, never guest mode.
"""

from __future__ import annotations

import base64
import binascii
import logging
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import aclosing
from contextvars import ContextVar
from pathlib import Path

import typer

from ...auth import caller_owner
from ...catalog import ModelSpec
from ...errors import Cause, Failure, Scope, UpstreamError, bad_request
from ...gemini.parts import without_thoughts
from ...gemini.thinking import ThinkingRequest, merge_thinking
from ...store import AccountRecord
from ..base import NAMED_GEM, Capability, NeedsReauth, Upstream
from . import cookies, errors, generation, history, migrate, prompt, protocol, usage
from .answer import Reshaped, Unusable
from .client import LABEL, WebClient, XsrfRejected
from .lifecycle import CookieLifecycle, lifetime_warning
from .models import ALIASES, EXTENDED, STANDARD, resources, substitute
from .conversations import Thread, Threads
from .personal import PSID_HEADER, PersonalSessions, is_personal, personal_account
from .asked import ASKED, Asked
from .session import Session
from .settings import GeminiWebSettings
from .snapshots import Snapshots
from .transport import make_transport
from .turn import Turn, answer_parts, finished, not_continued, reshape_for, reshaped, tell

KIND = "gemini-web"
# The request whose kept conversation was looked up in this context, for whom, and what was found.
_FOUND: ContextVar[tuple[dict, str, Thread | None] | None] = ContextVar("gemgate_web_found", default=None)
log = logging.getLogger("gemgate.web")


class GeminiWeb(Upstream):
    """Gemini web-app accounts (cookies): generation and per-account model discovery."""

    kind = KIND
    capabilities = frozenset({Capability.GENERATE, Capability.LIST_MODELS, Capability.GEMS})
    applies_stop_sequences = False  # the web app's request has no stop sequences: the gateway cuts (gemini.stops)
    settings_model = GeminiWebSettings
    secret_fields = ("cookie",)
    fallback_models = ("flash", "auto")
    # Session renewals and Set-Cookie merges follow ordinary answers: routine (rotations and reloads are logged by
    # `lifecycle` at INFO).
    refresh_log_level = logging.DEBUG

    @classmethod
    def register_cli(cls, accounts: typer.Typer) -> None:
        """`gemgate accounts add-cookie`."""
        from .cli import register

        register(accounts)

    @classmethod
    def imports(cls, path: Path) -> bool:
        """The config of the cookie-based OpenAI server gemgate replaces (`migrate.claims`)."""
        return migrate.claims(path)

    @classmethod
    def import_files(cls, paths: list[Path], config: Path | None, dry_run: bool) -> bool:
        """Its accounts, keys and settings (`import_cli.import_configs`)."""
        from .import_cli import import_configs

        return import_configs(paths, config, dry_run)

    @classmethod
    def secret_problem(cls, secret: dict) -> str | None:
        """A Cookie header without `__Secure-1PSID` cannot sign in (§1.3)."""
        jar = cookies.parse_header(secret.get("cookie") or "") if isinstance(secret.get("cookie"), str) else {}
        if not jar.get(cookies.PSID):
            return f"the cookies lack {cookies.PSID}: export them from a browser signed in to gemini.google.com"
        return None

    @classmethod
    def secret_values(cls, secret: dict) -> list[str]:
        """The Cookie header, every cookie value in it, and a configured XSRF token (a session's `at`)."""
        raw = secret.get("cookie") if isinstance(secret.get("cookie"), str) else ""
        xsrf = secret.get("xsrf_token") if isinstance(secret.get("xsrf_token"), str) else ""
        return [v for v in (raw, *cookies.parse_header(raw).values(), xsrf) if v]

    @classmethod
    def credential_identity(cls, secret: dict) -> str | None:
        """`__Secure-1PSID` (and the account index): the same signed-in Google account."""
        psid = cookies.parse_header(secret.get("cookie") or "").get(cookies.PSID) if isinstance(secret.get("cookie"), str) else None
        return f"{psid}/{secret.get('auth_user')}" if psid else None

    @classmethod
    def describe_secret(cls, secret: dict) -> str:
        """How many cookies, and the account index when one is set; never a value."""
        raw = secret.get("cookie") if isinstance(secret.get("cookie"), str) else ""
        text = f"{len(cookies.parse_header(raw))} cookies"
        text += f", /u/{secret['auth_user']}" if secret.get("auth_user") is not None else ""
        return text + (f", file {secret['cookie_file']}" if isinstance(secret.get("cookie_file"), str) else "")

    @classmethod
    def routes(cls) -> tuple[list, frozenset[str]]:
        """The bridge API under `/api/` (`bridge`), which authenticates its callers itself."""
        from .bridge import routes  # it runs requests through the pipeline, which imports this package

        return routes()

    @classmethod
    def personal_account(cls, headers) -> AccountRecord | None:
        """An account of the request's own `x-gemini-psid` (+ `x-gemini-psidts`) cookies (`personal`)."""
        return personal_account(headers)

    @classmethod
    def suggest_name(cls, secret: dict) -> str | None:
        """"web-" and the last 4 characters of `__Secure-1PSID` (the account's stable identity)."""
        psid = cookies.parse_header(secret.get("cookie") or "").get(cookies.PSID) if isinstance(secret.get("cookie"), str) else None
        return f"web-{psid[-4:]}" if psid and len(psid) >= 16 else None

    @classmethod
    def adjust_request(cls, request: dict, spec: ModelSpec, asked: ThinkingRequest | None,
                       names: Mapping[str, str] | None) -> tuple[str, ...]:
        """What the web app honours of the request (`generation.adjust`): thinking mapped onto standard and
        extended (a `-thinking` alias or suffix is extended), other settings said or refused (GatewayError 400)."""
        suffix = spec.thinking
        default = EXTENDED if ALIASES.get(spec.model, (None, STANDARD))[1] == EXTENDED or (
            suffix is not None and suffix.effort == "auto") else STANDARD
        try:
            notes = generation.adjust(request, merge_thinking(suffix, asked), default)
        except UpstreamError as err:
            raise bad_request(err.message) from None
        return notes + ((f"-search ignored ({generation.OWN_TOOLS})",) if spec.search else ())

    def __init__(self, settings: GeminiWebSettings) -> None:
        super().__init__(settings)
        self.settings: GeminiWebSettings = settings
        self.transport = make_transport(settings, LABEL)
        self.client = WebClient(settings, self.transport)
        self.sessions: dict[str, Session] = {}  # account id -> live session
        self.lifecycle = CookieLifecycle(self)
        # sessions of per-request cookies: bounded and aged, in memory only (see `personal`)
        self.personal = PersonalSessions(settings.personal_sessions, settings.personal_session_seconds)
        self.threads = Threads(settings.conversation_ttl_seconds)
        self.media = None  # the gateway's MediaFetcher (`attach`): fileData URLs behind its SSRF guard

    def attach(self, store, media) -> None:
        """Keep conversations in the gateway's store; fetch fileData URLs with its media fetcher."""
        self.threads.attach(store)
        self.media = media

    async def start(self) -> None:
        """Open the transport's session."""
        await self.transport.start()

    async def close(self) -> None:
        """Close it; the sessions go with it."""
        await self.transport.close()
        self.sessions.clear()
        self.personal.clear()

    # credential lifecycle

    @classmethod
    def credential_warning(cls, secret: dict, created_at: float, now: float) -> str:
        """Cookies near their end (`lifecycle.lifetime_warning`)."""
        return lifetime_warning(secret, created_at, now)

    def upkeep_interval(self) -> float | None:
        """The cookie files are looked at this often; rotations run when due at these ticks."""
        return self.settings.cookie_file_poll_seconds

    async def upkeep(self, accounts: list[AccountRecord], reauth: frozenset[str], keeper, store, now: float) -> dict:
        """Cookie files taken in again when changed, and RotateCookies when due (`lifecycle.CookieLifecycle`)."""
        return await self.lifecycle.run(accounts, reauth, keeper, store, now)

    def credential_fresh(self, account: AccountRecord, now: float) -> bool:
        """A live session built from the stored cookies, younger than `session_seconds`, with no merged
        Set-Cookie waiting to be persisted."""
        session = self.sessions.get(account.id)
        return session is not None and session.current(account.secret.get("cookie"), self.settings.session_seconds)

    async def refresh_credential(self, account: AccountRecord) -> dict:
        """The secret with the session's cookie jar: a session still current but for merged Set-Cookie is kept
        (no call); otherwise the app page is read anew (`WebClient.start_session`). Raises NeedsReauth for
        signed-out cookies, UpstreamError otherwise."""
        session = self.sessions.get(account.id)
        stored = account.secret.get("cookie")
        if session is None or session.stored != stored or time.monotonic() - session.started >= self.settings.session_seconds:
            self.sessions.pop(account.id, None)
            session = await self.client.start_session(account)
            self.sessions[account.id] = session
        session.stored = session.cookie_header
        session.pending = False
        return {**account.secret, "cookie": session.stored, "signed_in_at": time.time()}

    async def _session(self, account: AccountRecord) -> Session:
        if is_personal(account):
            return await self.personal.get_or_start(account.id, lambda: self._start(account))
        session = self.sessions.get(account.id)
        if session is None:  # not made fresh by the keeper (a direct call): read the page now
            session = await self._start(account)
        return session

    async def _start(self, account: AccountRecord, jar: dict[str, str] | None = None) -> Session:
        """A new session for the account (from `jar` when given), kept with its kind: per-request cookies in the
        bounded `personal` cache, whose signed-out page is the caller's AUTH_EXPIRED (reason SIGNED_OUT) — no
        pool account to mark — and pool accounts in `sessions`. Raises NeedsReauth (pool accounts), UpstreamError."""
        if not is_personal(account):
            session = self.sessions[account.id] = await self.client.start_session(account, jar)
            return session
        try:
            session = await self.client.start_session(account, jar)
        except NeedsReauth:
            raise UpstreamError(
                Failure.AUTH_EXPIRED, f"Google serves a signed-out page for the cookies sent in '{PSID_HEADER}': "
                "send the __Secure-1PSID (and __Secure-1PSIDTS) of a browser signed in to gemini.google.com",
                status=401, scope=Scope.ACCOUNT, reason="SIGNED_OUT",
            ) from None
        self.personal.put(account.id, session)
        return session

    # capabilities

    async def list_models(self, account: AccountRecord) -> list[dict]:
        """The account's public model ids (`models.resources`) from the catalogue read at session start."""
        session = await self._session(account)
        return resources(session.catalogue)

    def substitute(self, name: str, served) -> str | None:
        """With `downgrade` set, the best web model served instead of a web model id no account has
        (`models.substitute`); None otherwise."""
        return substitute(name, KIND, served) if self.settings.downgrade else None

    async def preferred_account(self, model: str, request: dict) -> str | None:
        """The account holding the web conversation `request` continues (`history.prior_key`), if one is kept."""
        thread = await self._prior_thread(request, caller_owner())
        return thread.account if thread is not None else None

    async def _prior_thread(self, request: dict, owner: str) -> Thread | None:
        """The kept conversation `request`'s history continues (`history.prior_key`, hashing the whole history),
        found once per request: `preferred_account` asks before the pool picks, each attempt asks again."""
        found = _FOUND.get()
        if found is not None and found[0] is request and found[1] == owner:
            return found[2]
        thread = await self.threads.find(history.prior_key(request), owner)
        _FOUND.set((request, owner, thread))
        return thread

    async def rpc(self, account: AccountRecord, rpc: str, payload: object, source_path: str = "/app") -> object:
        """One batchexecute call (§6.8) on the account's session, its payload decoded (None when empty): the
        account's chats, usage and gems for the bridge API. See `rpcs`."""
        return (await self.rpcs(account, [(rpc, payload, "generic")], source_path))["generic"]

    async def rpcs(self, account: AccountRecord, calls: list[tuple[str, object, str]],
                   source_path: str = "/app") -> dict[str, object]:
        """Several batchexecute calls `(rpc, payload, identifier)` in one request: each identifier's payload
        (`WebClient.batch_calls`). A stale XSRF token re-reads the page and tries once more (as `stream`).
        Raises UpstreamError."""
        session = await self._session(account)
        try:
            return await self.client.batch_calls(session, account, calls, source_path)
        except XsrfRejected:
            session = await self._reinit(account)
            try:
                return await self.client.batch_calls(session, account, calls, source_path)
            except XsrfRejected:
                raise UpstreamError(Failure.AUTH_EXPIRED, f"{LABEL} refused a fresh XSRF token", scope=Scope.ACCOUNT) from None

    def stream(self, account: AccountRecord, model: str, request: dict) -> AsyncIterator[dict]:
        """StreamGenerate for `request`; see `Upstream.stream`. A request whose history (without its last user
        turn) is an answer this account gave continues that web conversation with the last turn alone; any
        other starts a new one carrying the history in the prompt (`prompt`). Files are uploaded and attached.
        A continuation the web app refuses before answering (error 1050: the model changed; or a passing
        failure, `not_continued`) is sent again as a new conversation — but one a bridge caller named
        (`asked.Asked.conversation`) is continued as named or fails. A stale
        XSRF token re-reads the page and tries once more; a page now signed out is AUTH_EXPIRED, so the
        keeper's refresh finds it and marks the account needs-re-auth. After the answer its conversation is
        kept (`conversations`) before the closing chunk is given."""
        return self._stream(account, model, request)

    async def _stream(self, account: AccountRecord, model: str, request: dict) -> AsyncIterator[dict]:
        async with aclosing(self._answer(account, model, request)) as chunks:
            if generation.thinking_of(request, STANDARD)[1]:
                async for chunk in chunks:
                    yield chunk
                return
            async for chunk in chunks:  # thoughts hidden (includeThoughts false, or thinking "off")
                chunk = without_thoughts(chunk)
                if chunk is not None:
                    yield chunk

    async def _answer(self, account: AccountRecord, model: str, request: dict) -> AsyncIterator[dict]:
        """The answer's chunks, tool calls read out of it and a JSON answer checked (`reshape_for`): an unusable
        one is asked for once more on the same account (the pipeline's MALFORMED_FUNCTION_CALL retry would move
        to another account and end in an error; issue 9 wants the text after the second try)."""
        # Read at the first step: later steps may run where the caller's context is gone (a committed stream).
        asked = ASKED.get() or Asked()
        asked.gem = asked.gem or NAMED_GEM.get()  # the bridge's `gem`, else the model name's `@gem=`
        owner = caller_owner()  # conversations are each client's own (`conversations`)
        generation.settings_notes(request)  # what the web app refuses, when the pipeline did not ask this kind
        session = await self._session(account)
        chosen = session.catalogue.resolve(model) if session.catalogue else None
        if chosen is None:
            have = ", ".join(session.catalogue.public_ids()) if session.catalogue else "none"
            raise UpstreamError(Failure.NOT_FOUND, f"this gemini-web account has no model '{model}' (it has: {have})",
                                status=404, cause=Cause.ACCOUNT)
        model_id = chosen[0].id if chosen[0] is not None else ""
        chosen = (chosen[0], generation.thinking_of(request, chosen[1])[0])  # the alias's, unless the request asks
        thread = await self._prior_thread(request, owner)
        if thread is not None and (thread.account != account.id or thread.model != model_id):
            thread = None  # another account's conversation (its own was not usable), or another model's
        if asked.conversation:  # a bridge caller names the conversation itself: continued as asked, or refused
            thread = Thread(account.id, *asked.conversation[:3], asked.conversation[9] or "", model_id)
        uploads: dict[str, list] = {}
        sent = False  # a chunk reached the caller: the answer cannot start over
        reshape = None
        while True:
            turn = Turn(request, thread, owner)  # the prompt first: what cannot be sent is refused before any upload
            turn.files = await self._attach(session, account, request, thread, uploads)
            answer: list[dict] = []
            reshape = reshape_for(request, f"{LABEL} account {account.name}", reshape)
            try:
                async for chunk in self._generate(account, session, chosen, turn, answer, asked, reshape):
                    sent = True
                    yield chunk
                return
            except Unusable as exc:
                log.info("account %s: unusable %s (%s), asking once more", account.name, reshape.what, exc.reason)
            except UpstreamError as err:
                if thread is None or sent or asked.conversation or not not_continued(err):
                    raise
                log.info("account %s: the web app did not continue the conversation (%s), starting a new one",
                         account.name, err.message)
                thread = None

    async def _attach(self, session: Session, account: AccountRecord, request: dict, thread, uploads: dict) -> list:
        """The attachment tuples of the turn's files (every turn's for a new conversation, the last turn's when
        continuing), each uploaded once per request (`uploads` by name). Raises UpstreamError BAD_REQUEST for
        an empty file, a file over `upload_max_bytes` or one that cannot be read."""
        out = []
        for file in prompt.files(request, last_only=thread is not None):
            if file.name not in uploads:
                data = await self._file_bytes(file)
                if not data:  # nothing to upload: the request's mistake (another kind would not take it either)
                    raise UpstreamError(Failure.BAD_REQUEST, f"the file in {file.where} is empty (0 bytes): send "
                                        "its content, or leave it out", status=400, cause=Cause.REQUEST)
                if len(data) > self.settings.upload_max_bytes:
                    raise prompt.refuse(
                        f"the file in {file.where}: it has {len(data)} bytes and the Gemini web app takes files up "
                        f"to {self.settings.upload_max_bytes} bytes (upstreams.gemini_web.upload_max_bytes)")
                file_id = await self.client.upload(session, account, file.name, file.mime, data)
                uploads[file.name] = protocol.attachment(file_id, file.name, file.mime)
            out.append(uploads[file.name])
        return out

    async def _file_bytes(self, file: prompt.FilePart) -> bytes:
        """The bytes of an inlineData part, or of a fileData part's http(s) URL fetched by the gateway's media
        fetcher (behind its SSRF guard; its GatewayError 400 passes through)."""
        inline = file.part.get("inlineData")
        if inline is None:
            uri = str((file.part.get("fileData") or {}).get("fileUri") or "")
            if self.media is None or not uri.lower().startswith(("http://", "https://")):
                raise prompt.refuse(f"the file in {file.where}: only inline data and http(s) URLs can be uploaded")
            inline = (await self.media.inline(uri, f"{file.where}.fileData.fileUri"))["inlineData"]
        try:
            return base64.b64decode(inline.get("data") or "", validate=True)
        except (binascii.Error, ValueError):
            raise UpstreamError(Failure.BAD_REQUEST, f"{file.where}.inlineData.data is not base64", status=400,
                                cause=Cause.REQUEST) from None

    async def _generate(self, account: AccountRecord, session: Session, chosen: tuple, turn: Turn,
                        answer: list[dict], asked: Asked, reshape: Reshaped | None = None) -> AsyncIterator[dict]:
        """One turn's chunks as `reshape` makes them (the answer's parts also appended to `answer`, so the
        conversation is kept under what the client was given); the closing chunk is held until the body ended,
        so the context token that follows it (§3.5 frame order) is kept with the thread. Raises Unusable (from
        `reshape`), UpstreamError (error 1037 with the usage windows' reset, `_usage_limit`)."""
        for attempt in (1, 2):
            body, headers = self._request(session, chosen, turn, asked)
            snapshots = Snapshots(LABEL, self.settings)
            frames = self.client.stream_frames(session, account, body, headers)
            closing: list[dict] = []
            try:
                async for frame in frames:
                    for chunk in reshaped(reshape, snapshots.feed(frame)):
                        answer.extend(answer_parts(chunk))
                        if finished(chunk):
                            closing.append(chunk)
                        else:
                            yield chunk
                for chunk in reshaped(reshape, snapshots.end()):
                    answer.extend(answer_parts(chunk))
                    closing.append(chunk)
                await self._remember(account, chosen, turn, snapshots, answer)
                tell(asked, snapshots)
                for chunk in closing:
                    yield chunk
                return
            except UpstreamError as err:
                if err.failure is not Failure.QUOTA_EXHAUSTED:
                    raise
                raise await self._usage_limit(account) from None
            except XsrfRejected:
                if attempt == 2:
                    raise UpstreamError(Failure.AUTH_EXPIRED, f"{LABEL} refused a fresh XSRF token", scope=Scope.ACCOUNT) from None
                log.info("account %s: XSRF token refused, reading the app page again", account.name)
                session = await self._reinit(account)
            finally:
                await frames.aclose()

    async def _remember(self, account: AccountRecord, chosen: tuple, turn: Turn, snapshots: Snapshots,
                        answer: list[dict]) -> None:
        """Keep the answer's conversation under the key of the history it completes (when the app named it)."""
        if not (snapshots.cid and snapshots.rid and snapshots.rcid):
            return
        model_id = chosen[0].id if chosen[0] is not None else ""
        thread = Thread(account.id, snapshots.cid, snapshots.rid, snapshots.rcid, snapshots.context or "", model_id)
        try:
            await self.threads.remember(history.answered_key(turn.request, answer), thread, turn.owner)
        except Exception:  # the answer stands; only its continuation is lost (the next turn starts anew)
            log.warning("account %s: could not keep the web conversation", account.name, exc_info=True)

    async def _usage_limit(self, account: AccountRecord) -> UpstreamError:
        """Error 1037, its cooldown lasting until the usage RPC's reset time when it says one (`usage`), else
        `usage_limit_cooldown_seconds`."""
        fallback = self.settings.usage_limit_cooldown_seconds
        try:
            reset = usage.limit_reset(await self.rpc(account, usage.USAGE_RPC, [], usage.USAGE_PATH))
        except UpstreamError as exc:
            log.info("account %s: no usage reading after error 1037 (%s)", account.name, exc)
            reset = None
        now = time.time()
        if reset is None or reset <= now:
            return errors.usage_limit(LABEL, fallback)
        return errors.usage_limit(LABEL, reset - now, time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(reset)))

    async def _reinit(self, account: AccountRecord) -> Session:
        """A new session after an XSRF rejection; a signed-out page becomes AUTH_EXPIRED (see `stream`)."""
        old = (self.personal if is_personal(account) else self.sessions).pop(account.id, None)
        try:  # with the old session's jar: what it merged and had not persisted yet is the newest
            return await self._start(account, old.jar if old is not None else None)
        except NeedsReauth as exc:
            raise UpstreamError(Failure.AUTH_EXPIRED, exc.reason, scope=Scope.ACCOUNT) from None

    def _request(self, session: Session, chosen: tuple, turn: Turn, asked: Asked) -> tuple[bytes, dict[str, str]]:
        """The StreamGenerate body and headers for the chosen (row, thinking), the turn, and what a bridge caller
        `asked` beyond the Gemini request (an empty Asked: nothing)."""
        row, thinking = chosen
        request_uuid = str(uuid.uuid4()).upper()
        temporary = self.settings.temporary if asked.temporary is None else asked.temporary
        asked.temporary = temporary  # the bridge's answer says what was used
        thinking = EXTENDED if asked.extended else thinking
        header = None
        mode = protocol.AUTO_MODE
        if row is not None:
            cat = session.catalogue
            header = protocol.model_header(row.id, cat.capacity, cat.capacity_field, row.mode, thinking,
                                           session.client_uuid, temporary)
            mode = row.mode
        inner = protocol.inner_request(turn.prompt, session.tokens.language, request_uuid, mode,
                                       thinking or STANDARD, temporary,
                                       turn.thread.metadata() if turn.thread is not None else None, turn.files)
        if asked.gem:
            inner[protocol.GEM_SLOT] = asked.gem
        if asked.research:
            protocol.deep_research(inner)
        return protocol.stream_body(session.tokens.xsrf or "", inner), protocol.generation_headers(request_uuid, header)
