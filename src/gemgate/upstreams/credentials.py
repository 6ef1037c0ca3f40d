"""The credential lifecycle every upstream kind shares: fresh before use, refreshed single-flight per
account, persisted atomically through the store before it is used, or "needs re-auth" with a reason."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from ..errors import UpstreamError
from ..redaction import KNOWN
from ..store import AccountRecord, StaleVersion, Store
from .base import NeedsReauth, Upstream

log = logging.getLogger("gemgate.credentials")


class CredentialKeeper:
    """Makes account credentials fresh; one refresh at a time per account, however many requests wait."""

    def __init__(self, store: Store, secrets_source: str = "accounts") -> None:
        self.store = store
        self.secrets_source = secrets_source  # the redaction source a refreshed credential joins
        self._inflight: dict[str, asyncio.Future] = {}
        self._stale: dict[str, int | None] = {}  # account id -> the account version the upstream rejected

    def mark_stale(self, account_id: str, version: int | None = None) -> None:
        """The upstream rejected the credential: refresh it before its next use. With `version` (the
        account's `version` when it was rejected), only that version is stale: a change made since (a new
        credential, `accounts enable`) is trusted again until the upstream rejects it too."""
        self._stale[account_id] = version

    def _is_stale(self, account: AccountRecord) -> bool:
        if account.id not in self._stale:
            return False
        version = self._stale[account.id]
        if version is not None and version != account.version:
            del self._stale[account.id]  # changed since: the operator replaced or re-enabled it
            return False
        return True

    async def fresh(self, upstream: Upstream, account: AccountRecord) -> AccountRecord:
        """The account with a usable credential (refreshed and stored first when needed).

        Raises NeedsReauth when only the user can fix the credential; UpstreamError when the refresh
        call itself failed in a way worth retrying later.
        """
        if not self._is_stale(account) and upstream.credential_fresh(account, time.time()):
            return account
        pending = self._inflight.get(account.id)
        if pending is None:
            pending = self._inflight[account.id] = asyncio.ensure_future(self._refresh(upstream, account))
            pending.add_done_callback(lambda _f, key=account.id: self._inflight.pop(key, None))
        await asyncio.shield(pending)
        return account

    async def renew(self, upstream: Upstream, account: AccountRecord,
                    make: Callable[[AccountRecord], Awaitable[dict]]) -> bool:
        """Run `make(account)` (a new secret, e.g. rotated cookies or ones reloaded from a file) in place of the
        upstream's refresh, single-flight with the account's refreshes, and store its result as a refresh's is
        (compare-and-swap, before use). False when a refresh or renewal of the account was already running:
        nothing was done. Raises as `fresh`."""
        if account.id in self._inflight:
            return False
        pending = self._inflight[account.id] = asyncio.ensure_future(self._refresh(upstream, account, make=make))
        pending.add_done_callback(lambda _f, key=account.id: self._inflight.pop(key, None))
        await asyncio.shield(pending)
        return True

    async def _refresh(self, upstream: Upstream, account: AccountRecord, renewed: bool = False,
                       make: Callable[[AccountRecord], Awaitable[dict]] | None = None) -> None:
        base, version = dict(account.secret), account.version
        try:
            secret = await (make or upstream.refresh_credential)(account)
        except NeedsReauth as exc:
            current = await self.store.find_account(account.id)
            if not renewed and current is not None and _grant(current.secret) != _grant(base):
                # A new sign-in or import replaced the refused grant meanwhile: that one is the credential now.
                account.secret, account.version = current.secret, current.version
                return await self._refresh(upstream, account, renewed=True, make=make)
            log.warning("credential refresh failed for account %s: %s", account.name, exc)
            raise
        except UpstreamError as exc:
            log.warning("credential refresh failed for account %s: %s", account.name, exc)
            raise
        KNOWN.add(self.secrets_source, upstream.secret_values(secret))  # scrubbed from the first answer it gets
        # Stored before use: a crash after this line loses nothing, one before it keeps the old credential. A
        # compare-and-swap: what another process stored meanwhile (`gemgate import`, `login`) is kept, not
        # overwritten with the copy this refresh started from.
        for _ in range(_WRITE_ATTEMPTS):
            try:
                account.version = await self.store.update_account_secret(account.id, secret, version)
                break
            except StaleVersion:
                current = await self.store.find_account(account.id)
                if current is None:
                    break  # removed meanwhile: nothing to keep it for
                secret, base, version = rebase(base, secret, current.secret), current.secret, current.version
        account.secret = secret
        self._stale.pop(account.id, None)
        log.log(upstream.refresh_log_level, "credential refreshed for account %s", account.name)


_WRITE_ATTEMPTS = 5
TOKENS = ("refresh_token", "access_token", "expiry")


def _grant(secret: dict) -> tuple:
    """What a refresh token belongs to: the token and the OAuth client (profile) it was issued to."""
    return secret.get("refresh_token"), secret.get("profile")


def rebase(base: dict, ours: dict, theirs: dict) -> dict:
    """A refreshed credential (`ours`, made from `base`) applied onto `theirs`, what was stored meanwhile:
    fields only `ours` changed are taken, `theirs` wins where both changed one. The tokens go together: ours
    only while `theirs` still holds `base`'s grant and no later expiry (a new sign-in brings its own)."""
    out = dict(theirs)
    for key, value in ours.items():
        if key not in TOKENS and value != base.get(key) and theirs.get(key) == base.get(key):
            out[key] = value
    if _grant(theirs) == _grant(base) and (ours.get("expiry") or 0) >= (theirs.get("expiry") or 0):
        out.update({key: ours.get(key) for key in TOKENS})
    return out
