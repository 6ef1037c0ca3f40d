"""Outbound upstream kinds. Each is one package with an `Upstream` subclass; this registry is the one
place kinds are named: to add a kind, add its class to UPSTREAM_KINDS."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import ValidationError

from ..redaction import KNOWN, url_secrets
from ..store import AccountRecord

from .base import Capability, Upstream, UpstreamSettings
from .code_assist import CodeAssist
from .gemini_api import GeminiAPI
from .web import GeminiWeb

UPSTREAM_KINDS: dict[str, type[Upstream]] = {cls.kind: cls for cls in (GeminiAPI, CodeAssist, GeminiWeb)}


def kind_names() -> tuple[str, ...]:
    """The registered upstream kind names, e.g. ("gemini-api",)."""
    return tuple(UPSTREAM_KINDS)


def section_name(kind: str) -> str:
    """The config section key of a kind: `[upstreams.gemini_api]` for "gemini-api"."""
    return kind.replace("-", "_")


def section_settings(sections: dict[str, dict]) -> dict[str, UpstreamSettings]:
    """Every registered kind's validated `[upstreams.<kind>]` settings (defaults where a section is absent).

    Raises ValueError naming the section and field, one line per problem, for an unknown section or an
    invalid setting.
    """
    known = {section_name(k): k for k in UPSTREAM_KINDS}
    unknown = sorted(set(sections) - set(known))
    if unknown:
        raise ValueError(f"unknown section [upstreams.{unknown[0]}]; known: {', '.join(sorted(known))}")
    out: dict[str, UpstreamSettings] = {}
    for section, kind in known.items():
        try:
            out[kind] = UPSTREAM_KINDS[kind].settings_model(**(sections.get(section) or {}))
        except ValidationError as exc:
            problems = [f"[upstreams.{section}] {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
            raise ValueError("\n".join(problems)) from None
    return out


def build_upstreams(sections: dict[str, dict]) -> dict[str, Upstream]:
    """One instance of every registered kind, each with its `[upstreams.<kind>]` section.

    Raises ValueError as `section_settings` does.
    """
    return {kind: UPSTREAM_KINDS[kind](settings) for kind, settings in section_settings(sections).items()}


def kinds_with(capability: Capability, upstreams: Iterable[Upstream]) -> frozenset[str]:
    """The kinds among `upstreams` that have `capability`."""
    return frozenset(u.kind for u in upstreams if capability in u.capabilities)


def account_secrets(records: Iterable[AccountRecord]) -> set[str]:
    """Every secret value the accounts hold: their kinds' `secret_values` and their proxies' passwords."""
    out: set[str] = set()
    for record in records:
        cls = UPSTREAM_KINDS.get(record.kind)
        if cls is not None and isinstance(record.secret, dict):
            out.update(cls.secret_values(record.secret))
        out.update(url_secrets(record.proxy))
    return out


def remember_accounts(records: Iterable[AccountRecord], source: str = "accounts") -> None:
    """Make these accounts' secrets the redaction registry's `source` (call with every account after each
    load from the store, so a removed account's values are dropped and a new one's are scrubbed)."""
    KNOWN.set(source, account_secrets(records))
