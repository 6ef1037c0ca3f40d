"""The Anthropic Messages dialect: `/v1/messages`, count_tokens, the model list for Anthropic clients and the
base URL's preflight (docs.anthropic.com/en/api; the clients' observed behaviour in client-harness.md §4-5).

Keys come as `x-api-key` (Claude Code) or `Authorization: Bearer` (anthropic SDK 2.x); any `anthropic-version`
and `anthropic-beta` is accepted (betas only add fields this dialect knows or ignores). `thoughts_in_content`
does not apply: Anthropic clients read thoughts from thinking blocks, their own field.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime

from ...errors import GatewayError
from ..base import Dialect, Endpoint, Local, ParseInput
from .errors import anthropic_error_body, anthropic_status
from .request import parse_count_tokens, parse_messages

# Gemini gives no release date: a listed model was "created" when the gateway started (RFC 3339).
_CREATED = datetime.fromtimestamp(int(time.time()), UTC).isoformat().replace("+00:00", "Z")


def from_anthropic_client(headers: Mapping[str, str]) -> bool:
    """Whether a request comes from an Anthropic client: every one sends `anthropic-version`."""
    return "anthropic-version" in headers


def preflight(inp: ParseInput) -> Local:
    """The base URL's answer, made by the gateway itself: Claude Code sends `HEAD /` before its first request
    (client-harness.md §4)."""
    apis = ["/v1/messages", "/v1/chat/completions", "/v1beta/models"]
    return Local(lambda state: {"service": "gemgate", "apis": apis})


class AnthropicDialect(Dialect):
    """`POST /v1/messages[?beta=true]`, `POST /v1/messages/count_tokens`, `GET /v1/models[/{id}]` when the
    request carries `anthropic-version`, `HEAD|GET /`; errors `{"type": "error", "error": {type, message}}`."""

    name = "anthropic"
    prefixes = ("/v1/messages",)
    listing_page_size = None  # the whole list, has_more false: the SDK's pager would send after_id next

    @property
    def endpoints(self) -> tuple[Endpoint, ...]:
        """Messages, count_tokens, the model list and model get for Anthropic clients, the preflight."""
        return (
            Endpoint("/v1/messages", ("POST",), parse=parse_messages),
            Endpoint("/v1/messages/count_tokens", ("POST",), parse=parse_count_tokens),
            Endpoint("/v1/models", ("GET",), listing="list", when=from_anthropic_client),
            Endpoint("/v1/models/{rest:path}", ("GET",), listing="get", when=from_anthropic_client),
            Endpoint("/", ("GET", "HEAD"), parse=preflight),
        )

    def error_body(self, err: GatewayError) -> dict:
        """`{"type": "error", "error": {"type", "message"}}`; see `errors.anthropic_error_body`."""
        return anthropic_error_body(err)

    def error_status(self, err: GatewayError) -> int:
        """529 for overload and an all-cooling pool, else the error's status; see `errors.anthropic_status`."""
        return anthropic_status(err)

    def list_models(self, entries: list[tuple[str, dict]], next_page: str | None) -> dict:
        """`{"data": [model...], "has_more", "first_id", "last_id"}` (docs.anthropic.com/en/api/models-list)."""
        data = [self.get_model(listed, r) for listed, r in entries]
        return {"data": data, "has_more": False, "first_id": data[0]["id"] if data else None,
                "last_id": data[-1]["id"] if data else None}

    def get_model(self, listed: str, resource: dict) -> dict:
        """`{"type": "model", "id", "display_name", "created_at"}` (docs.anthropic.com/en/api/models)."""
        return {"type": "model", "id": listed, "display_name": resource.get("displayName") or listed,
                "created_at": _CREATED}


DIALECT = AnthropicDialect()
