"""The fake gemini.google.com's accounts and pages (reference/gemini-web-protocol.md §1.2, §1.5, §4.3, §6.1).

An account is known by its `__Secure-1PSID` cookie. Its models are rows shaped as the recorded otAQ7b answer
(Mag1cFall/Gemini-Web2API testdata/otAQ7b-models.json, 20 fields: id [0], category [1], description [2],
display name [11], mode [17], display fallback [19]) with the free-tier ids of §6.2.
"""

from __future__ import annotations

import itertools
import secrets
import time
from dataclasses import dataclass, field

from gemgate.testing.web_gems import Gem, predefined
from gemgate.testing.web_history import Chat, Usage

# category slug -> (hex id, category, description, display name, mode): §6.2 free ids, §6.3 modes
MODEL_ROWS = {
    "flash": ("fbb127bbb056c959", "Flash", "All-around help", "3.6 Flash", 1),
    "pro": ("9d8ca3786ebdfbea", "Pro", "Advanced reasoning", "3.1 Pro", 3),
    "flash-lite": ("cf41b0e0dd7d53e5", "Flash-Lite", "Fastest answers", "3.5 Flash-Lite", 6),
}
AVAILABLE, UNAUTHENTICATED = 1000, 1016  # §4.3
BUILD_LABEL = "boq_assistant-bard-web-server_20260806.17_p0"  # §1.2 example
SORRY_URL = "https://www.google.com/sorry/index?continue=https://gemini.google.com/app&q=EgQKAQID"  # §1.5, issue #72
_ids = itertools.count(1)


def model_row(slug: str) -> list:
    """The 20-field otAQ7b row of a model slug (layout of the recorded catalogue)."""
    hex_id, category, description, display, mode = MODEL_ROWS[slug]
    return [hex_id, category, description, [2, 140], 2, None, [], slug == "flash", "", 20, category, display,
            description, None, None, slug == "flash", "", mode, [], display]


@dataclass
class WebAccount:
    """A signed-in Google account as the fake knows it.

    `xsrf` is the page's SNlM0e (token `:` epoch ms, §1.2); `signed_in` False serves the signed-out page
    (expired cookies, §1.5); `auth_user` the N of `/u/N/` it is signed in under (None: the default path, which is /u/0/ too);
    `tiers`/`flags` otAQ7b [16]/[17] (§6.1; [19] as in the recorded user-status answer: a Pro capability);
    `blocked` "sorry" (302 to Google's sorry page) or "429" for every request from it (§1.5); `status` the
    AccountStatus otAQ7b reports while signed in (§4.3: 1000 available, 1016 unauthenticated, 1021 rejected,
    1040 terms of service pending, …); `app_redirect` a Location the app page first redirects to (the real
    redirects are unknown, §9.2: this only tests that a client tolerates them; off by default).
    `psidts_lifetime`: seconds a `__Secure-1PSIDTS` works after it was issued (None: any value works for ever);
    with it, only the values in `issued` (value -> epoch seconds issued, by `issue_psidts` or RotateCookies)
    do, and an older or unknown one is served as signed out: exported cookies that are not rotated die within
    hours (§2.4 "die in 1-2 h"; peers.md #22 "30 min-2 h").
    `chats` the conversations saved by non-temporary answers (read, listed and deleted by the chat RPCs, §6.6);
    `usage` what the usage RPC reports (§6.7); `gems` its predefined and custom gems (§6.5).
    `page_omits`: page keys (e.g. "cfb2h", "SNlM0e") its app page leaves out, as a page whose layout drifted would
    (§9.2: the tokens' places change with Google's builds); Google still takes the values it issued.
    """

    psid: str
    models: tuple[str, ...] = ("flash", "pro", "flash-lite")
    signed_in: bool = True
    auth_user: int | None = None
    tiers: list = field(default_factory=list)
    flags: list = field(default_factory=list)
    blocked: str | None = None
    status: int = AVAILABLE
    app_redirect: str | None = None
    xsrf: str = ""
    psidts_lifetime: float | None = None
    issued: dict[str, float] = field(default_factory=dict)
    chats: dict[str, Chat] = field(default_factory=dict)  # saved conversations by cid (§6.6)
    usage: Usage = field(default_factory=Usage)  # what jSf9Qc reports (§6.7)
    gems: dict[str, Gem] = field(default_factory=predefined)  # predefined and custom gems by id (§6.5)
    page_omits: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.xsrf:
            self.new_xsrf()

    def new_xsrf(self) -> str:
        """A fresh SNlM0e; the old one is refused from now on (a stale `at`, §1.5)."""
        self.xsrf = f"AT{secrets.token_hex(12)}:{int(time.time() * 1000)}"
        return self.xsrf

    def issue_psidts(self, at: float) -> str:
        """A new `__Secure-1PSIDTS`, working from `at` (epoch seconds) for `psidts_lifetime`."""
        value = f"sidts-{secrets.token_hex(16)}"
        self.issued[value] = at
        return value

    def psidts_works(self, value: str | None, now: float) -> bool:
        """Whether a request carrying this `__Secure-1PSIDTS` at `now` is signed in (see `psidts_lifetime`)."""
        if self.psidts_lifetime is None:
            return True
        issued = self.issued.get(value or "")
        return issued is not None and now - issued < self.psidts_lifetime

    def row_ids(self) -> dict[str, str]:
        """hex id -> slug of its models."""
        return {MODEL_ROWS[s][0]: s for s in self.models}


def app_page(account: WebAccount | None, session_id: str) -> str:
    """The app page: WIZ_global_data with the five tokens of §1.2; without a signed-in account the signed-out
    (guest) variant, which has the build label and session id but no SNlM0e (§1.5, Appendix A)."""
    tokens = {"cfb2h": BUILD_LABEL, "FdrFJe": session_id, "TuX5cc": "en", "qKIAYe": "feeds/mcudyrk2a4khkz"}
    if account is not None and account.signed_in:
        tokens = {"SNlM0e": account.xsrf, **tokens}
    if account is not None:
        tokens = {k: v for k, v in tokens.items() if k not in account.page_omits}
    data = ",".join(f'"{k}":"{v}"' for k, v in tokens.items())
    return (f"<!doctype html><html><head><title>Gemini</title><script>window.WIZ_global_data = {{{data}}};"
            "</script></head><body><c-wiz></c-wiz></body></html>")


def sorry_page() -> str:
    """The body of the redirect to Google's "sorry" page (zexadev classifies a 302 with /sorry/ as blocked)."""
    return f'<HTML><HEAD><TITLE>302 Moved</TITLE></HEAD><BODY><A HREF="{SORRY_URL}">here</A>.</BODY></HTML>'


def status_payload(account: WebAccount | None) -> list:
    """otAQ7b's payload (§6.1): [14] status, [15] model rows, [16] tiers, [17] flags; a signed-out session is
    UNAUTHENTICATED (1016) with the first row only (guests: only the first model, §6.1)."""
    payload: list = [None] * 18
    if account is None or not account.signed_in:
        payload[14], payload[15], payload[16], payload[17] = UNAUTHENTICATED, [model_row("flash")], [], []
    else:
        payload[14] = account.status
        payload[15] = [model_row(s) for s in account.models]
        payload[16], payload[17] = list(account.tiers), list(account.flags)
    return payload


def next_id(prefix: str) -> str:
    """A fresh id such as `c_00000000000001` (cid), `r_…` (rid), `rc_…` (rcid)."""
    return f"{prefix}_{next(_ids):016x}"
