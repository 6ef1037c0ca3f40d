"""Model listings for every dialect: one page of the catalogue, or one entry of it."""

from __future__ import annotations

from collections.abc import Mapping

from ..catalog import Catalog
from ..errors import GatewayError


def page(catalog: Catalog, query: Mapping[str, str], default_size: int | None) -> tuple[list[tuple[str, dict]], str | None]:
    """One page of (listed id, Model resource) and the next page's token (None on the last page).

    `pageSize` / `pageToken` as the Gemini API takes them (max 1000); `default_size` None: everything.
    Raises GatewayError 400 when they are not integers.
    """
    entries = catalog.entries()
    size_text = query.get("pageSize")
    try:
        start = int(query.get("pageToken") or 0)
        size = int(size_text) if size_text else default_size or len(entries) or 1
        size = max(1, min(size, 1000))
    except ValueError:
        raise GatewayError(400, "pageSize and pageToken must be integers", param="pageToken") from None
    following = str(start + size) if start + size < len(entries) else None
    return entries[max(0, start) : start + size], following


def find(catalog: Catalog, name: str) -> tuple[str, dict]:
    """The listed entry for a model id ("models/" prefix allowed); GatewayError 404 when not listed."""
    name = name.removeprefix("models/")
    for listed, resource in catalog.entries():
        if listed == name:
            return listed, resource
    raise GatewayError(
        404, f"The model '{name}' does not exist. GET /v1/models lists the models available to you.", param="model"
    )
