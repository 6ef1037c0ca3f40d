"""What an API client may learn about the gateway's accounts: nothing. Account names, e-mails, project ids and
links (a verification URL carries a sign-in token; a console link names the project) are the operator's
business (`gemgate accounts list`, the logs); every upstream failure a client sees passes through `for_client`
(`errors.UpstreamError.to_gateway`, the pool's stored not-found message).

Two kinds of rules, as in `redaction`: shapes (links, e-mail addresses, Google's ways of naming a project in
its messages and ErrorInfo metadata: "projects/123", "project 123", "project_number:123") and known values
(every pooled account's name, e-mail and project id, registered by the pool in `ACCOUNT_DETAILS`).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

import orjson

from .redaction import KnownSecrets

# A link goes unless it is https, on no sign-in or console host, and its query says nothing about who: a
# verification link carries a sign-in token ("accounts.google.com/signin/continue?…&plt=…"), a console link the
# project ("console.developers.google.com/…/overview?project=123"); Google's documentation and usage links
# ("ai.google.dev/gemini-api/docs/rate-limits", "ai.dev/usage?tab=rate-limit") stay as Google sent them.
_PRIVATE_HOSTS = frozenset({"accounts.google.com", "console.developers.google.com", "console.cloud.google.com"})
_SAFE_QUERY = frozenset({"tab", "hl", "p"})
_LINK = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s\"'<>\\]+|\b(?:javascript|data|vbscript):[^\s\"'<>\\]+", re.I)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# "projects/177838813423", "project_number:123", "project 123 before" / "project my-proj-42" (an id has a digit
# or a hyphen, so "project settings" is left alone; ids: 6-30 letters, digits, hyphens, cloud.google.com/
# resource-manager/docs/creating-managing-projects).
_PROJECT = re.compile(
    r"(?i)(\bprojects/|\bproject[_ ]number[:= ]+|\bproject[ :=]+['\"]?)(?=[a-z0-9-]*[0-9-])([a-z0-9][a-z0-9-]{3,62})"
)
LINK_MASK, EMAIL_MASK, PROJECT_MASK, ACCOUNT_MASK = "[link removed]", "[email]", "[project]", "[account]"
MIN_CHARS = 3  # shorter account names are not registered: they would blank ordinary words


# Known values: one source per pool (`Pool.register_details`), whole words only.
ACCOUNT_DETAILS = KnownSecrets(min_chars=MIN_CHARS, mask=ACCOUNT_MASK, whole_words=True)


def _link(match: re.Match[str]) -> str:
    url = match.group(0).rstrip(".,;")
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        keys = {k for k, _ in parse_qsl(parts.query, keep_blank_values=True)}
    except ValueError:
        return LINK_MASK
    if parts.scheme != "https" or host in _PRIVATE_HOSTS or "@" in parts.netloc or parts.fragment or not keys <= _SAFE_QUERY:
        return LINK_MASK
    return match.group(0)


def for_client(text: str) -> str:
    """`text` (an upstream's or the gateway's message about an account) without links that may say who
    (`_link`), e-mail addresses, project ids or any pooled account's name, e-mail or project."""
    text = _LINK.sub(_link, text)
    text = _EMAIL.sub(EMAIL_MASK, text)
    text = _PROJECT.sub(lambda m: m.group(1) + PROJECT_MASK, text)
    return ACCOUNT_DETAILS.scrub(text)


def for_client_json(value: list) -> list:
    """A JSON list (google.rpc.Status `details`) with `for_client` applied to its text ([] if unreadable)."""
    try:
        return orjson.loads(for_client(orjson.dumps(value).decode()))
    except (TypeError, orjson.JSONDecodeError):
        return []
