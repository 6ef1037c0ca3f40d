"""Upstream kind "code-assist": Google's Cloud Code Assist private API (`{host}/v1internal:<rpc>`) with OAuth
"login with Google" credentials, in two profiles, "antigravity" and "gemini-cli" (reference/antigravity.md,
reference/codeassist-and-gemini-api.md §A). The inner Gemini request and the SSE reading are the ones the
API-key kind uses (`_http.HttpClient`); this package adds the OAuth lifecycle, discovery, the envelope, host
fallback and its error taxonomy (`errors.py`).
"""

from __future__ import annotations

import asyncio
import time
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import ClassVar, TypeVar

import orjson
import typer

from ...errors import Failure, UpstreamError
from ...store import AccountRecord, QuotaSnapshot, Store
from .._http import HttpClient
from ..base import Capability, Upstream
from . import claude, credential, credits, discovery, models, oauth
from .errors import classifier, model_not_offered, moves_to_next_host, project_refused, short_wait, still_refused
from .profiles import Profile, session_id
from .settings import CodeAssistSettings

KIND = "code-assist"
log = logging.getLogger("gemgate.code_assist")
LABEL = "Code Assist"
T = TypeVar("T")


def _unwrap(chunk: dict) -> dict:
    """The Gemini response inside a Code Assist event `{"response": {...}, "traceId": ...}` (§4.4)."""
    inner = chunk.get("response")
    if not isinstance(inner, dict):
        raise UpstreamError(Failure.MALFORMED, f"{LABEL} sent an event without a response")
    return inner


