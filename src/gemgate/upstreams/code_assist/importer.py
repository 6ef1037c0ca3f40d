"""Importing credentials into the store: one `Row` per candidate (`sources.Item`) saying what happened —
added, merged into the account of the same email + profile, skipped as a duplicate, or an error in one line.

New accounts go through `admin.add_account` (its validation, naming and same-credential check). Merging:
the copy whose token expires later wins the tokens (or always the incoming one for the environment's
copy: "the credentials in environment variables are used first", su-kaka/gcli2api README); the stored
project stays unless the incoming copy names one; account settings (User-Agent, credits) the incoming copy
sets win; a new refresh token clears a needs-reauth mark. Tokens are
registered for redaction while they are held.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ... import admin
from ...errors import UpstreamError
from ...redaction import KNOWN, redact
from ...store import StaleVersion, Store
from ..base import NeedsReauth
from . import credential, formats
from .sources import Item

KIND = "code-assist"
RESULTS = ("added", "merged", "skipped-duplicate", "error")
UNKNOWN_EMAIL = "(unknown: not asked in a dry run)"
WRITE_ATTEMPTS = 5  # compare-and-swap rounds against a running server refreshing the same account


@dataclass
class Row:
    """One line of the result table: `source` label, `format`, `email`, `profile`, `result` (one of
    RESULTS), `reason` (for errors; one line, no secret) and the account `name` added or merged into."""

    source: str
    format: str = ""
    email: str = ""
    profile: str = ""
    result: str = "error"
    reason: str = ""
    name: str = ""


def _key(secret: dict, by_token: bool = False) -> str:
    """Which account a credential is: email + profile; without an email (a dry run's), its refresh token."""
    identity = None if by_token else credential.identity(secret)
    return identity or f"{secret.get('refresh_token')}|{secret.get('profile')}"


def merged(stored: dict, incoming: dict, incoming_wins: bool) -> dict:
    """The stored credential updated from an incoming copy of the same account (see the module doc)."""
    out = dict(stored)
    if incoming_wins or (incoming.get("expiry") or 0) > (stored.get("expiry") or 0):
        out.update({k: incoming.get(k) for k in ("refresh_token", "access_token", "expiry")})
    if incoming.get("project_id") and incoming["project_id"] != stored.get("project_id"):
        out.update(project_id=incoming["project_id"], tier=incoming.get("tier"))
    out.update({k: incoming[k] for k in credential.OPTIONS if incoming.get(k) is not None})
    return out


class Importer:
    """Imports items one by one into `store` through `upstream` (a started CodeAssist, for userinfo and
    refresh). `profile`/`project`: --profile/--project; `dry_run`: decide everything offline, write nothing
    (no Google endpoint is called: an email the file does not name stays UNKNOWN_EMAIL, and such a file is
    matched to stored accounts by its refresh token)."""

    def __init__(self, upstream, store: Store, *, profile: str | None = None, project: str | None = None,
                 dry_run: bool = False, source: str = "import", settings: dict | None = None) -> None:
        self.upstream, self.store = upstream, store
        self.settings = settings or {}  # account settings (`credential.options`) given for every account
        self.profile, self.project, self.dry_run = profile, project, dry_run
        self.source = source  # the redaction registry's source name for the tokens being imported
        self._secrets: set[str] = set()
        self._planned: dict[str, dict] = {}  # identity -> credential, what a dry run would have stored

    async def run(self, items: Iterable[Item], progress: Callable[[Row], None] | None = None) -> list[Row]:
        """A Row per item, in order; `progress(row)` after each. Never raises for one bad item."""
        rows = []
        try:
            for item in items:
                row = await self.one(item)
                row.reason = redact(row.reason)  # Google's answers may echo a token being imported
                rows.append(row)
                if progress is not None:
                    progress(row)
        finally:
            KNOWN.set(self.source, ())
        return rows

    def _hold(self, secret: dict) -> None:
        self._secrets.update(self.upstream.secret_values(secret))
        KNOWN.set(self.source, self._secrets)

    async def one(self, item: Item) -> Row:
        """Import one item; its Row."""
        row = Row(item.label)
        if item.error is not None:
            row.reason = item.error
            return row
        try:
            parsed = formats.parse(item.data, self.profile, self.project)
        except ValueError as exc:
            row.reason = str(exc)
            return row
        secret = {**parsed.secret, **self.settings}
        row.format, row.profile = parsed.format, secret["profile"]
        self._hold(secret)
        if not secret.get("email") and self.dry_run:
            # A dry run reads and checks files offline: the email Google would name is left unknown.
            row.email = UNKNOWN_EMAIL
            await self._store(row, secret, parsed.proxy, item.preferred)
            return row
        if not secret.get("email"):
            try:
                secret = await self.upstream.identify(secret, parsed.proxy)
            except NeedsReauth as exc:
                row.reason = f"cannot learn its email: {exc.reason.split('. Sign in again')[0]}"
                return row
            except (UpstreamError, ValueError) as exc:
                row.reason = f"cannot learn its email: {getattr(exc, 'message', None) or exc}"
                return row
            self._hold(secret)
        row.email = secret["email"]
        try:
            await self._store(row, secret, parsed.proxy, item.preferred)
        except admin.AdminError as exc:
            row.result, row.reason = "error", exc.message
        return row

    async def _store(self, row: Row, secret: dict, proxy: str | None, preferred: bool) -> None:
        for _ in range(WRITE_ATTEMPTS):
            try:
                return await self._store_once(row, secret, proxy, preferred)
            except StaleVersion:
                continue  # the server refreshed it (or another import wrote it) meanwhile: merge with that
        raise admin.AdminError("the stored account kept changing while it was merged; run the import again")

    async def _store_once(self, row: Row, secret: dict, proxy: str | None, preferred: bool) -> None:
        identity = _key(secret)
        stored = next((a for a in await self.store.list_accounts()
                       if a.kind == KIND and identity in (_key(a.secret), _key(a.secret, by_token=True))), None)
        before = self._planned.get(identity) or (stored.secret if stored else None)
        if before is None:
            if not self.dry_run:
                view = await admin.add_account(self.store, KIND, None, secret, proxy)
                row.name = view.name
            self._planned[identity] = secret
            row.result = "added"
            return
        after = merged(before, secret, preferred)
        row.name = stored.name if stored else ""
        row.result = "skipped-duplicate" if after == before else "merged"
        if row.result == "merged":
            self._planned[identity] = after
            if not self.dry_run and stored is not None:
                if after["refresh_token"] != before["refresh_token"]:
                    await self._clear_reauth(stored.id)  # before the version bump, as enable_account does
                await self.store.update_account_secret(stored.id, after, stored.version)

    async def _clear_reauth(self, account_id: str) -> None:
        """A new refresh token is the fix a needs-reauth mark asks for; cooldowns (quota) stay."""
        for health in await self.store.list_health():
            if health.account_id == account_id and health.state == "needs_reauth":
                await self.store.clear_health(account_id, health.model)
