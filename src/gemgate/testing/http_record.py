"""What a fake upstream received, kept for assertions: one `Exchange` per HTTP request."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web


@dataclass
class Exchange:
    """One request as a fake received it, and the status it answered.

    `body` is the parsed JSON body, or the form dict for form posts, or None (empty or unparsable);
    `raw` the bytes. `account` and `client_id` are filled in by fakes that authenticate the caller.
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    raw: bytes
    body: Any = None
    status: int | None = None
    account: str | None = None  # e-mail behind the token, when known
    client_id: str | None = None  # OAuth client of the caller, when known
    action: str | None = None  # the RPC or endpoint, e.g. "streamGenerateContent"
    model: str | None = None  # the model a generation asked for
    extra: dict[str, Any] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        """A request header by case-insensitive name."""
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


async def record(request: web.Request) -> Exchange:
    """Read `request` whole and describe it; JSON and urlencoded form bodies are decoded."""
    raw = await request.read()
    body: Any = None
    kind = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        body = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    elif raw.strip():
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
    return Exchange(request.method, request.path, dict(request.query), dict(request.headers), raw, body)
