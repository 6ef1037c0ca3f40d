"""Keeping a web account's cookies alive without the user: RotateCookies on a jittered schedule, and the
account's cookie file taken in again when the user changes it (re-exports), without a restart.

Stored with the account's secret (besides `cookie` and `auth_user`): `cookie_file` (the absolute path it was
added from), `cookie_file_digest` (sha256 of that file's bytes as gemgate last read or wrote it: a file whose
digest differs was changed by someone else, so gemgate's own write-back never loops back as a reload),
`expires` ({cookie name: epoch seconds} from the export and Set-Cookie), `loaded_at` (when the cookies were
brought in), `rotated_at` (last successful rotation) and `signed_in_at` (last app page read signed in), epoch
seconds.

Several instances sharing the store: the "last rotated" mark is a compare-and-swap value in the store
(`Store.swap_value`), so one instance rotates an account and the others see it; a file change is taken in by
whichever instance wins the same kind of mark for that file content, and every write of the secret is the
keeper's compare-and-swap.
"""

from __future__ import annotations

import asyncio
import logging
import random
from pathlib import Path
from typing import TYPE_CHECKING

from ...errors import UpstreamError
from ...store import AccountRecord, Store
from ..base import NeedsReauth
from . import cookie_file, cookies
from .client import REFRESH_ADVICE
from .cookies import PSID, PSIDTS, CookieFormatError

if TYPE_CHECKING:
    from ..credentials import CredentialKeeper
    from . import GeminiWeb

log = logging.getLogger("gemgate.web")

MIN_GAP = 60.0  # seconds: never two rotations of one account closer than this (§2.3: 2.1.1 skips within 60 s)
ROTATED = "web-rotated"  # the store's namespace of "last rotated" marks: account id -> epoch seconds
RELOADED = "web-file-read"  # file digests taken in: "<account id>/<digest>" -> instance that took it
MARK_TTL = 7 * 86400.0  # seconds a "last rotated" mark is kept (longer than any schedule)
RELOAD_TTL = 60.0  # seconds a file-content mark is kept: instances racing on one change, not a later revert


class CookieLifecycle:
    """The web kind's upkeep (`GeminiWeb.upkeep`): file changes first, then rotations that are due. `due` holds
    each account's next rotation time (epoch seconds), `seen` the (mtime_ns, size) of its file last looked at."""

    def __init__(self, upstream: GeminiWeb) -> None:
        self.upstream = upstream
        self.settings = upstream.settings
        self.due: dict[str, float] = {}
        self.seen: dict[str, tuple[int, int]] = {}
        self.instance = f"{random.getrandbits(64):016x}"

    def interval(self) -> float:
        """The next gap between rotations: `rotate_seconds` ± `rotate_jitter_seconds`, never under MIN_GAP."""
        jitter = self.settings.rotate_jitter_seconds
        return max(MIN_GAP, self.settings.rotate_seconds + random.uniform(-jitter, jitter))

    async def run(self, accounts: list[AccountRecord], reauth: frozenset[str], keeper: CredentialKeeper,
                  store: Store, now: float) -> dict[str, str | None]:
        """One round over the accounts (see `Upstream.upkeep`)."""
        out: dict[str, str | None] = {}
        for account in accounts:
            try:
                if await self._watch(account, keeper, store, now):
                    out[account.id] = None
                    continue
                if account.id not in reauth:
                    await self._rotate_if_due(account, keeper, store, now)
            except NeedsReauth as exc:
                self.upstream.sessions.pop(account.id, None)
                out[account.id] = exc.reason
            except (UpstreamError, OSError, CookieFormatError) as exc:
                log.warning("account %s: cookie upkeep failed: %s", account.name, exc)
        return out

    # rotation

    async def _rotate_if_due(self, account: AccountRecord, keeper: CredentialKeeper, store: Store, now: float) -> bool:
        """Rotate when the account's time has come and no instance rotated it within the gap; True if done."""
        due = self.due.get(account.id)
        if due is None:  # no rotation at start (§2.3), unless the last one is older than the schedule
            due = self.due[account.id] = float(account.secret.get("rotated_at") or now) + self.interval()
        if now < due:
            return False
        if not cookies.parse_header(account.secret.get("cookie") or "").get(PSIDTS):
            return False  # nothing to rotate: a rotation of 1PSID alone is not described (§2) and might read as a 401
        mark = (await store.get_values(ROTATED, [account.id])).get(account.id)
        gap = max(MIN_GAP, self.settings.rotate_seconds - self.settings.rotate_jitter_seconds)
        if mark is not None and now - float(mark) < gap:  # another instance rotated it: follow its schedule
            self.due[account.id] = float(mark) + self.interval()
            return False
        self.due[account.id] = now + self.interval()
        if not await store.swap_value(ROTATED, account.id, mark, repr(now), MARK_TTL):
            return False  # another instance won this round
        if await keeper.renew(self.upstream, account, lambda acc: self._rotate(acc, now)):
            return True
        # A refresh of the account was running: give the mark back, so the next round (or instance) rotates it.
        await store.delete_values(ROTATED, [account.id])
        if mark is not None:
            await store.swap_value(ROTATED, account.id, None, mark, MARK_TTL)
        self.due[account.id] = now
        return False

    async def _rotate(self, account: AccountRecord, now: float) -> dict:
        """RotateCookies with the freshest jar (the live session's, whose merges may not be stored yet); the new
        secret, also written back to the account's cookie file when it has one (before it is stored: a crash
        between the two leaves a file whose digest differs, which is taken in again, i.e. the rotated jar)."""
        session = self.upstream.sessions.get(account.id)
        stored = account.secret.get("cookie") or ""
        jar = dict(session.jar) if session is not None and session.stored == stored else cookies.parse_header(stored)
        expires = dict(account.secret.get("expires") or {})
        before = jar.get(PSIDTS)
        set_cookies = await self.upstream.client.rotate_cookies(account, jar)
        cookies.merge_set_cookies(jar, set_cookies, self.upstream.client.rotate_host, expires, now)
        if not jar.get(PSID):
            raise NeedsReauth(f"Google removed the account's {PSID} when renewing its cookies (signed out); {REFRESH_ADVICE}")
        if jar.get(PSIDTS) == before:
            # Google stops issuing new ones for device-bound (DBSC) cookies exported from Chrome (peers.md #22).
            log.warning("account %s: RotateCookies issued no new %s; if requests start failing, export the cookies "
                        "again (from Firefox, which keeps them longest)", account.name, PSIDTS)
        secret = {**account.secret, "cookie": cookies.header(jar), "expires": expires, "rotated_at": now}
        path = account.secret.get("cookie_file")
        if isinstance(path, str):
            try:
                secret["cookie_file_digest"] = await asyncio.to_thread(cookie_file.write_back, Path(path), jar, expires)
                self.seen.pop(account.id, None)
            except (OSError, CookieFormatError) as exc:
                log.warning("account %s: the rotated cookies could not be written back to its cookie file: %s",
                            account.name, exc)
        if session is not None:
            session.jar, session.stored, session.pending = jar, secret["cookie"], False
        log.info("account %s: cookies rotated", account.name)
        return secret

    # the cookie file

    async def _watch(self, account: AccountRecord, keeper: CredentialKeeper, store: Store, now: float) -> bool:
        """Take the account's cookie file in when it changed since gemgate last read or wrote it; True if done."""
        path = account.secret.get("cookie_file")
        if not isinstance(path, str):
            return False
        try:
            stat = await asyncio.to_thread(Path(path).stat)
        except FileNotFoundError:
            return False  # moved away or mid-replace: looked at again next round
        key = (stat.st_mtime_ns, stat.st_size)
        if self.seen.get(account.id) == key:
            return False
        self.seen[account.id] = key
        loaded = await asyncio.to_thread(cookie_file.read, Path(path))
        if loaded.digest == account.secret.get("cookie_file_digest"):
            return False  # what gemgate read or wrote last
        mark = f"{account.id}/{loaded.digest}"
        if not await store.swap_value(RELOADED, mark, None, self.instance, RELOAD_TTL):
            return False  # another instance takes this version of the file in
        if await keeper.renew(self.upstream, account, lambda acc: self._reload(acc, loaded, path, now)):
            return True
        await store.delete_values(RELOADED, [mark])  # a refresh was running: the next round takes it in
        self.seen.pop(account.id, None)
        return False

    async def _reload(self, account: AccountRecord, loaded: cookie_file.CookieFile, path: str, now: float) -> dict:
        """The secret with the file's cookies. Another Google account's cookies (a different __Secure-1PSID) are
        taken too, with a warning: the file is the user's word on what the account is."""
        old = cookies.parse_header(account.secret.get("cookie") or "").get(PSID)
        if old != loaded.jar[PSID]:
            log.warning("account %s: its cookie file %s now holds another Google account (a different %s); "
                        "using it", account.name, path, PSID)
        self.upstream.sessions.pop(account.id, None)  # a new sign-in: the page is read again
        self.due.pop(account.id, None)
        log.info("account %s: cookies reloaded from %s", account.name, path)
        secret = {k: v for k, v in account.secret.items() if k not in ("expires", "rotated_at", "signed_in_at")}
        return {**secret, "cookie": cookies.header(loaded.jar), "expires": loaded.expires,
                "cookie_file_digest": loaded.digest, "loaded_at": now}


