"""Outbound upstream kinds. Each is one package with an `Upstream` subclass; this registry is the one
place kinds are named: to add a kind, add its class to UPSTREAM_KINDS."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import ValidationError

from .base import Capability, Upstream
from .gemini_api import GeminiAPI

UPSTREAM_KINDS: dict[str, type[Upstream]] = {cls.kind: cls for cls in (GeminiAPI,)}


def kind_names() -> tuple[str, ...]:
    """The registered upstream kind names, e.g. ("gemini-api",)."""
    return tuple(UPSTREAM_KINDS)


def section_name(kind: str) -> str:
    """The config section key of a kind: `[upstreams.gemini_api]` for "gemini-api"."""
    return kind.replace("-", "_")


def build_upstreams(sections: dict[str, dict]) -> dict[str, Upstream]:
    """One instance of every registered kind, each with its validated `[upstreams.<kind>]` section.

    Raises ValueError naming the section for an unknown section or an invalid setting.
    """
    known = {section_name(k): k for k in UPSTREAM_KINDS}
    unknown = set(sections) - set(known)
    if unknown:
        raise ValueError(f"unknown [upstreams.{sorted(unknown)[0]}] section; known: {', '.join(sorted(known))}")
    built: dict[str, Upstream] = {}
    for section, kind in known.items():
        cls = UPSTREAM_KINDS[kind]
        try:
            settings = cls.settings_model(**(sections.get(section) or {}))
        except ValidationError as exc:
            raise ValueError(f"[upstreams.{section}]: {exc}") from None
        built[kind] = cls(settings)
    return built


def kinds_with(capability: Capability, upstreams: Iterable[Upstream]) -> frozenset[str]:
    """The kinds among `upstreams` that have `capability`."""
    return frozenset(u.kind for u in upstreams if capability in u.capabilities)
