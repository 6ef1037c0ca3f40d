"""Stateless per-request credentials (issue 9): a request that carries its own upstream credential in headers
(gemini-web: `x-gemini-psid`, optionally `x-gemini-psidts`) is served with that credential alone, for that
request only. The account is made by its kind (`Upstream.personal_account`), lives in a context variable for
the request's duration, is never added to the pool or the store, and its secret values are scrubbed from
every log line and error text written meanwhile (`redaction.request_secrets_scope`). It still needs a gemgate
client key: the client key says who may use the gateway, the cookies only whose Google account answers.

No failover (there is one account: the caller's), nothing booked (no cooldown, no needs-re-auth: the pool
never sees it), and the model is resolved against that account's own discovered models.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar

from .catalog import Catalog
from .disclosure import for_client
from .errors import Failure, GatewayError, UpstreamError
from .pool import Account, Lease
from .redaction import request_secrets_scope
from .store import AccountRecord
from .upstreams import UPSTREAM_KINDS
from .upstreams.base import Upstream

_current: ContextVar[AccountRecord | None] = ContextVar("gemgate_personal_account", default=None)
PERSONAL_CODE = "personal_credentials"  # GatewayError.code of a refused or malformed per-request credential


def from_headers(headers: Mapping[str, str]) -> AccountRecord | None:
    """The per-request account the headers carry (the first kind that finds one), or None. Raises
    GatewayError 401 (code `invalid_personal_credentials`) for malformed ones, naming the headers only."""
    for cls in UPSTREAM_KINDS.values():
        try:
            record = cls.personal_account(headers)
        except ValueError as exc:
            raise GatewayError(401, str(exc), code="invalid_" + PERSONAL_CODE) from None
        if record is not None:
            return record
    return None


def current() -> AccountRecord | None:
    """The account the running request carries for itself, or None (served by the pool)."""
    return _current.get()


class personal_scope:  # noqa: N801 - used like a function: `with personal_scope(record):`
    """Within the block the request is served with `record` (None: by the pool), whose secret values `redact`
    scrubs."""

    __slots__ = ("_record", "_token", "_secrets")

    def __init__(self, record: AccountRecord | None) -> None:
        self._record = record
        cls = UPSTREAM_KINDS.get(record.kind) if record is not None else None
        self._secrets = request_secrets_scope(cls.secret_values(record.secret) if cls is not None else [])

    def __enter__(self) -> None:
        self._secrets.__enter__()
        self._token = _current.set(self._record)

    def __exit__(self, *exc: object) -> None:
        _current.reset(self._token)
        self._secrets.__exit__(*exc)


class PersonalLease(Lease):
    """A lease of the per-request account: its successes and failures are booked nowhere (it is no pool's)."""

    __slots__ = ()

    def __init__(self, record: AccountRecord, model: str, capability: str) -> None:
        super().__init__(None, Account(record), model, capability)  # type: ignore[arg-type] - no pool

    def success(self) -> None:
        """Nothing to count."""

    def failure(self, error: UpstreamError) -> None:
        """Nothing to book."""

    def confirm(self, error: UpstreamError) -> None:
        """Nothing to book."""


def personal_error(err: UpstreamError) -> GatewayError:
    """The client's view of a failure met with its own credential: a refused one is the caller's to fix (401,
    code `personal_credentials`, or `signed_out` when the upstream's reason says the cookies are signed out),
    unlike a pool account's (502, the operator's); anything else as `UpstreamError.to_gateway`."""
    if err.failure in (Failure.AUTH_EXPIRED, Failure.FORBIDDEN):
        code = "signed_out" if err.reason == "SIGNED_OUT" else PERSONAL_CODE
        out = GatewayError(401, for_client(err.message), code=code, upstream=True)
        out.failure = err.failure
        return out
    return err.to_gateway()


async def personal_catalog(upstream: Upstream, record: AccountRecord, catalog: Catalog) -> Catalog:
    """The catalogue of the models the per-request account itself serves (its kind's `list_models`), with the
    gateway catalogue's aliases and limits. Raises GatewayError: the account's failure as `personal_error`."""
    try:
        resources = await upstream.list_models(record)
    except UpstreamError as err:
        raise personal_error(err) from None
    own = Catalog(catalog.aliases, catalog.kinds, catalog.max_name_length)
    own.replace({record.kind: {r["name"].removeprefix("models/"): r for r in resources}})
    own.accounts = 1
    return own
