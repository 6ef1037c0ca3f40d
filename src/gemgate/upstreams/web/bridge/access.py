"""Who calls the bridge and with which Google account: the `x-bridge-api-key` header (a gemgate client key),
and the per-request cookies (`x-gemini-psid`, `x-gemini-psidts`, `gemgate.personal`) or else the pool's
gemini-web accounts. Each bridge route is an ASGI endpoint (`Endpoint`) so that the request's scopes (the
caller's key and cookies redacted, the cookies' account) hold while its response is sent, a stream included.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from .... import personal
from ....auth import ClientIdentity
from ....errors import GatewayError, UpstreamError
from ....http.body import read_json
from ....outcome import Outcome
from ....redaction import client_key_scope
from ....store import AccountRecord
from ...base import NeedsReauth
from .envelope import BridgeError, error_response, gateway_error_response, request_id

log = logging.getLogger("gemgate.bridge")
KEY_HEADER = "x-bridge-api-key"
KIND = "gemini-web"


@dataclass
class Caller:
    """One bridge request: its `request`, `rid` (the envelope's requestId), the client's `identity`, the
    `record` of the per-request cookies (None: the pool serves), `started` (event-loop seconds), and whether the
    pipeline books its outcome (`booked`; else `Endpoint` does)."""

    request: Request
    rid: str
    identity: ClientIdentity
    record: AccountRecord | None
    started: float
    booked: bool = False  # its outcome is the pipeline's (a chat handed to `pipeline.serve`)

    @property
    def gateway(self):
        """The running Gateway."""
        return self.request.app.state.gateway

    async def body(self) -> object:
        """The JSON body (within the gateway's limits); INVALID_BODY when it is not JSON or too large."""
        limits = self.gateway.settings.limits
        try:
            return await read_json(self.request, limits.body_bytes, limits.json_depth)
        except GatewayError as err:
            raise BridgeError("INVALID_BODY", err.message) from None

    def pool_accounts(self) -> list[AccountRecord]:
        """The pool's usable gemini-web accounts, by name (enabled, not waiting for re-auth)."""
        pool = self.gateway.pool
        found = [a for a in pool.accounts.values() if a.kind == KIND and a.record.enabled and a.reauth is None]
        return [a.record for a in sorted(found, key=lambda a: a.record.name)]

    def require_credentials(self) -> None:
        """Raise when neither cookies came nor the pool has a usable web account: GEMINI_AUTH_ERROR when it has
        some that need re-auth or are disabled, MISSING_GEMINI_CREDENTIALS when it has none."""
        if self.record is not None or self.pool_accounts():
            return
        if any(a.kind == KIND for a in self.gateway.pool.accounts.values()):
            raise BridgeError("GEMINI_AUTH_ERROR", "Every gemini-web account of this gateway needs its cookies "
                              "renewed or is disabled (the operator sees why with `gemgate accounts list`); or send "
                              "your own as 'x-gemini-psid' and 'x-gemini-psidts'")
        raise BridgeError("MISSING_GEMINI_CREDENTIALS", "Send the cookies of a browser signed in to "
                          "gemini.google.com as 'x-gemini-psid' (__Secure-1PSID) and 'x-gemini-psidts' "
                          "(__Secure-1PSIDTS): this gateway has no gemini-web account of its own")

    async def account(self) -> AccountRecord:
        """The account a call on the user's own data (models, quota, history) uses: the per-request cookies',
        else the pool's first usable gemini-web account (by name; no failover: the data is that account's), made
        fresh through the credential keeper. Raises BridgeError MISSING_GEMINI_CREDENTIALS, GEMINI_AUTH_ERROR (it
        needs re-auth: the pool marks it), UpstreamError."""
        if self.record is not None:
            return self.record
        self.require_credentials()
        gw = self.gateway
        account = gw.pool.accounts[self.pool_accounts()[0].id]
        try:
            await gw.credentials.fresh(gw.upstreams[KIND], account.record)
        except NeedsReauth as exc:  # as the pipeline does: the pool learns it, the caller is told in general terms
            gw.pool.needs_reauth(account, exc.reason)
            raise BridgeError("GEMINI_AUTH_ERROR", "The gateway's gemini-web account needs its cookies renewed; "
                              "the gateway's operator can see why with `gemgate accounts list`") from None
        return account.record


Handler = Callable[[Caller], Awaitable[Response]]


class Endpoint:
    """An ASGI endpoint running `handler` for an authenticated caller; every failure answered in the bridge's
    error envelope (a BridgeError as it is, a GatewayError or UpstreamError classified, anything else
    INTERNAL_ERROR with the traceback in the log only). Every call leaves one access-log line (an Outcome of
    dialect "bridge"): the pipeline's for a chat it serves, else this endpoint's, operation "request" for a
    refused call and the handler's name (models, quota, history, …) for the others."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler

    async def __call__(self, scope, receive, send) -> None:
        request = Request(scope, receive)
        rid = request_id()
        gw = request.app.state.gateway
        started = asyncio.get_running_loop().time()
        key = request.headers.get(KEY_HEADER)
        identity = gw.keys.identify(key)
        with client_key_scope(key):
            if identity is None:
                said = "Incorrect" if key else "Missing"
                message = (f"{said} bridge API key: send a gemgate client key as '{KEY_HEADER}' (create one with "
                           "`gemgate keys create`)")
                response = error_response("BRIDGE_AUTH_ERROR", message, rid)
                _book(gw, "request", None, response.status_code, message, started)
                return await response(scope, receive, send)
            try:
                record = personal.from_headers(request.headers)
            except GatewayError as err:
                response = error_response("INVALID_GEMINI_CREDENTIALS", err.message, rid)
                _book(gw, "request", identity, response.status_code, err.message, started)
                return await response(scope, receive, send)
            with personal.personal_scope(record):
                caller = Caller(request, rid, identity, record, started)
                response, error = await self._answer(caller)
                if not caller.booked:
                    _book(gw, self.handler.__name__, identity, response.status_code, error, started)
                await response(scope, receive, send)

    async def _answer(self, caller: Caller) -> tuple[Response, str | None]:
        """The response, and the error message it carries (None on success)."""
        try:
            return await self.handler(caller), None
        except BridgeError as err:
            return error_response(err.code, err.message, caller.rid), err.message
        except UpstreamError as err:
            view = personal.personal_error(err) if caller.record is not None else err.to_gateway()
            return gateway_error_response(view, caller.rid), view.message
        except GatewayError as err:
            return gateway_error_response(err, caller.rid), err.message
        except Exception:
            log.exception("unhandled error on %s", caller.request.url.path)
            message = "Internal gateway error; see the server log."
            return error_response("INTERNAL_ERROR", message, caller.rid), message


def _book(gw, operation: str, identity: ClientIdentity | None, status: int, error: str | None, started: float) -> None:
    """Emit the Outcome (the access-log line) of a bridge call the pipeline did not serve; `started` its
    event-loop arrival time (seconds)."""
    outcome = Outcome("bridge", operation, identity, status=status, error=error[:200] if error else None)
    outcome.latency = asyncio.get_running_loop().time() - started
    gw.outcomes.emit(outcome)
