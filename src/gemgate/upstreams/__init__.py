"""Outbound upstream kinds, one module each behind the same interface."""

from __future__ import annotations

from ..config import Settings
from .base import Upstream
from .gemini_api import GeminiAPI


def build_upstreams(settings: Settings) -> dict[str, Upstream]:
    api = GeminiAPI(
        settings.gemini_api_base_url,
        connect_timeout=settings.connect_timeout,
        first_byte_timeout=settings.first_byte_timeout,
        idle_timeout=settings.idle_timeout,
    )
    return {api.kind: api}
