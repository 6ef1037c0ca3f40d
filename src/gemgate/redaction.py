"""Scrubbing secrets out of text before it is logged, stored or returned.

Two kinds of rules. Shapes: Google API keys, OAuth tokens, gemgate client keys, `key=` values, Google's
`api_key:<key>` consumer names, and URL passwords (`scheme://user:***@host`). Known values: every secret
the gateway holds — account credentials (`Upstream.secret_values`), proxy passwords, configured client keys
— kept in the process-wide `KNOWN` registry, and the calling client's key, held for the request in a context
variable (`client_key_scope`). Redaction runs on error paths and log records only, never per chunk.

Values shorter than `MIN_SECRET_CHARS` are not registered: a 4-character proxy password such as "test"
would turn every "test" in every message into "[redacted]", hiding the message without protecting anything
(a value that short can be guessed). The shape rules still catch such values where they sit in a
recognisable place (`key=…`, `api_key:…`, a URL's password).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from contextvars import ContextVar
from urllib.parse import unquote, urlsplit

MIN_SECRET_CHARS = 8
MASK = "[redacted]"

# Google API keys, OAuth access/refresh tokens, gemgate client keys, `?key=` values, and the consumer name
# Google echoes a key in ("Permission denied: Consumer 'api_key:AIza…' has been suspended.",
# google/generative-ai-docs#356; also ErrorInfo.metadata.containerInfo, continuedev/continue#10902).
_SHAPES = re.compile(
    r"AIza[0-9A-Za-z_\-]{20,}|ya29\.[0-9A-Za-z_\-\.]+|1//[0-9A-Za-z_\-]{20,}|gg-[0-9A-Za-z_\-]{16,}"
    r"|(?<=key=)[^&\s\"'\\]+|(?<=api_key:)[^\s\"'\\]+|(?<=api-key: )[^\s\"'\\]+"
)
# The password in any URL with credentials (a proxy URL inside a transport error, say).
_URL_PASSWORD = re.compile(r"(://[^/\s:@\"']*):[^@\s/\"']+@")

_client_key: ContextVar[str | None] = ContextVar("gemgate_client_key", default=None)
_request_secrets: ContextVar[tuple[str, ...]] = ContextVar("gemgate_request_secrets", default=())


class KnownSecrets:
    """Secret values by source ("accounts", "settings", …), matched by one compiled alternation that is
    rebuilt only when a source's values change. Values shorter than `min_chars` (MIN_SECRET_CHARS) are left
    out; each match becomes `mask`; `whole_words`: a value matches only where no letter, digit, "-", "." or
    "@" touches it (account names, which may be ordinary words, `disclosure.ACCOUNT_DETAILS`)."""

    def __init__(self, min_chars: int = MIN_SECRET_CHARS, mask: str = MASK, whole_words: bool = False) -> None:
        self._sources: dict[str, frozenset[str]] = {}
        self._pattern: re.Pattern[str] | None = None
        self.min_chars, self.mask, self.whole_words = min_chars, mask, whole_words

    def set(self, source: str, values: Iterable[str | None]) -> None:
        """Make `values` the whole of `source` (an empty iterable removes it; None is skipped)."""
        kept = frozenset(v for v in values if isinstance(v, str) and len(v) >= self.min_chars)
        if self._sources.get(source, frozenset()) == kept:
            return
        if kept:
            self._sources[source] = kept
        else:
            self._sources.pop(source, None)
        self._rebuild()

    def add(self, source: str, values: Iterable[str]) -> None:
        """Add `values` to `source` (a refreshed credential, before it is used)."""
        self.set(source, self._sources.get(source, frozenset()) | frozenset(values))

    def values(self) -> frozenset[str]:
        """Every registered value."""
        return frozenset().union(*self._sources.values())

    def _rebuild(self) -> None:
        # Longest first, so a value that is a prefix of another does not leave the other's tail behind.
        ordered = sorted(self.values(), key=len, reverse=True)
        if not ordered:
            self._pattern = None
            return
        alternation = "|".join(map(re.escape, ordered))
        if self.whole_words:
            alternation = rf"(?<![\w.@-])(?:{alternation})(?![\w@-])"
        self._pattern = re.compile(alternation)

    def scrub(self, text: str) -> str:
        """`text` with every registered value replaced by the mask."""
        return self._pattern.sub(self.mask, text) if self._pattern is not None else text


KNOWN = KnownSecrets()


def url_secrets(url: str | None) -> list[str]:
    """The secret parts of a URL's user info, as written and percent-decoded: the password, or the user
    name when it stands alone (proxies that take a token as the user name). [] for none or a bad URL."""
    if not url:
        return []
    try:
        parts = urlsplit(url)
        password, user = parts.password, parts.username
    except ValueError:
        return []
    secret = password if password is not None else user
    return [secret, unquote(secret)] if secret else []


class client_key_scope:  # noqa: N801 - used like a function: `with client_key_scope(key):`
    """Within the block (one client request, and the tasks it starts), `redact` also scrubs `key`. A class
    rather than a generator context manager: it runs on every request."""

    __slots__ = ("_key", "_token")

    def __init__(self, key: str | None) -> None:
        self._key = key if key and len(key) >= MIN_SECRET_CHARS else None

    def __enter__(self) -> None:
        self._token = _client_key.set(self._key)

    def __exit__(self, *exc: object) -> None:
        _client_key.reset(self._token)


class request_secrets_scope:  # noqa: N801 - used like a function: `with request_secrets_scope(values):`
    """Within the block (one client request, and the tasks it starts), `redact` also scrubs `values`: the
    credentials a request carries for itself (per-request cookies), which no registry holds. Values shorter
    than MIN_SECRET_CHARS are left out, as in `KnownSecrets`; longest first, as there."""

    __slots__ = ("_values", "_token")

    def __init__(self, values: list[str]) -> None:
        kept = {v for v in values if isinstance(v, str) and len(v) >= MIN_SECRET_CHARS}
        self._values = tuple(sorted(kept, key=len, reverse=True))

    def __enter__(self) -> None:
        self._token = _request_secrets.set(_request_secrets.get() + self._values)

    def __exit__(self, *exc: object) -> None:
        _request_secrets.reset(self._token)


def redact(text: str) -> str:
    """`text` with known secret values, the calling client's key and secret-shaped strings replaced by
    "[redacted]", and URL passwords by "***"."""
    if not text:
        return text
    text = KNOWN.scrub(text)
    client = _client_key.get()
    if client is not None and client in text:
        text = text.replace(client, MASK)
    for value in _request_secrets.get():
        if value in text:
            text = text.replace(value, MASK)
    return _URL_PASSWORD.sub(r"\1:***@", _SHAPES.sub(MASK, text))
