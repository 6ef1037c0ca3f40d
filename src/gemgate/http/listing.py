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
    """The entry for a model id ("models/" prefix allowed): a listed id, or any name a request may use
    (a suffixed `gemini-2.5-flash-high`, a kind-pinned `gemini-api/…`), answered as the served model's
    resource under the name asked. GatewayError 404 when nothing serves it, 400 for a malformed name."""
    name = name.removeprefix("models/")
    entries = catalog.entries()
    for listed, resource in entries:
        if listed == name:
            return listed, resource
    try:
        spec = catalog.resolve(name)
    except GatewayError as exc:
        if exc.status != 404 and exc.status != 503:
            raise
    else:
        for listed, resource in entries:
            if listed == spec.model:
                return name, resource
    raise GatewayError(
        404, f"The model '{name}' does not exist. GET /v1/models lists the models available to you.", param="model"
    )
