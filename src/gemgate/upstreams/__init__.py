"""Outbound upstream kinds, one module each behind the same interface."""

from __future__ import annotations

from ..config import Settings
from .base import Upstream
from .gemini_api import GeminiAPI

# The one place upstream kinds are named: kind name -> class.
UPSTREAM_KINDS: dict[str, type[Upstream]] = {GeminiAPI.kind: GeminiAPI}


def kind_names() -> tuple[str, ...]:
    """The registered upstream kind names, e.g. ("gemini-api",)."""
    return tuple(UPSTREAM_KINDS)


def build_upstreams(settings: Settings) -> dict[str, Upstream]:
    api = GeminiAPI(
        settings.gemini_api_base_url,
        connect_timeout=settings.connect_timeout,
        first_byte_timeout=settings.first_byte_timeout,
        idle_timeout=settings.idle_timeout,
    )
    return {api.kind: api}
