"""A faithful fake of Google's Cloud Code Assist private API (cloudcode-pa ``/v1internal``).

How to use::

    oauth = FakeGoogleOAuth()
    fake = FakeCodeAssist(oauth)                        # checks tokens with the OAuth fake
    await oauth.start(); url = await fake.start()       # or: with oauth.running(), fake.running() as url:
    fake.account("ann@example.com", tier="g1-pro-tier") # script an account (created with defaults on use)
    fake.account("new@example.com", project=None, onboard_polls=2)  # needs onboardUser, LRO polled twice
    fake.fail("ann@example.com", "QUOTA_EXHAUSTED", model="gemini-3-flash", delay=7)  # next generation
    fake.account("ann@example.com").allow("gemini-3-flash", 3, reset_in=60)  # 429 QUOTA_EXHAUSTED after 3,
                                                        # quotaInfo 0 until the window refills in 60 s
    fake.account("ann@example.com", refused_projects={"old-proj": "SERVICE_DISABLED"})  # 403 naming old-proj
    prod = FakeCodeAssist(oauth, accounts=fake.accounts, signer=fake.signer)  # a second host, same accounts
    token = oauth.issue_access_token("ann@example.com", ANTIGRAVITY.client_id).token
    # POST {url}/v1internal:streamGenerateContent?alt=sse with "Authorization: Bearer <token>"
    fake.requests_for("streamGenerateContent")         # Exchanges: headers, body, account, status

The caller's profile is the OAuth client behind its token (`OAuthClient.profile`): "antigravity" or
"gemini-cli". Prompts keep the fake model's directives (CALL, FAIL, FAIL-AFTER, ...; see fake_model),
and add Code Assist flavours ``FAIL[-ONCE] <status> <REASON> [<delay>]`` (code_assist_errors.REASONS,
e.g. ``FAIL 429 QUOTA_EXHAUSTED 7s``, ``FAIL 403 VALIDATION_REQUIRED``, ``FAIL 403 TOS``); a plain
``FAIL 429 [secs]`` is cloudcode's RATE_LIMIT_EXCEEDED.

`strict_clients` (default on) also refuses, with a 400 naming the gap, what the profile's official
client never sends (UA form, x-goog-user-project, envelope fields: code_assist_envelope.client_problems),
so tests prove the gateway speaks like the client it presents as. Google itself accepts more.

Rules Google enforces, each with its source: see the modules code_assist_errors (error bodies),
code_assist_envelope (parsing, missing project), code_assist_catalog (models, tiers, version floor) and
the comments below.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from aiohttp import web

from gemgate.testing import code_assist_errors as errors
from gemgate.testing.code_assist_accounts import CodeAssistAccount, Failure, managed_project_id, take_failure
from gemgate.testing.code_assist_claude import claude_reply, validate_claude
from gemgate.testing.code_assist_catalog import DAILY_REQUESTS, CaModel, tier_object
from gemgate.testing.code_assist_envelope import (
    antigravity_version,
    client_problems,
    missing_project,
    parse_body,
    version_tuple,
)
from gemgate.testing.fake_model import Reply, count_prompt_tokens, last_user_text, plan_reply
from gemgate.testing.fake_oauth import CLOUD_PLATFORM, FakeGoogleOAuth
from gemgate.testing.fake_server import FakeServer, catch_all_app
from gemgate.testing.gemini_errors import GoogleApiError
from gemgate.testing.gemini_fields import parse_json_body
from gemgate.testing.gemini_response import partial_response, single_response, stream_chunks
from gemgate.testing.gemini_validation import validate_generate_request
from gemgate.testing.gemini_wire import JSON_CONTENT_TYPE, SSE_CONTENT_TYPE, google_headers, pretty_json
from gemgate.testing.http_record import Exchange, record
from gemgate.testing.stream_writer import ConnectionReset, frame, reset_connection, write_pieces, write_with_fault
from gemgate.testing.thought_signatures import ThoughtSigner

GENERATION = ("generateContent", "streamGenerateContent")
_RPC_PREFIX = "/v1internal:"
_OPERATIONS_PREFIX = "/v1internal/operations/"
ONBOARD_RESPONSE_TYPE = "type.googleapis.com/google.internal.cloud.code.v1internal.OnboardUserResponse"


@dataclass
class _Caller:
    account: CodeAssistAccount
    profile: str
    client_id: str


@dataclass
class _Operation:
    name: str
    email: str
    project: str
    polls_left: int
    done: bool = False


class FakeCodeAssist(FakeServer):
    """cloudcode-pa v1internal: discovery, onboarding, quota RPCs and generation, per-account scripts."""

    def __init__(self, oauth: FakeGoogleOAuth, *,
                 accounts: Iterable[CodeAssistAccount] | dict[str, CodeAssistAccount] = (),
                 strict_clients: bool = True, chunk_interval: float = 0.0, default_tier: str = "free-tier",
                 signer: ThoughtSigner | None = None, frozen_quota_summary: bool = False,
                 fail_once_memory: int = 1024) -> None:
        """
        oauth: the fake OAuth server whose access tokens are accepted.
        accounts: scripts to start with; others are created on first use with `default_tier`. A dict is
          shared, not copied: two fakes given one dict act as two hosts of one service (daily and prod,
          antigravity.md §2.1), each with its own injected failures.
        strict_clients: refuse what the profile's official client never sends (see the module docstring).
        chunk_interval: seconds between streamed chunks.
        signer: Gemini thought signatures (default: one of this fake's own; the Gemini API fake's are not
          valid here, reference A3 "incompatible encryption"). Claude signatures use a second signer; pass
          one fake's `signer` to another to let them accept each other's signatures.
        frozen_quota_summary: retrieveUserQuotaSummary shows every 5h bucket at 1.0, as prod can while daily
          meters the use (quota is metered per deployment, antigravity.md §2.1).
        """
        super().__init__()
        self.oauth = oauth
        self.accounts: dict[str, CodeAssistAccount] = accounts if isinstance(accounts, dict) else \
            {a.email: a for a in accounts}
        self.failures: dict[str, list[Failure]] = {}  # e-mail -> failures of this host only, before the account's
        self.frozen_quota_summary = frozen_quota_summary
        self.strict_clients = strict_clients
        self.chunk_interval = chunk_interval
        self.default_tier = default_tier
        self.signer = signer or ThoughtSigner(b"gemgate-fake-code-assist")
        self.claude_signer = ThoughtSigner(b"gemgate-fake-code-assist-claude")
        self.requests: list[Exchange] = []
        self._operations: dict[str, _Operation] = {}
        self._failed_once: OrderedDict[str, None] = OrderedDict()
        self._fail_once_memory = fail_once_memory

    # -- test hooks ---------------------------------------------------------

    def account(self, email: str, **script: Any) -> CodeAssistAccount:
        """The account `email`; created (with `script` fields, default tier otherwise) when new, else updated."""
        found = self.accounts.get(email)
        if found is None:
            found = self.accounts[email] = CodeAssistAccount(email, **{"tier": self.default_tier, **script})
        else:
            for key, value in script.items():
                setattr(found, key, value)
        return found

    def fail(self, email: str, reason: str | None = None, *, status: int | None = None, model: str | None = None,
             delay: float | None = None, times: int | None = 1, this_host: bool = False) -> None:
        """Make the next `times` generations of `email` (on `model`, or any) fail with `reason`
        (code_assist_errors.REASONS) or a bare `status`. `this_host`: only on this fake, not on the others
        sharing the account (host fallback tests); otherwise the failure joins `account.failures`."""
        target = self.failures.setdefault(email, []) if this_host else self.account(email).failures
        target.append(Failure(reason, status, model, delay, times))

    def requests_for(self, action: str | None = None, account: str | None = None) -> list[Exchange]:
        """Recorded exchanges, filtered by RPC name and by account e-mail."""
        return [r for r in self.requests if action in (None, r.action) and account in (None, r.account)]

    def reset(self) -> None:
        """Forget recorded requests and FAIL-ONCE memory (accounts stay)."""
        self.requests.clear()
        self._failed_once.clear()

    def build_app(self) -> web.Application:
        """The aiohttp app: every path goes through one dispatcher."""
        return catch_all_app(self._dispatch)

    # -- dispatch -------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        started = time.monotonic()
        exchange = await record(request)
        self.requests.append(exchange)
        path = request.path
        stream = path == _RPC_PREFIX + "streamGenerateContent"
        try:
            if path.startswith(_RPC_PREFIX) and request.method == "POST":
                exchange.action = path[len(_RPC_PREFIX):]
            elif path.startswith(_OPERATIONS_PREFIX) and request.method == "GET":
                exchange.action = "getOperation"
            elif path.startswith(_RPC_PREFIX):
                exchange.action = path[len(_RPC_PREFIX):]
            else:
                exchange.status = 404
                return web.Response(status=404, text=f"404. The requested URL {path} was not found on this server.",
                                    content_type="text/html")
            caller = self._authenticate(exchange)
            response = await self._route(request, exchange, caller, started)
        except GoogleApiError as err:
            response = _error_response(err, stream, started)
        except ConnectionReset:
            raise asyncio.CancelledError() from None
        exchange.status = response.status
        return response

    def _authenticate(self, exchange: Exchange) -> _Caller:
        """Bearer access token issued by the OAuth fake, unexpired, with cloud-platform scope."""
        method = "google.internal.cloud.code.v1internal.CloudCode." + (exchange.action or "")[:1].upper() + \
            (exchange.action or "")[1:]
        auth = exchange.header("Authorization") or ""
        token = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
        if not token:
            raise errors.unauthenticated("CREDENTIALS_MISSING", method)
        access = self.oauth.token_info(token)
        if access is None:
            raise errors.unauthenticated("ACCESS_TOKEN_TYPE_UNSUPPORTED", method)
        exchange.account, exchange.client_id = access.email, access.client_id
        if access.expired:
            raise errors.unauthenticated("ACCESS_TOKEN_EXPIRED", method)
        if CLOUD_PLATFORM not in access.scopes:
            raise errors.insufficient_scopes(method)
        client = self.oauth.clients.get(access.client_id)
        profile = client.profile if client else "antigravity"
        exchange.extra["profile"] = profile
        account = self.account(access.email)
        if account.banned:
            raise errors.tos_banned()  # ToS bans answer every RPC (antigravity.md §8.2, §10)
        return _Caller(account, profile, access.client_id)

    async def _route(self, request: web.Request, exchange: Exchange, caller: _Caller,
                     started: float) -> web.StreamResponse:
        action = exchange.action or ""
        if action == "getOperation":
            return _json(self._get_operation(exchange, caller), started)
        handlers = {
            "loadCodeAssist": self._load_code_assist, "onboardUser": self._onboard_user,
            "fetchAvailableModels": self._fetch_available_models, "retrieveUserQuota": self._retrieve_user_quota,
            "retrieveUserQuotaSummary": self._retrieve_user_quota_summary, "countTokens": self._count_tokens,
        }
        if request.method != "POST" and (action in handlers or action in GENERATION):
            # A POST-only RPC asked with another method: Google's front end knows no such route.
            return web.Response(status=404, text=f"404. The requested URL {request.path} was not found on this "
                                "server.", content_type="text/html")
        if action in GENERATION:
            return await self._generate(request, exchange, caller, started)
        if action not in handlers:
            return _json({}, started)  # unknown RPCs answer {} (reference "Checklist for the fakes" 1)
        body = parse_json_body(exchange.raw)
        return _json(handlers[action](exchange, caller, body), started)

    def _strict(self, exchange: Exchange, caller: _Caller, envelope: Mapping[str, Any]) -> None:
        if not self.strict_clients:
            return
        problems = client_problems(caller.profile, envelope, exchange.headers, exchange.action or "")
        if problems:
            raise GoogleApiError(400, f"[fake strict_clients] the {caller.profile} client always sends what this "
                                      f"request lacks: {'; '.join(problems)}")

    def _eligible(self, caller: _Caller) -> None:
        """Gates of every RPC after discovery: the Gemini CLI client is refused to consumer accounts since
        2026-06-18 (§9); a pending account verification answers VALIDATION_REQUIRED (§8.2)."""
        if caller.profile == "gemini-cli" and caller.account.consumer:
            raise errors.unsupported_client()
        if caller.account.validation_url:
            raise errors.validation_required(caller.account.validation_url)

    # -- discovery ------------------------------------------------------------

    def _load_code_assist(self, exchange: Exchange, caller: _Caller, body: Any) -> dict[str, Any]:
        """loadCodeAssist (antigravity.md §3.1, reference A2)."""
        parse_body(body, "CaLoadCodeAssistRequest")
        self._strict(exchange, caller, {})
        account, profile = caller.account, caller.profile
        allowed_ids = ["free-tier", "standard-tier"] if account.consumer else [account.tier]
        allowed = [tier_object(t, profile, default=i == 0) for i, t in enumerate(allowed_ids)]
        if profile == "gemini-cli" and account.consumer:
            return {"allowedTiers": allowed, "ineligibleTiers": [{
                "reasonCode": "UNSUPPORTED_CLIENT", "reasonMessage": errors.UNSUPPORTED_CLIENT,
                "tierId": "free-tier", "tierName": "Gemini Code Assist for individuals"}], "gcpManaged": False}
        if account.validation_url:
            # The Gemini CLI shows "verify your account" from this entry (reference A2, decision logic 3).
            return {"allowedTiers": allowed, "ineligibleTiers": [{
                "reasonCode": "VALIDATION_REQUIRED", "reasonMessage": errors.VERIFY_ACCOUNT,
                "tierId": allowed_ids[0], "tierName": allowed[0]["name"],
                "validationErrorMessage": errors.VERIFY_ACCOUNT, "validationUrl": account.validation_url,
                "validationUrlLinkText": "Verify your account",
                "validationLearnMoreUrl": errors.VALIDATION_LEARN_MORE, "validationLearnMoreLinkText": "Learn more"}]}
        answer: dict[str, Any] = {}
        if account.project is not None:
            answer["currentTier"] = tier_object(allowed_ids[0], profile)
        answer["allowedTiers"] = allowed
        if account.tier.startswith("g1-"):
            answer["paidTier"] = tier_object(account.tier, profile, credits=account.credits)
        if account.project is not None:
            answer["cloudaicompanionProject"] = account.project
        answer["gcpManaged"] = False
        return answer

    def _onboard_user(self, exchange: Exchange, caller: _Caller, body: Any) -> dict[str, Any]:
        """onboardUser: a long-running operation, done after the account's `onboard_polls` (§3.2, A2)."""
        req = parse_body(body, "CaOnboardUserRequest")
        self._strict(exchange, caller, {})
        self._eligible(caller)
        account = caller.account
        pending = next((op for op in self._operations.values() if op.email == account.email and not op.done), None)
        if pending is not None:
            return self._poll(pending)  # gateways re-POST onboardUser to poll (§3.2)
        expected = "free-tier" if account.consumer else account.tier
        if req.get("tierId") != expected:
            raise GoogleApiError(400, "Request contains an invalid argument.")
        project = req.get("cloudaicompanionProject")
        if account.consumer and project:
            # "sending a project for the free tier gives Precondition Failed" (gemini-cli setup.ts, A2), and a
            # body-level project breaks g1 tiers too (antigravity-claude-proxy onboarding.js, §3.2).
            raise GoogleApiError(400, "Precondition check failed.", status="FAILED_PRECONDITION")
        if not account.consumer and not project:
            raise GoogleApiError(400, "Precondition check failed.", status="FAILED_PRECONDITION")
        target = account.project or (managed_project_id(account.email) if account.consumer else project)
        op = _Operation(f"operations/onboard-{secrets.token_hex(6)}", account.email, target,
                        0 if account.project else account.onboard_polls)
        self._operations[op.name] = op
        return self._poll(op)

    def _poll(self, op: _Operation) -> dict[str, Any]:
        if not op.done and op.polls_left > 0:
            op.polls_left -= 1
            return {"name": op.name, "done": False}
        op.done = True
        self.accounts[op.email].project = op.project
        return {"name": op.name, "done": True, "response": {
            "@type": ONBOARD_RESPONSE_TYPE, "cloudaicompanionProject": {"id": op.project, "name": op.project},
            "status": {"statusCode": "DEFAULT", "displayMessage": "Onboarding complete."}}}

    def _get_operation(self, exchange: Exchange, caller: _Caller) -> dict[str, Any]:
        """GET /v1internal/operations/<id>, as the Gemini CLI polls (server.ts getOperation, A2)."""
        name = exchange.path[len("/v1internal/"):]
        op = self._operations.get(name)
        if op is None or op.email != caller.account.email:
            raise errors.not_found()
        return self._poll(op)

    # -- models and quota ---------------------------------------------------

    def _models_for(self, exchange: Exchange, caller: _Caller) -> list[CaModel]:
        """The account's models this client may see (newer Antigravity models need the version floor)."""
        version = antigravity_version(exchange.header("User-Agent") or "")
        return [m for m in caller.account.visible_models(caller.profile)
                if caller.profile != "antigravity" or m.min_version is None
                or (version is not None and version >= version_tuple(m.min_version))]

    def _project_request(self, exchange: Exchange, caller: _Caller, body: Any) -> None:
        req = parse_body(body, "CaProjectRequest")
        self._strict(exchange, caller, {})
        self._eligible(caller)
        project = req.get("project")
        if project and project in caller.account.refused_projects:
            raise errors.by_reason(caller.account.refused_projects[project], None, "", None, project=project)
        if project and project != caller.account.project:
            raise errors.consumer_invalid(project)

    def _fetch_available_models(self, exchange: Exchange, caller: _Caller, body: Any) -> dict[str, Any]:
        """fetchAvailableModels: models map with quotaInfo and the id lists (antigravity.md §7.1)."""
        self._project_request(exchange, caller, body)
        account = caller.account
        models = self._models_for(exchange, caller)
        gemini = [m.id for m in models if m.family == "gemini"]
        return {
            "models": {m.id: m.available_entry(account.remaining(m), errors.timestamp(time.time()
                                                                                       + account.reset_delay(m)))
                       for m in models},
            "defaultAgentModelId": gemini[0] if gemini else (models[0].id if models else ""),
            "agentModelSorts": [{"displayName": "Recommended", "groups": [{"modelIds": [m.id for m in models]}]}],
            "commandModelIds": gemini[:1], "tabModelIds": [],
            "imageGenerationModelIds": [m for m in gemini if "image" in m],
            "webSearchModelIds": [m for m in gemini if "image" not in m],
            "deprecatedModelIds": {"claude-sonnet-4-5": {"newModelId": "claude-sonnet-4-6"}},
        }

    def _retrieve_user_quota(self, exchange: Exchange, caller: _Caller, body: Any) -> dict[str, Any]:
        """retrieveUserQuota: buckets per modelId (antigravity.md §7.4, reference A2)."""
        self._project_request(exchange, caller, body)
        account = caller.account
        daily = DAILY_REQUESTS.get(account.tier, 1000)
        return {"buckets": [{
            "remainingAmount": str(int(account.remaining(m) * daily)), "remainingFraction": account.remaining(m),
            "resetTime": errors.timestamp(time.time() + account.reset_delay(m)), "tokenType": "REQUESTS",
            "modelId": m.id} for m in self._models_for(exchange, caller)]}

    def _retrieve_user_quota_summary(self, exchange: Exchange, caller: _Caller, body: Any) -> dict[str, Any]:
        """retrieveUserQuotaSummary: weekly and 5h buckets per family; an empty weekly bucket pins the 5h one
        `disabled` while it may still show its old fraction (antigravity.md §7.2)."""
        self._project_request(exchange, caller, body)
        account = caller.account
        account.roll()
        models = self._models_for(exchange, caller)
        groups = []
        for family, prefix, title in (("gemini", "gemini", "Gemini Models"), ("3p", "3p", "Claude and GPT models")):
            members = [m for m in models if m.family == family]
            if not members:
                continue
            weekly = max(0.0, account.weekly.get(family, 1.0))
            five = 1.0 if self.frozen_quota_summary else min(max(0.0, account.quota.get(m.id, 1.0)) for m in members)
            groups.append({"displayName": title, "description": "Models within this group: "
                           + ", ".join(m.display_name for m in members), "buckets": [
                {"bucketId": f"{prefix}-weekly", "displayName": "Weekly Limit", "window": "weekly",
                 "resetTime": errors.timestamp(account.weekly_reset_at), "remainingFraction": weekly,
                 "disabled": False},
                {"bucketId": f"{prefix}-5h", "displayName": "5 Hour Limit", "window": "5h",
                 "resetTime": errors.timestamp(account.quota_reset_at), "remainingFraction": five,
                 "disabled": weekly <= 0},
            ]})
        return {"groups": groups}

    def _count_tokens(self, exchange: Exchange, caller: _Caller, body: Any) -> dict[str, Any]:
        """countTokens: `{request: {model: "models/<id>", contents}}` -> `{totalTokens}` (§4.1, reference A3)."""
        envelope = parse_body(body, "CaGenerateContentRequest")
        self._strict(exchange, caller, envelope)
        self._eligible(caller)
        inner = envelope.get("request") or {}
        named = inner.get("model") or envelope.get("model")
        if named:
            self._model(exchange, caller, named[len("models/"):] if named.startswith("models/") else named)
        return {"totalTokens": count_prompt_tokens(inner)}

    # -- generation -------------------------------------------------------------

    def _model(self, exchange: Exchange, caller: _Caller, model_id: str) -> CaModel:
        found = next((m for m in self._models_for(exchange, caller) if m.id == model_id), None)
        if found is None:
            raise errors.not_found()  # unknown, not this account's, or below the client version floor (§2.2)
        return found

    async def _generate(self, request: web.Request, exchange: Exchange, caller: _Caller,
                        started: float) -> web.StreamResponse:
        envelope = parse_body(parse_json_body(exchange.raw), "CaGenerateContentRequest")
        exchange.model = envelope.get("model")
        self._strict(exchange, caller, envelope)
        self._eligible(caller)
        account = caller.account
        project = envelope.get("project")
        if not project:
            raise missing_project()
        if project in account.refused_projects:
            raise errors.by_reason(account.refused_projects[project], None, str(envelope.get("model") or ""), None,
                                   project=project)
        if project != account.project:
            raise errors.consumer_invalid(project)
        if not account.consumer and not account.licensed:
            raise errors.subscription_required()
        model = self._model(exchange, caller, envelope.get("model") or "")
        inner = envelope.get("request") or {}
        self._validate(inner, model)
        failure = take_failure(self.failures.get(account.email, []), model.id) or \
            take_failure(account.failures, model.id)
        if failure is not None:
            raise errors.by_reason(failure.reason or "", failure.status, model.id, failure.delay,
                                   project=project)
        prompt = last_user_text(inner)
        first = prompt not in self._failed_once
        directive = errors.directive_error(prompt, first)
        if directive is not None:
            status, reason, delay, once = directive
            if once:
                self._remember(prompt)
            raise errors.by_reason(reason, status, model.id, delay, project=project)
        extras = self._pay(account, model, envelope)
        reply = plan_reply(inner, model.rules_model, first_attempt=first, signer=self.signer)
        if reply.fail_once:
            self._remember(prompt)
        else:
            self._failed_once.pop(prompt, None)
        if reply.is_error:
            raise errors.by_reason(reply.error_form or "", reply.status, model.id, reply.retry_delay, project=project)
        if model.is_claude:
            reply = claude_reply(reply, inner, model.id, self.claude_signer)
        if reply.delay:
            await asyncio.sleep(reply.delay)
        return await self._answer(request, exchange, reply, model, extras, started)

    def _pay(self, account: CodeAssistAccount, model: CaModel, envelope: Mapping[str, Any]) -> dict[str, Any]:
        """Take the request from the model's quota, or from AI credits when the envelope enables them and
        the quota is gone (§7.3); an empty quota without credits is 429 QUOTA_EXHAUSTED until the reset."""
        if account.remaining(model) > 0:
            account.spend(model)
            return {}
        if "GOOGLE_ONE_AI" in (envelope.get("enabledCreditTypes") or []) and account.credits is not None:
            if account.credits <= 0:
                raise errors.insufficient_credits(model.id)
            account.credits -= 1
            return {"consumedCredits": [{"creditType": "GOOGLE_ONE_AI", "creditAmount": "1"}],
                    "remainingCredits": [{"creditType": "GOOGLE_ONE_AI", "creditAmount": str(account.credits)}]}
        raise errors.quota_exhausted(model.id, account.reset_delay(model))

    def _validate(self, inner: Mapping[str, Any], model: CaModel) -> None:
        """The Gemini request rules (gemini_validation); Claude models add their own (code_assist_claude)."""
        if model.is_claude:
            inner = validate_claude(inner, self.claude_signer)
        validate_generate_request(inner, model.rules_model, self.signer, output_token_limit=model.max_output_tokens)

    async def _answer(self, request: web.Request, exchange: Exchange, reply: Reply, model: CaModel,
                      extras: dict[str, Any], started: float) -> web.StreamResponse:
        """Wrap the fake model's reply as `{"response": ..., "traceId": ...}` (antigravity.md §4.4, A3)."""
        trace = secrets.token_hex(8)

        created = errors.timestamp(time.time())

        def wrap(chunk: dict[str, Any], last: bool) -> dict[str, Any]:
            # The inner response also carries createTime (antigravity.md §4.4, gcli2api Response_example.txt).
            return {"response": {**chunk, "createTime": created}, "traceId": trace, **(extras if last else {})}

        headers = {**google_headers(started), "X-Cloudaicompanion-Trace-Id": trace}
        fault = reply.fault
        if exchange.action == "generateContent":
            if fault is not None and fault.kind == "FAIL":
                raise errors.by_reason(fault.form or "", fault.status, model.id, fault.retry_delay)
            if fault is not None and fault.kind == "RESET":
                await reset_connection(request)
                raise ConnectionReset()
            if fault is not None and fault.kind == "CUT":
                return _json(wrap(partial_response(reply, model.id, fault.after), True), started, headers)
            if fault is not None:
                await asyncio.sleep(fault.seconds)
            return _json(wrap(single_response(reply, model.id), True), started, headers)
        sse = request.query.get("alt") == "sse"
        chunks = stream_chunks(reply, model.id)
        wrapped = [wrap(c, i == len(chunks) - 1) for i, c in enumerate(chunks)]
        headers.update({"Content-Type": SSE_CONTENT_TYPE if sse else JSON_CONTENT_TYPE,
                        "Content-Disposition": "attachment"})
        exchange.status = 200  # before the first byte: a client may read the log as soon as the body ends
        if fault is not None:
            error = errors.by_reason(fault.form or "", fault.status, model.id, fault.retry_delay).body() \
                if fault.kind == "FAIL" else {}
            return await write_with_fault(request, headers, wrapped, fault, error, sse, self.chunk_interval)
        if sse and not wrapped:
            return web.Response(body=b"", headers=headers)  # an empty 200 happens (§4.4)
        return await write_pieces(request, headers, frame(wrapped, sse), interval=self.chunk_interval)

    def _remember(self, prompt: str) -> None:
        self._failed_once[prompt] = None
        while len(self._failed_once) > self._fail_once_memory:
            self._failed_once.popitem(last=False)


def _json(value: Any, started: float, headers: Mapping[str, str] | None = None) -> web.Response:
    out = {**google_headers(started), **(headers or {}), "Content-Type": JSON_CONTENT_TYPE}
    return web.Response(body=(pretty_json(value) + "\n").encode("utf-8"), headers=out)


def _error_response(err: GoogleApiError, stream: bool, started: float) -> web.Response:
    """Errors are JSON; on streamGenerateContent a one-element array `[{"error": ...}]` (reference A3:
    google-gemini/gemini-cli#6454, #14811, #2865)."""
    body = [err.body()] if stream else err.body()
    headers = {**google_headers(started), "Content-Type": JSON_CONTENT_TYPE}
    return web.Response(status=err.code, body=(pretty_json(body) + "\n").encode("utf-8"), headers=headers)
