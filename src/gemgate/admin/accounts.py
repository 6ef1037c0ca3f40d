"""Account operations: add, list, show, enable, disable, remove, reset cooldowns.

Every function takes an open `gemgate.store.Store`, returns views (never a credential) and raises
AdminError (NotFound, Conflict) with a message fit for the operator. Nothing here prints.
A running gateway notices each change within its state-sync interval (the account version is bumped).
"""

from __future__ import annotations

import time
import uuid

from ..store import AccountRecord, Store
from ..upstreams import UPSTREAM_KINDS
from .errors import AdminError, Conflict, NotFound
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


async def add_account(
    store: Store, kind: str, name: str | None, secret: dict, proxy: str | None = None
) -> AccountView:
    """Add an enabled account and return its view.

    kind: a registered upstream kind (e.g. "gemini-api"); name: see check_name (None: default_account_name);
    secret: the credential fields, for "gemini-api" {"api_key": "..."}; it is encrypted at rest;
    proxy: http/https/socks5 URL or None. Raises AdminError for invalid input, Conflict if the name
    (or an account id equal to it) is taken.
    """
    kind = check_kind(kind)
    secret = check_secret(kind, secret)
    name = check_name(default_account_name(kind, secret) if name is None else name, "account name")
    proxy = check_proxy(proxy)
    taken = Conflict(f"an account named '{name}' exists already; choose another name")
    if await store.find_account(name) is not None:
        raise taken
    record = AccountRecord(id=uuid.uuid4().hex[:12], name=name, kind=kind, secret=dict(secret), proxy=proxy)
    try:
        await store.add_account(record)
    except Exception:
        if await store.find_account(name) is not None:  # added by someone else in between
            raise taken from None
        raise
    return await _view(store, record)


async def list_accounts(store: Store, now: float | None = None) -> list[AccountView]:
    """Every account, oldest first, with state, active cooldowns and counters.

    now: epoch seconds to judge cooldowns against (default: the current time).
    """
    now = time.time() if now is None else now
    accounts, health, stats = await store.list_accounts(), await store.list_health(), await store.get_stats()
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
    health, stats = await store.list_health(), await store.get_stats()
    return account_view(record, health, stats.get(record.id), time.time())


def _shown(ref: object) -> str:
    """A reference as echoed in messages: as given if short and printable, else a cut, escaped start."""
    text = str(ref)
    return text if len(text) <= 64 and text.isprintable() else text[:20].encode("unicode_escape").decode() + "…"
