"""One account's live web-app session: its cookie jar, the page tokens, its model catalogue and the request
counter (reference/gemini-web-protocol.md §1.4, §3.1)."""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass, field

from . import cookies
from .models import Catalogue
from .page import Tokens
from .protocol import REQID_STEP


@dataclass
class Session:
    """`jar` is the cookies as they now are (Set-Cookie merged); `stored` the Cookie header last persisted
    (the account's `secret["cookie"]`): they differ while `pending` says a merge waits to be persisted.
    `client_uuid` is the per-init uppercase UUID of header[16] (§3.3); `reqid` starts at a random 10000-99999
    and grows by 100000 per request (§3.1)."""

    jar: dict[str, str]
    stored: str
    tokens: Tokens
    catalogue: Catalogue | None = None
    reqid: int = field(default_factory=lambda: random.randint(10000, 99999))
    client_uuid: str = field(default_factory=lambda: str(uuid.uuid4()).upper())
    started: float = field(default_factory=time.monotonic)
    pending: bool = False

    def next_reqid(self) -> int:
        """The `_reqid` of the next call."""
        value = self.reqid
        self.reqid += REQID_STEP
        return value

    @property
    def cookie_header(self) -> str:
        """The Cookie header of the next call."""
        return cookies.header(self.jar)

    def take_cookies(self, set_cookies: list[str], host: str) -> None:
        """Merge an answer's Set-Cookie headers; a change waits in `pending` to be persisted."""
        if set_cookies and cookies.merge_set_cookies(self.jar, set_cookies, host):
            self.pending = True

    def current(self, stored: str | None, max_age: float) -> bool:
        """Whether the session can serve an account whose stored Cookie header is `stored`: built from it (or
        from what it persisted itself), nothing left to persist, and younger than `max_age` seconds."""
        return stored == self.stored and not self.pending and time.monotonic() - self.started < max_age
