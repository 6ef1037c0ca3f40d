"""The OpenAI dialect: Chat Completions, Responses, embeddings and the model list
(platform.openai.com/docs/api-reference)."""

from __future__ import annotations

import time

from ...errors import GatewayError
from ..base import Dialect, Endpoint
from . import conversations
from .chat_native import parse_chat_any
from .common import openai_error_body
from .embeddings import parse_embeddings
from .responses_request import parse_responses
from .responses_items import parse_input_items
from .responses_store import parse_cancel, parse_delete, parse_get

_CREATED = int(time.time())


RESPONSES_API = "openai-responses"  # how Responses requests are named in outcomes and logs


class OpenAIDialect(Dialect):
    """`/v1/chat/completions`, `/v1/responses` (and GET / DELETE / cancel / input_items of a stored one), a minimal Conversations API, `/v1/embeddings`,
    `GET /v1/models[/{id}]`; errors `{"error": {message, type, param, code}}`."""

    name = "openai"
    prefixes = ("/v1/",)
    listing_page_size = None  # OpenAI clients expect the whole list

    @property
    def endpoints(self) -> tuple[Endpoint, ...]:
        """Chat Completions, Responses, embeddings, and the model list and model get."""
        return (
            Endpoint("/v1/chat/completions", ("POST",), parse=parse_chat_any),
            Endpoint("/v1/responses", ("POST",), parse=parse_responses, api=RESPONSES_API),
            Endpoint("/v1/responses/{response_id}", ("GET",), parse=parse_get, api=RESPONSES_API),
            Endpoint("/v1/responses/{response_id}", ("DELETE",), parse=parse_delete, api=RESPONSES_API),
            Endpoint("/v1/responses/{response_id}/input_items", ("GET",), parse=parse_input_items, api=RESPONSES_API),
            Endpoint("/v1/responses/{response_id}/cancel", ("POST",), parse=parse_cancel, api=RESPONSES_API,
                     bodiless=True),
            Endpoint("/v1/conversations", ("POST",), parse=conversations.parse_create, api=RESPONSES_API),
            Endpoint("/v1/conversations/{conversation_id}", ("GET",), parse=conversations.parse_retrieve,
                     api=RESPONSES_API),
            Endpoint("/v1/conversations/{conversation_id}", ("DELETE",), parse=conversations.parse_delete,
                     api=RESPONSES_API),
            Endpoint("/v1/conversations/{conversation_id}/items", ("GET",), parse=conversations.parse_list_items,
                     api=RESPONSES_API),
            Endpoint("/v1/conversations/{conversation_id}/items", ("POST",), parse=conversations.parse_add_items,
                     api=RESPONSES_API),
            Endpoint("/v1/embeddings", ("POST",), parse=parse_embeddings),
            Endpoint("/v1/models", ("GET",), listing="list"),
            Endpoint("/v1/models/{rest:path}", ("GET",), listing="get"),
        )

    def error_body(self, err: GatewayError) -> dict:
        """`{"error": {message, type, param, code}}`; see `openai_error_body`."""
        return openai_error_body(err)

    def list_models(self, entries: list[tuple[str, dict]], next_page: str | None) -> dict:
        """`{"object": "list", "data": [model...]}`, always the whole list
        (platform.openai.com/docs/api-reference/models/list).
        """
        return {"object": "list", "data": [self.get_model(listed, r) for listed, r in entries]}

    def get_model(self, listed: str, resource: dict) -> dict:
        """`{"id", "object": "model", "created", "owned_by": "google"}`
        (platform.openai.com/docs/api-reference/models/object); `created` is the gateway's start (epoch
        seconds), as Gemini gives no date.
        """
        return {"id": listed, "object": "model", "created": _CREATED, "owned_by": "google"}


DIALECT = OpenAIDialect()
