"""Account operations: add, list, show, enable, disable, remove, reset cooldowns.

Every function takes an open `gemgate.store.Store`, returns views (never a credential) and raises
AdminError (NotFound, Conflict) with a message fit for the operator. Nothing here prints.
A running gateway notices each change at once (Store.changed, polled every change_poll_seconds).
"""

from __future__ import annotations

import hmac
import time
import uuid
from collections.abc import Awaitable, Callable

from ..errors import UpstreamError
from ..redaction import KNOWN
from ..store import AccountRecord, Store
from ..upstreams import UPSTREAM_KINDS, account_secrets, build_upstreams, remember_accounts
from ..upstreams.base import Capability, NeedsReauth
from .errors import AdminError, Conflict, Malformed, NotFound
from .validate import check_kind, check_name, check_proxy, check_secret
from .views import AccountView, CooldownView, account_view, cooldown_view

DISABLED_BY_HAND = "disabled by hand"
REASON_MAX = 300


def default_account_name(kind: str, secret: dict) -> str:
    """The name `add_account` gives when none is passed: the kind's own suggestion
    (`Upstream.suggest_name`; gemini-api: "apikey-" + the key's last 4 characters), else the kind and a
    random suffix."""
    cls = UPSTREAM_KINDS.get(kind)
    return (cls.suggest_name(secret) if cls is not None else None) or f"{kind}-{uuid.uuid4().hex[:6]}"


Verify = Callable[[str, dict, "str | None"], Awaitable[object]]


async def add_account(
    store: Store,
    kind: str,
    name: str | None,
    secret: dict,
    proxy: str | None = None,
    *,
    check_format: bool = True,
    verify: Verify | None = None,
) -> AccountView:
    """Add an enabled account and return its view.

    kind: a registered upstream kind (e.g. "gemini-api"); name: see check_name (None: default_account_name);
    secret: the credential fields, for "gemini-api" {"api_key": "..."}; it is encrypted at rest;
    proxy: http/https/socks5 URL or None. check_format: refuse a credential not shaped like the kind's
    (`Upstream.secret_problem`; False for test credentials). verify: awaited as `verify(kind, secret, proxy)`
    after every local check and before saving (e.g. `verify_credential`), raising AdminError to refuse.
    Raises AdminError for invalid input, Malformed for a misshapen credential, Conflict if the name (or an
    account id equal to it) is taken or the same credential is in the pool already.
    """
    kind, name, secret, proxy = await check_new_account(store, kind, name, secret, proxy, check_format=check_format)
    taken = Conflict(f"an account named '{name}' exists already; choose another name")
    if verify is not None:
        await verify(kind, secret, proxy)
    record = AccountRecord(id=uuid.uuid4().hex[:12], name=name, kind=kind, secret=dict(secret), proxy=proxy)
    try:
        await store.add_account(record)
    except Exception:
        if await store.find_account(name) is not None:  # added by someone else in between
            raise taken from None
        raise
    return await _view(store, record)


async def check_new_account(store: Store, kind: str, name: str | None, secret: dict, proxy: str | None = None, *,
                            check_format: bool = True) -> tuple[str, str, dict, str | None]:
    """Every check `add_account` makes before it saves, saving nothing (a dry run's "would add" is then what the
    real run does): (kind, name, secret, proxy) as they would be stored. Raises as `add_account` does."""
    kind = check_kind(kind)
    if check_format and isinstance(secret, dict) and (problem := UPSTREAM_KINDS[kind].secret_problem(secret)):
        raise Malformed(problem)
    secret = check_secret(kind, secret)
    name = check_name(default_account_name(kind, secret) if name is None else name, "account name")
    proxy = check_proxy(proxy)
    if await store.find_account(name) is not None:
        raise Conflict(f"an account named '{name}' exists already; choose another name")
    await _refuse_same_credential(store, kind, secret)
    return kind, name, secret, proxy


async def _refuse_same_credential(store: Store, kind: str, secret: dict) -> None:
    """Conflict when an account of `kind` holds the same credential (`Upstream.credential_identity`),
    compared on the decrypted secrets in memory; the message names that account, never the credential."""
    identity = UPSTREAM_KINDS[kind].credential_identity(secret)
    if identity is None:
        return
    for other in await store.list_accounts():
        theirs = UPSTREAM_KINDS[kind].credential_identity(other.secret) if other.kind == kind else None
        if theirs is not None and hmac.compare_digest(theirs.encode(), identity.encode()):
            raise Conflict(
                f"this credential is in the pool already, as account '{other.name}'; one credential shares "
                "one quota, so a second account for it would not add capacity"
            )