# How long cookies live (the warnings of `accounts list`)
STALE_SECONDS = 3600.0  # exported cookies die 30 min-2 h after their last rotation (peers.md #22; §2.4 "1-2 h")
EXPIRY_MARGIN = 2 * 86400.0  # a cookie whose own expiry date is this close (seconds) is worth a warning


def _age(seconds: float) -> str:
    """A duration in its largest whole unit: "3 days", "5 h", "12 min"."""
    for unit, size in (("days", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit}"
    return f"{int(seconds)} s"


def lifetime_warning(secret: dict, created_at: float, now: float) -> str:
    """Why the account's cookies may be at their end, with what to do; "" when nothing says so. From their own
    expiry dates when known (exports, Set-Cookie), else from the time since they were last renewed (rotated,
    signed in with, or brought in) against STALE_SECONDS. Epoch seconds in, never a cookie value out."""
    path = secret.get("cookie_file")
    todo = (f"export fresh cookies into {path} (gemgate takes the file in again by itself)" if isinstance(path, str)
            else "export fresh cookies and add them again: `gemgate accounts remove <name>` then "
                 "`gemgate accounts add-cookie FILE --name <name>`")
    expires = secret.get("expires") if isinstance(secret.get("expires"), dict) else {}
    for name in (PSID, PSIDTS):
        when = expires.get(name)
        if isinstance(when, (int, float)) and when - now < EXPIRY_MARGIN:
            said = f"expired {_age(now - when)} ago" if when <= now else f"expires in {_age(when - now)}"
            return f"{name} {said}: {todo}"
    stamps = {"rotated": secret.get("rotated_at"), "signed in": secret.get("signed_in_at"),
              "brought in": secret.get("loaded_at"), "added": created_at}
    what, last = max(((k, v) for k, v in stamps.items() if isinstance(v, (int, float))), key=lambda kv: kv[1])
    if now - last > STALE_SECONDS:
        return (f"cookies last renewed {_age(now - last)} ago ({what}); Google ends exported cookies 30 min-2 h after "
                f"their last rotation, which only a running server does: if requests fail, {todo}")
    return ""