class CodeAssist(Upstream):
    """Code Assist OAuth accounts: generation, token counting and model listing through one client per profile."""

    kind = KIND
    capabilities = frozenset({Capability.GENERATE, Capability.COUNT_TOKENS, Capability.LIST_MODELS})
    settings_model = CodeAssistSettings
    secret_fields = ("profile", "refresh_token")
    # Offered until an account's own list is fetched; both profiles' catalogues have had them (§5, §9).
    fallback_models: ClassVar[tuple[str, ...]] = ("gemini-2.5-flash", "gemini-2.5-pro")
    reports_quota: ClassVar[bool] = True

    @classmethod
    def register_cli(cls, accounts: typer.Typer) -> None:
        """`gemgate accounts add-oauth`."""
        from .cli import register

        register(accounts)

    @classmethod
    def register_commands(cls, app: typer.Typer) -> None:
        """`gemgate login` and `gemgate import` (one line per command module)."""
        from . import cli_login, import_cli

        cli_login.register(app)
        import_cli.register(app)

    @classmethod
    def routes(cls) -> tuple[list, frozenset[str]]:
        """`/auth/login`, `/auth/callback` (no client key: state-protected), `/auth/status` (web.py)."""
        from . import web

        return web.ROUTES, web.OPEN_PATHS

    @classmethod
    def suggest_name(cls, secret: dict) -> str | None:
        """The account's email with the profile, e.g. "ada@example.com-antigravity"; None without an email."""
        email = secret.get("email")
        if not isinstance(email, str) or not email.strip():
            return None
        safe = "".join(c if c.isalnum() or c in "._-" else "-" for c in email.strip().replace("@", "-at-"))
        return f"{safe}-{secret.get('profile')}"[:64]

    @classmethod
    def secret_problem(cls, secret: dict) -> str | None:
        """See `credential.problem`."""
        return credential.problem(secret)

    @classmethod
    def secret_values(cls, secret: dict) -> list[str]:
        """The refresh and access tokens (not the profile or email, which name the account in messages)."""
        return [v.strip() for v in (secret.get("refresh_token"), secret.get("access_token")) if isinstance(v, str) and v.strip()]

    @classmethod
    def credential_identity(cls, secret: dict) -> str | None:
        """email + profile (`credential.identity`)."""
        return credential.identity(secret)

    @classmethod
    def describe_secret(cls, secret: dict) -> str:
        """`email (profile)`; never a token."""
        return credential.describe(secret)

    def __init__(self, settings: CodeAssistSettings) -> None:
        super().__init__(settings)
        self.settings: CodeAssistSettings = settings
        self.http = HttpClient(settings, LABEL, classifier(settings))
        self.logins: dict = {}  # sign-ins started by the server, by state (web.py)
        # account id -> (its project Google refused, the refusal): discovered again at its next refresh.
        self._refused: dict[str, tuple[str, UpstreamError]] = {}
        self.credits = credits.CreditBook()  # (account, model) pairs paying with AI credits
        self._discovering: dict[str, asyncio.Task] = {}  # account id -> its discovery, run in the background

    async def start(self) -> None:
        """Open the HTTP session."""
        await self.http.start()

    async def close(self) -> None:
        """Stop background discoveries and close the HTTP session."""
        for task in list(self._discovering.values()):
            task.cancel()
        await self.http.close()

    async def import_environment(self, store: Store, environ: Mapping[str, str]) -> None:
        """`GCLI_CREDS_*` and `GCP_SERVICE_ACCOUNT` imported as `gemgate import --env` does (the environment's
        copy wins); one log line per variable: what happened, or why not (never a token)."""
        from .importer import Importer
        from .sources import from_environment

        def report(row) -> None:
            """Logged while the tokens are still registered for redaction."""
            if row.result == "error":
                log.warning("%s: not imported: %s", row.source, row.reason)
            else:
                log.info("%s: %s %s (%s)", row.source, row.result, row.email, row.profile)

        await Importer(self, store, source="import-env").run(from_environment(environ), report)

    def profile(self, account: AccountRecord) -> Profile:
        """The account's profile with this section's overrides."""
        return self.settings.profile(account.secret.get("profile"))

    # credential lifecycle

    def _token_fresh(self, secret: dict, now: float) -> bool:
        expiry = secret.get("expiry")
        return bool(secret.get("access_token")) and isinstance(expiry, (int, float)) and (
            expiry - self.settings.refresh_skew_seconds > now
        )

    def credential_fresh(self, account: AccountRecord, now: float) -> bool:
        """An access token with more than `refresh_skew_seconds` left, and a project to send with it."""
        return self._token_fresh(account.secret, now) and bool(account.secret.get("project_id"))

    async def refresh_credential(self, account: AccountRecord, *, patient: bool = False) -> dict:
        """A new access token (when it is near expiry, or the account's credential was rejected: then the
        project is known), the email (userinfo) and the project (discovery) where missing. Discovery is waited
        for at most `onboard_wait_seconds` (`_discovery`), or to its end when `patient` (a sign-in).

        Raises NeedsReauth for a dead refresh token; UpstreamError FORBIDDEN (account) for an account that is
        not eligible, needs verification or is banned; other UpstreamErrors to be tried again later.
        """
        secret = dict(account.secret)
        profile = self.settings.profile(secret["profile"])
        proxy = self.proxy_for(account)
        if account.id in self._refused:
            return await self._rediscover(account, secret, profile, proxy, *self._refused.pop(account.id), patient)
        refreshed = not self._token_fresh(secret, time.time()) or bool(secret.get("project_id"))
        if refreshed:
            secret = await oauth.refresh(self.settings, profile, secret, proxy)
        if not secret.get("email"):
            secret["email"] = await self._email(secret, proxy)
        if secret.get("project_id"):
            return secret
        try:
            try:
                found = await self._discovery(account, profile, secret, proxy, patient)
            except UpstreamError as err:
                if err.failure is not Failure.AUTH_EXPIRED or refreshed:
                    raise
                # The token was rejected before its time (revoked, or a clock off): a new one, once.
                secret = await oauth.refresh(self.settings, profile, secret, proxy)
                found = await self._discovery(account, profile, secret, proxy, patient)
        except UpstreamError as err:
            raise self._named(err, account) from None
        return {**secret, **found}

    async def _rediscover(self, account: AccountRecord, secret: dict, profile: Profile, proxy: str | None,
                          project: str, refusal: UpstreamError, patient: bool = False) -> dict:
        """The credential with the project discovery finds now, after Google refused `project`
        (errors.project_refused). Raises FORBIDDEN (account) with the refusal's advice when discovery finds the
        same project or refuses the account; other failures keep the refusal pending for the next refresh."""
        try:
            if not self._token_fresh(secret, time.time()):
                secret = await oauth.refresh(self.settings, profile, secret, proxy)
            found = await self._discovery(account, profile, secret, proxy, patient)
        except UpstreamError as err:
            if err.failure is not Failure.FORBIDDEN:
                self._refused[account.id] = (project, refusal)
                raise
            raise self._named(still_refused(refusal, err), account) from None
        if found["project_id"] == project:
            raise self._named(still_refused(refusal, project), account)
        log.info("account %s: project %s refused, now %s", account.name, project, found["project_id"])
        return {**secret, **found}

    def _failed(self, err: UpstreamError, account: AccountRecord, model: str | None = None,
                request: dict | None = None) -> UpstreamError:
        """A call's failure as the pool should see it: the account's name in its advice, a refused project
        sent to discovery once (errors.project_refused), and for a model call (`model`, `request`) a plain 404
        about the model (errors.model_not_offered)."""
        project = account.secret.get("project_id") or ""
        refused = project_refused(err, project)
        if refused is not err:
            self._refused[account.id] = (project, self._named(err, account))
            return refused
        if model is not None:
            err = model_not_offered(err, model, request or {})
        return self._named(err, account)

    async def _discovery(self, account: AccountRecord, profile: Profile, secret: dict, proxy: str | None,
                         patient: bool = False) -> dict:
        """The account's discovery result, from one background run per account (`_discover`): onboarding may
        poll for long (`onboard_polls` x `onboard_poll_seconds`), and no request should wait for it. A request
        waits at most `onboard_wait_seconds`; then it fails with `discovery.onboarding_pending` (the pool cools
        the account, the request goes elsewhere) while the run goes on, and the next refresh of the account
        takes its result. A failed run is forgotten, so the next refresh starts a new one. `patient`: wait to
        the end (a sign-in, whose user waits for the summary)."""
        task = self._discovering.get(account.id)
        if task is None:
            task = self._discovering[account.id] = asyncio.ensure_future(self._discover(profile, secret, proxy))
            task.add_done_callback(lambda t, key=account.id: self._settled(key, t))
        try:
            wait = None if patient else self.settings.onboard_wait_seconds
            found = await asyncio.wait_for(asyncio.shield(task), wait)
        except asyncio.TimeoutError:
            raise discovery.onboarding_pending(
                f"still onboarding after {self.settings.onboard_wait_seconds:g} s", self.settings
            ) from None
        if self._discovering.get(account.id) is task:
            del self._discovering[account.id]
        return found

    def _settled(self, key: str, task: asyncio.Task) -> None:
        """A background discovery ended: a failed one is dropped (its error was raised to the request that
        waited, if any; one nobody waited for is only logged), a successful one is kept for the next refresh."""
        if task.cancelled() or task.exception() is not None:
            if self._discovering.get(key) is task:
                del self._discovering[key]
            if not task.cancelled():
                log.info("account %s: discovery failed: %s", key, task.exception())

    def _discover(self, profile: Profile, secret: dict, proxy: str | None) -> Awaitable[dict]:
        """`discovery.discover` over this profile's hosts with the account's token."""
        return discovery.discover(
            lambda rpc, body: self._unary(profile, secret, proxy, rpc, body),
            lambda name: self._hosts(profile, lambda base: self.http.json(
                "GET", f"{base}/v1internal/{name}", headers=self._headers(profile, secret), proxy=proxy
            )),
            profile,
            self.settings,
        )

    async def _userinfo_email(self, secret: dict, proxy: str | None) -> str | None:
        """The `email` of the OAuth userinfo answer for the secret's access token (None if it has none).
        Raises UpstreamError as `HttpClient.json` does."""
        headers = {"Authorization": f"Bearer {secret['access_token']}"}
        if secret.get("user_agent"):
            headers["User-Agent"] = secret["user_agent"]
        info = await self.http.json("GET", self.settings.userinfo_url, headers=headers, proxy=proxy)
        return info.get("email") if isinstance(info.get("email"), str) and info.get("email") else None

    async def _email(self, secret: dict, proxy: str | None) -> str | None:
        """The account's email from userinfo; None when it cannot be had (it only names the account)."""
        try:
            return await self._userinfo_email(secret, proxy)
        except UpstreamError:
            return None

    async def identify(self, secret: dict, proxy: str | None = None) -> dict:
        """`secret` with its `email` from userinfo, its access token refreshed first when missing or near
        expiry (`refresh_skew_seconds`), or once when userinfo refuses it (a 401: revoked or otherwise dead,
        whatever the file's expiry says; the refresh then says what to do). `proxy`: the account's own, else the
        section's. Raises NeedsReauth for a dead refresh token, UpstreamError when Google cannot be asked,
        ValueError when userinfo names no email (a token without the userinfo.email scope)."""
        proxy = proxy or self.settings.proxy
        profile = self.settings.profile(secret["profile"])
        refreshed = not self._token_fresh(secret, time.time())
        if refreshed:
            secret = await oauth.refresh(self.settings, profile, secret, proxy)
        try:
            email = await self._userinfo_email(secret, proxy)
        except UpstreamError as err:
            if err.failure is not Failure.AUTH_EXPIRED or refreshed:
                raise
            secret = await oauth.refresh(self.settings, profile, secret, proxy)
            email = await self._userinfo_email(secret, proxy)
        if email is None:
            raise ValueError("Google's userinfo named no email for this token (is the userinfo.email scope missing?)")
        return {**secret, "email": email}

    # the wire

    @staticmethod
    def _headers(profile: Profile, secret: dict, model: str = "") -> dict[str, str]:
        """The headers of a v1internal call: the profile's, with the account's own User-Agent if it has one."""
        return {
            **profile.headers,
            "Authorization": f"Bearer {secret.get('access_token')}",
            "Content-Type": "application/json",
            "User-Agent": secret.get("user_agent") or profile.agent(model),
        }

    async def _hosts(self, profile: Profile, attempt: Callable[[str], Awaitable[T]]) -> T:
        """`attempt(base_url)` on the profile's hosts in order: a short RATE_LIMIT_EXCEEDED is waited out once
        on the same host, failures worth another host (`moves_to_next_host`) move on, the last one raises."""
        waited = False
        hosts = profile.endpoints
        i = 0
        while True:
            try:
                return await attempt(hosts[i])
            except UpstreamError as err:
                wait = None if waited else short_wait(err, self.settings)
                if wait is not None:
                    waited = True
                    await asyncio.sleep(wait)
                elif i + 1 < len(hosts) and moves_to_next_host(err):
                    i += 1
                else:
                    raise

    def _unary(self, profile: Profile, secret: dict, proxy: str | None, rpc: str, body: dict, model: str = "") -> Awaitable[dict]:
        return self._hosts(profile, lambda base: self.http.json(
            "POST", f"{base}/v1internal:{rpc}", body=orjson.dumps(body), headers=self._headers(profile, secret, model),
            proxy=proxy,
        ))

    @staticmethod
    def _named(err: UpstreamError, account: AccountRecord) -> UpstreamError:
        """The error with the account's name where its advice says `<name>`."""
        err.message = err.message.replace("<name>", account.name)
        return err

    def stream(self, account: AccountRecord, model: str, request: dict) -> AsyncIterator[dict]:
        """`POST /v1internal:streamGenerateContent?alt=sse` with the profile's envelope; the `response` of each
        event. See `Upstream.stream`; host fallback and a short rate-limit wait happen before the first chunk."""
        return self._stream(account, model, request)

    async def _stream(self, account: AccountRecord, model: str, request: dict) -> AsyncIterator[dict]:
        secret, proxy = account.secret, self.proxy_for(account)
        profile = self.profile(account)
        session = session_id(account.id, request)
        restore = None
        if claude.is_claude(model):  # Claude's own rules for thinking, signatures and tools (claude.py)
            request, restore = claude.adapt(request)

        def opened(credits: bool) -> Awaitable[tuple[dict, AsyncIterator[dict]]]:
            """The stream open on the first host that answers, its first chunk read (paying with credits or not)."""
            body = orjson.dumps(profile.envelope_for(model, secret.get("project_id") or "", request, session, credits))

            async def first_chunk(base: str) -> tuple[dict, AsyncIterator[dict]]:
                """Open the stream on one host and read its first chunk."""
                chunks = self.http.stream_gemini(
                    f"{base}/v1internal:streamGenerateContent?alt=sse", body=body,
                    headers=self._headers(profile, secret, model), proxy=proxy, unwrap=_unwrap,
                )
                try:
                    return await anext(chunks), chunks
                except BaseException:
                    await chunks.aclose()
                    raise

            return self._hosts(profile, first_chunk)

        try:
            first, rest = await self.credits.call(account.id, model, credits.enabled(secret, profile), opened)
        except UpstreamError as err:
            raise self._failed(err, account, model, request) from None
        try:
            yield restore(first) if restore else first
            async for chunk in rest:
                yield restore(chunk) if restore else chunk
        except UpstreamError as err:
            raise self._named(err, account) from None
        finally:
            await rest.aclose()

    async def count_tokens(self, account: AccountRecord, model: str, body: dict) -> dict:
        """`POST /v1internal:countTokens` with `{request: {model: "models/<id>", contents}}` (the Gemini CLI's
        form, §4.1) for a CountTokensRequest (`contents`, or `generateContentRequest.contents`)."""
        inner = body.get("generateContentRequest") if isinstance(body.get("generateContentRequest"), dict) else body
        payload = {"request": {"model": f"models/{model}", "contents": inner.get("contents") or []}}
        try:
            return await self._unary(self.profile(account), account.secret, self.proxy_for(account), "countTokens", payload, model)
        except UpstreamError as err:
            raise self._failed(err, account, model, inner) from None

    async def list_models(self, account: AccountRecord) -> list[dict]:
        """Model resources from the profile's quota RPC (`models.py`), asked about the account's project."""
        return (await self.models_and_quota(account))[0]

    async def models_and_quota(self, account: AccountRecord) -> tuple[list[dict], QuotaSnapshot]:
        """Model resources and each model's remaining quota from one call of the profile's quota RPC
        (fetchAvailableModels' quotaInfo or retrieveUserQuota's buckets, `models.py`), on the hosts generation
        uses: quota is metered per deployment (reference/antigravity.md §2.1). An account paying with AI credits
        reports no empty model (`credits.past_free_quota`)."""
        profile = self.profile(account)
        body = {"project": account.secret.get("project_id")} if account.secret.get("project_id") else {}
        try:
            answer = await self._unary(profile, account.secret, self.proxy_for(account), profile.models_rpc, body)
        except UpstreamError as err:
            raise self._failed(err, account) from None
        if profile.models_rpc == "fetchAvailableModels":
            found, snapshot = models.from_available_models(answer), models.quota_from_available_models(answer)
        else:
            found, snapshot = models.from_user_quota(answer), models.quota_from_user_quota(answer)
        if credits.enabled(account.secret, profile):
            snapshot = credits.past_free_quota(snapshot)
        return found, snapshot
