"""The interface every upstream kind implements. Upstreams classify errors; they never pick accounts."""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator

from ..store import AccountRecord


class Upstream(abc.ABC):
    kind: str
    # Offered for an account whose model list could not be fetched yet.
    fallback_models: tuple[str, ...] = ()

    async def start(self) -> None:
        """Create long-lived HTTP clients."""

    async def close(self) -> None:
        """Release them."""

    @abc.abstractmethod
    def stream(self, account: AccountRecord, model: str, request: dict) -> AsyncIterator[dict]:
        """Gemini GenerateContentResponse chunks for a Gemini GenerateContentRequest; raises UpstreamError."""

    @abc.abstractmethod
    async def count_tokens(self, account: AccountRecord, model: str, body: dict) -> dict: ...

    @abc.abstractmethod
    async def embed(self, account: AccountRecord, model: str, body: dict, *, batch: bool) -> dict: ...

    @abc.abstractmethod
    async def list_models(self, account: AccountRecord) -> list[dict]:
        """Gemini Model resources this account can use."""
