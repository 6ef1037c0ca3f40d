"""Per-request cookies (issue 9, "Stateless per-request credentials"): `x-gemini-psid` and optionally
`x-gemini-psidts` (the names of the REST bridge this project replaces) make a gemini-web account for one
request (`gemgate.personal`), and the session read for them is kept here, never in the store.

The session cache: in this process's memory only, at most `personal_sessions` entries (least recently used
dropped first), each used for `personal_session_seconds` after the page was read (default 300 s: short, as the
caller may rotate or revoke its cookies at any time; a stale XSRF token is healed by a re-read anyway).
Entries are keyed by the account id, an HMAC-SHA256 of the Cookie header under a key drawn at process start:
the key names the cookies without revealing them, and cannot be recomputed from outside the process.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping

from ...store import AccountRecord
from . import cookies
from .session import Session

PSID_HEADER = "x-gemini-psid"
PSIDTS_HEADER = "x-gemini-psidts"
PREFIX = "personal-"
NAME = "per-request cookies"  # the account's name in outcomes and logs: never a value
_HASH_KEY = secrets.token_bytes(32)
# RFC 6265 §4.1.1 cookie-octet: no control characters, whitespace, DQUOTE, comma, semicolon or backslash.
_COOKIE_VALUE = re.compile(r"[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]{16,4096}")


def is_personal(account: AccountRecord) -> bool:
    """Whether the account was made from a request's own cookies (`personal_account`)."""
    return account.id.startswith(PREFIX)


def personal_account(headers: Mapping[str, str]) -> AccountRecord | None:
    """The account of a request's `x-gemini-psid` (+ `x-gemini-psidts`), or None without them. Raises
    ValueError, naming the header and never its value, when one is not a cookie value (16 to 4096 cookie-octets,
    RFC 6265) or `x-gemini-psidts` comes alone."""
    psid, psidts = headers.get(PSID_HEADER), headers.get(PSIDTS_HEADER)
    if psid is None:
        if psidts is not None:
            raise ValueError(f"'{PSIDTS_HEADER}' needs '{PSID_HEADER}' ({cookies.PSID}) beside it")
        return None
    jar = {}
    for header, name, value in ((PSID_HEADER, cookies.PSID, psid), (PSIDTS_HEADER, cookies.PSIDTS, psidts)):
        if value is None:
            continue
        if not _COOKIE_VALUE.fullmatch(value.strip()):
            raise ValueError(f"'{header}' is not a cookie value: send the value of the {name} cookie of "
                             "gemini.google.com alone, from a browser signed in there")
        jar[name] = value.strip()
    header = cookies.header(jar)
    digest = hmac.new(_HASH_KEY, header.encode(), hashlib.sha256).hexdigest()[:32]
    return AccountRecord(id=PREFIX + digest, name=NAME, kind="gemini-web", secret={"cookie": header})


class PersonalSessions:
    """Sessions of per-request cookies by account id: bounded (`size`, least recently used out first) and
    aged (`seconds` after their page was read)."""

    def __init__(self, size: int, seconds: float) -> None:
        self.size, self.seconds = size, seconds
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._starting: dict[str, asyncio.Future] = {}  # account id -> the session being made for it

    async def get_or_start(self, account_id: str, start: Callable[[], Awaitable[Session]]) -> Session:
        """The live session, else the one `start()` makes (kept by it), single-flight: requests with the same
        cookies arriving together read the app page once. Raises what `start` raises, to each of them."""
        session = self.get(account_id)
        if session is not None:
            return session
        pending = self._starting.get(account_id)
        if pending is None:
            pending = self._starting[account_id] = asyncio.ensure_future(start())
            pending.add_done_callback(lambda _: self._starting.pop(account_id, None))
        return await asyncio.shield(pending)  # one caller leaving does not cancel the others' session

    def __len__(self) -> int:
        return len(self._sessions)

    def get(self, account_id: str) -> Session | None:
        """The live session, or None (absent or older than `seconds`, then dropped)."""
        session = self._sessions.get(account_id)
        if session is None:
            return None
        if time.monotonic() - session.started >= self.seconds:
            del self._sessions[account_id]
            return None
        self._sessions.move_to_end(account_id)
        return session

    def put(self, account_id: str, session: Session) -> None:
        """Keep `session`, dropping the least recently used beyond `size`."""
        self._sessions[account_id] = session
        self._sessions.move_to_end(account_id)
        while len(self._sessions) > self.size:
            self._sessions.popitem(last=False)

    def pop(self, account_id: str) -> Session | None:
        """Forget the session (and return it)."""
        return self._sessions.pop(account_id, None)

    def clear(self) -> None:
        """Forget them all."""
        self._sessions.clear()
