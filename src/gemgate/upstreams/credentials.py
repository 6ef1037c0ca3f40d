"""The credential lifecycle every upstream kind shares: fresh before use, refreshed single-flight per
account, persisted atomically through the store before it is used, or "needs re-auth" with a reason."""

from __future__ import annotations

import asyncio
import logging
import time

from ..errors import UpstreamError
from ..redaction import KNOWN
from ..store import AccountRecord, Store
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

    async def _refresh(self, upstream: Upstream, account: AccountRecord) -> None:
        try:
            secret = await upstream.refresh_credential(account)
        except (NeedsReauth, UpstreamError) as exc:
            log.warning("credential refresh failed for account %s: %s", account.name, exc)
            raise
        KNOWN.add(self.secrets_source, upstream.secret_values(secret))  # scrubbed from the first answer it gets
        # Stored before use: a crash after this line loses nothing, one before it keeps the old credential.
        account.version = await self.store.update_account_secret(account.id, secret)
        account.secret = secret
        self._stale.pop(account.id, None)
        log.info("credential refreshed for account %s", account.name)
