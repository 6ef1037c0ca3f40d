"""An account's models from the `otAQ7b` answer (reference/gemini-web-protocol.md §6.1-§6.3), and the public
ids gemgate serves them under.

Public ids: the slug of each row's category (`flash`, `pro`, `flash-lite`; clients name them
`gemini-web/flash`…), `auto` (no model chosen: the app's default, §3.3), and the ids the seeds' users know as
aliases mapped to what the account really has (issue 9). Thinking: the web app offers standard and extended
thinking (inner[80] 1|2, §6.4); `gemini-3.5-flash-thinking` asks Flash for extended thinking. Nothing else about
depth is known to work (the `@think=N` → inner[17] claim is disputed, §9.1), so none is sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .payload import field

STATUS, ROWS, TIERS, FLAGS = 14, 15, 16, 17  # payload slots (§6.1)
AVAILABLE = 1000  # §4.3; null means available too
# §4.3 AccountStatus codes other than AVAILABLE
STATUS_NAMES = {
    1014: "access temporarily unavailable", 1016: "signed out (cookies expired)", 1021: "rejected",
    1033: "untrusted", 1040: "terms of service to accept", 1042: "terms of service out of date",
    1054: "guardian supervision", 1057: "guardian supervision", 1060: "location not supported",
}
UNAUTHENTICATED = 1016
AUTO = "auto"
STANDARD, EXTENDED = 1, 2  # inner[80] / header[15]

# alias -> (category slug, thinking); the ids users of the replaced servers know (issue 9): those of issue 9,
# gemini_webapi 2.1.1's "gemini-" + slug (§6.1 Names), and the Flash ids of 782042369/gemini-web2api `models.py`
# MODELS (each mode 1, FAST; its config.example.json's default_model is gemini-3.6-flash, its fallback 3.8), so
# a config `gemgate import` brings over, and its clients, name a model gemgate serves.
ALIASES: dict[str, tuple[str, int]] = {
    "gemini-3.5-flash": ("flash", STANDARD),
    "gemini-3.5-flash-thinking": ("flash", EXTENDED),
    "gemini-3.1-pro": ("pro", STANDARD),
    "gemini-flash-lite": ("flash-lite", STANDARD),
    "gemini-auto": (AUTO, STANDARD),
    "gemini-flash": ("flash", STANDARD),
    "gemini-pro": ("pro", STANDARD),
    "gemini-3.6-flash": ("flash", STANDARD),
    "gemini-3.7-flash": ("flash", STANDARD),
    "gemini-3.8-flash": ("flash", STANDARD),
}


@dataclass(frozen=True)
class ModelRow:
    """One model row: hex `id` [0], `category` [1], `display` name [11] (fallback [19]), `mode` [17] (the
    MODE_CATEGORY sent as inner[79] and header[14]), `description` [2]."""

    id: str
    category: str
    display: str
    mode: int
    description: str

    @property
    def slug(self) -> str:
        """`flash`, `pro`, `flash-lite`: 2.1.1 names its models "gemini-" + this (§6.1)."""
        return re.sub(r"[^a-z0-9]+", "-", self.category.lower()).strip("-")


@dataclass(frozen=True)
class Catalogue:
    """What `otAQ7b` said: the account `status` code, its model rows, and its capacity (header[11]) with the
    capacity field (12, or 13 when the tail shifts, §3.3)."""

    status: int | None
    rows: tuple[ModelRow, ...]
    capacity: int
    capacity_field: int

    @property
    def available(self) -> bool:
        """AVAILABLE (1000 or null)."""
        return self.status in (None, AVAILABLE)

    def row(self, slug: str) -> ModelRow | None:
        """The row of a category slug."""
        return next((r for r in self.rows if r.slug == slug), None)

    def resolve(self, public_id: str) -> tuple[ModelRow | None, int] | None:
        """(row, thinking) for a public id: a category slug, `auto` (row None: no model header), or an alias;
        None when the account has no such model."""
        slug, thinking = ALIASES.get(public_id, (public_id, STANDARD))
        if slug == AUTO:
            return None, thinking
        row = self.row(slug)
        return (row, thinking) if row is not None else None

    def public_ids(self) -> list[str]:
        """Every id this account serves: its slugs, `auto`, and the aliases whose target it has."""
        ids = [r.slug for r in self.rows] + [AUTO]
        ids += [alias for alias in ALIASES if self.resolve(alias) is not None]
        return ids


# The categories from best to least (§6.2 tiers: Pro above Flash above Flash-Lite); what a downgrade serves
BEST_FIRST = ("pro", "flash", "flash-lite")


def substitute(name: str, kind: str, served) -> str | None:
    """The best model to serve instead of `name` (`[kind "/"] ["models/"] public-id [@…]`), which no account
    has: the pinned public id of the first BEST_FIRST category other than the asked one that `served(slug)`,
    with the name's `@` suffixes kept; None when `name` is no web-app model id or nothing is served."""
    head, sep, rest = name.partition("/")
    body = rest if sep and head == kind else name
    body = body.removeprefix("models/")
    base, at, suffixes = body.partition("@")
    asked = ALIASES.get(base, (base, STANDARD))[0]
    if asked not in BEST_FIRST:
        return None
    for slug in BEST_FIRST:
        if slug != asked and served(slug):
            return f"{kind}/{slug}{at}{suffixes}"
    return None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def compute_capacity(tiers: list, flags: list) -> tuple[int, int]:
    """(capacity, field) from the tier and capability flags (2.1.1 `compute_capacity`, §6.1)."""
    if 21 in tiers:
        return 1, 13
    if 22 in tiers:
        return 2, 13
    if 115 in flags:
        return 4, 12
    if 16 in tiers or 106 in flags:
        return 3, 12
    if 8 in tiers or 19 in flags:
        return 2, 12
    return 1, 12


def parse_catalogue(payload: object) -> Catalogue:
    """The Catalogue of an otAQ7b payload; rows without an id or category are skipped."""
    rows = []
    for raw in field(payload, ROWS) or ():
        if not isinstance(raw, list) or not _str(field(raw, 0)) or not _str(field(raw, 1)):
            continue
        rows.append(ModelRow(
            id=_str(field(raw, 0)), category=_str(field(raw, 1)),
            display=_str(field(raw, 11)) or _str(field(raw, 19)) or _str(field(raw, 1)),
            mode=_int(field(raw, 17)) or 1, description=_str(field(raw, 2)),
        ))
    tiers = [t for t in field(payload, TIERS) or () if _int(t) is not None]
    flags = [f for f in field(payload, FLAGS) or () if _int(f) is not None]
    capacity, capacity_field = compute_capacity(tiers, flags)
    return Catalogue(_int(field(payload, STATUS)), tuple(rows), capacity, capacity_field)


def resources(catalogue: Catalogue) -> list[dict]:
    """Gemini Model resources (ai.google.dev/api/models) for the account's public ids."""
    out = []
    for public_id in catalogue.public_ids():
        slug = ALIASES.get(public_id, (public_id, STANDARD))[0]
        row = catalogue.row(slug)
        display = row.display if row else "Gemini (the app's default model)"
        resource = {"name": f"models/{public_id}", "baseModelId": public_id, "displayName": display,
                    "supportedGenerationMethods": ["generateContent", "streamGenerateContent"]}
        if row is not None and row.description:
            resource["description"] = row.description
        out.append(resource)
    return out
