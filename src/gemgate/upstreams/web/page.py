"""The tokens scraped from the app page (reference/gemini-web-protocol.md §1.2): each found with the regex
`"KEY":\\s*"(.*?)"` inside the page's inline WIZ_global_data."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

XSRF, BUILD, SESSION, LANGUAGE, PUSH = "SNlM0e", "cfb2h", "FdrFJe", "TuX5cc", "qKIAYe"


def _token(html: str, key: str) -> str | None:
    found = re.search(rf'"{key}":\s*"(.*?)"', html)
    return found.group(1) if found else None


@dataclass(frozen=True)
class Tokens:
    """The page's tokens: `xsrf` (form field `at`), `build_label` (`bl`), `session_id` (`f.sid`), `language`
    (`hl`), `push_id` (the upload header `Push-ID`)."""

    xsrf: str | None
    build_label: str | None
    session_id: str | None
    language: str
    push_id: str | None

    @property
    def found(self) -> bool:
        """Whether the page is the app at all: 2.1.1 accepts an init if any of the five keys is there (§1.2)."""
        return any((self.xsrf, self.build_label, self.session_id, self.push_id))

    @property
    def signed_in(self) -> bool:
        """A signed-out (guest) page has the build label and session id but no XSRF token (§1.5)."""
        return bool(self.xsrf)


def scrape(html: str, default_language: str) -> Tokens:
    """The tokens of an app page (absent ones None; the language defaults to `default_language`)."""
    return Tokens(
        xsrf=_token(html, XSRF) or None,
        build_label=_token(html, BUILD),
        session_id=_token(html, SESSION),
        language=_token(html, LANGUAGE) or default_language,
        push_id=_token(html, PUSH),
    )


def with_fallbacks(tokens: Tokens, xsrf: str | None, build_label: str | None) -> Tokens:
    """`tokens` with the configured `xsrf` (an account's `xsrf_token`) and `build_label` (its `build_label`, else
    `[upstreams.gemini_web] build_label`) filling only what the page did not carry. The page's own values always
    win: a pinned copy goes stale when Google ships a new build, while the page is read afresh at each session
    start. The replaced server (gemini-web2api: `gemini_bl`, `xsrf_token`) pins them because its scraping can
    miss them when the page changes; here they serve the same need. A signed-out page filled with a configured
    XSRF token is still caught: the account status the session asks next is UNAUTHENTICATED (§1.5, §4.3)."""
    if (tokens.xsrf or not xsrf) and (tokens.build_label or not build_label):
        return tokens
    return replace(tokens, xsrf=tokens.xsrf or xsrf, build_label=tokens.build_label or build_label)