async def verify_credential(upstreams: dict, kind: str, secret: dict, proxy: str | None = None) -> int:
    """Ask the upstream whether the credential works before it is saved: list the models it can use
    (kinds with Capability.LIST_MODELS). Returns how many there are.

    upstreams: the `[upstreams.*]` settings (base URL, default proxy, timeouts); proxy: the account's own.
    Raises AdminError saying what the upstream answered (rejected key, unreachable, ...), never the secret.
    """
    kind = check_kind(kind)
    try:
        upstream = build_upstreams(upstreams)[kind]
    except ValueError as exc:
        raise AdminError(str(exc)) from None
    if Capability.LIST_MODELS not in upstream.capabilities:
        raise AdminError(f"{kind} accounts cannot be checked before they are added")
    record = AccountRecord(id="check", name="check", kind=kind, secret=dict(secret), proxy=proxy)
    KNOWN.set("check", account_secrets([record]))  # the upstream may echo the candidate key in its refusal
    await upstream.start()
    try:
        models = await upstream.list_models(record)
    except UpstreamError as exc:
        raise AdminError(f"the check failed, nothing was added: {exc.failure.value}: {exc.message}") from None
    except NeedsReauth as exc:
        raise AdminError(f"the check failed, nothing was added: {exc.reason}") from None
    finally:
        await upstream.close()
        KNOWN.set("check", ())
    if not models:
        raise AdminError("the check failed, nothing was added: the upstream lists no model for this credential")
    return len(models)


async def list_accounts(store: Store, now: float | None = None) -> list[AccountView]:
    """Every account, oldest first, with state, active cooldowns and counters.

    now: epoch seconds to judge cooldowns against (default: the current time).
    """
    now = time.time() if now is None else now
    accounts, health, stats = await store.list_accounts(), await store.list_health(), await store.get_stats()
    remember_accounts(accounts)  # what the views show is redacted of every stored secret
    return [account_view(a, health, stats.get(a.id), now) for a in accounts]


async def get_account(store: Store, name_or_id: str) -> AccountView:
    """The view of one account, found by name or id. Raises NotFound."""
    return await _view(store, await _find(store, name_or_id))


async def enable_account(store: Store, name_or_id: str) -> AccountView:
    """Put an account back in rotation and clear all its cooldowns. Raises NotFound."""
    record = await _find(store, name_or_id)
    await store.clear_health(record.id)  # before the version bump, so a reloading gateway sees none
    await store.set_account_enabled(record.id, True)
    return await _view(store, record.id)


async def disable_account(store: Store, name_or_id: str, reason: str = DISABLED_BY_HAND) -> AccountView:
    """Take an account out of rotation, recording `reason` (1-300 characters).

    Raises NotFound, or AdminError for a blank or overlong reason.
    """
    if not isinstance(reason, str) or not reason.strip():
        raise AdminError("the reason for disabling must not be empty")
    if len(reason) > REASON_MAX:
        raise AdminError(f"the reason for disabling may be at most {REASON_MAX} characters long")
    record = await _find(store, name_or_id)
    await store.set_account_enabled(record.id, False, reason.strip())
    return await _view(store, record.id)


async def remove_account(store: Store, name_or_id: str) -> AccountView:
    """Remove an account, its cooldowns and counters; return its view as it was. Raises NotFound."""
    record = await _find(store, name_or_id)
    view = await _view(store, record)
    if not await store.remove_account(record.id):
        raise NotFound(f"no account named '{record.name}'")  # removed by someone else meanwhile
    return view


async def reset_cooldowns(store: Store, name_or_id: str, model: str | None = None) -> list[CooldownView]:
    """Clear an account's health records (cooling and needs_reauth) without enabling or disabling it.

    model: only the record for this model id ("*" = the account-wide one); None = all of them.
    Returns the records that were active (may be empty). Raises NotFound, or AdminError for a blank model.
    """
    if model is not None and (not isinstance(model, str) or not model.strip()):
        raise AdminError("model must not be empty; leave it out to clear every cooldown")
    record = await _find(store, name_or_id)
    now = time.time()
    cleared = [
        cooldown_view(h)
        for h in await store.list_health()
        if h.account_id == record.id and (model is None or h.model == model) and (h.until is None or h.until > now)
    ]
    await store.clear_health(record.id, model)
    # Bump the version with the state unchanged so a running gateway reloads the account's cooldowns.
    await store.set_account_enabled(record.id, record.enabled, record.disabled_reason)
    return cleared


async def _find(store: Store, name_or_id: str) -> AccountRecord:
    record = await store.find_account(name_or_id) if isinstance(name_or_id, str) and name_or_id else None
    if record is None:
        raise NotFound(f"no account named '{_shown(name_or_id)}'")
    return record


async def _view(store: Store, record: AccountRecord | str) -> AccountView:
    if isinstance(record, str):
        record = await _find(store, record)
    remember_accounts(await store.list_accounts())
    health, stats = await store.list_health(), await store.get_stats()
    return account_view(record, health, stats.get(record.id), time.time())


def _shown(ref: object) -> str:
    """A reference as echoed in messages: as given if short and printable, else a cut, escaped start."""
    text = str(ref)
    return text if len(text) <= 64 and text.isprintable() else text[:20].encode("unicode_escape").decode() + "…"
