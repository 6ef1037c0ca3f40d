"""The Gemini-native dialect: generateContent & co. under /v1beta/models and /v1/models (ai.google.dev/api)."""

from __future__ import annotations

from ...errors import GatewayError
from ..base import Dialect, Endpoint
from .reply import google_error_body
from .request import parse_model_action


class GeminiNativeDialect(Dialect):
    """`POST {v1beta,v1}/models/{model}:{action}` and `GET {v1beta,v1}/models[/{model}]` (model ids may hold
    a slash); errors are google.rpc.Status bodies."""

    name = "gemini"
    prefixes = ("/v1beta/",)
    listing_page_size = 50  # the Gemini API's default page size (ai.google.dev/api/models#method:-models.list)

    @property
    def endpoints(self) -> tuple[Endpoint, ...]:
        """generate/stream/countTokens/embed actions and the model listing, under /v1beta and /v1."""
        return (
            Endpoint("/v1beta/models/{rest:path}", ("POST",), parse=parse_model_action),
            Endpoint("/v1/models/{rest:path}", ("POST",), parse=parse_model_action),
            Endpoint("/v1beta/models", ("GET",), listing="list"),
            Endpoint("/v1beta/models/{rest:path}", ("GET",), listing="get"),
            # google-genai 3.x defaults to /v1: these merge with the OpenAI dialect's listing there.
            Endpoint("/v1/models", ("GET",), listing="list"),
            Endpoint("/v1/models/{rest:path}", ("GET",), listing="get"),
        )

    def error_body(self, err: GatewayError) -> dict:
        """A google.rpc.Status body; see `google_error_body`."""
        return google_error_body(err)

    def list_models(self, entries: list[tuple[str, dict]], next_page: str | None) -> dict:
        """`{"models": [Model...], "nextPageToken"?}`: the token only when more pages follow (ai.google.dev/api/models;
        an empty token makes @google/genai loop, reference/codeassist-and-gemini-api.md §B1).
        """
        body: dict = {"models": [self.get_model(listed, r) for listed, r in entries]}
        if next_page:
            body["nextPageToken"] = next_page  # omitted on the last page: an empty one makes SDKs loop
        return body

    def get_model(self, listed: str, resource: dict) -> dict:
        """The Model resource named "models/<listed id>", with displayName and supportedGenerationMethods
        (generateContent, countTokens) filled in when the upstream gave none.
        """
        out = dict(resource)
        out["name"] = f"models/{listed}"
        out.setdefault("displayName", listed)
        out.setdefault("supportedGenerationMethods", ["generateContent", "countTokens"])
        return out


DIALECT = GeminiNativeDialect()
