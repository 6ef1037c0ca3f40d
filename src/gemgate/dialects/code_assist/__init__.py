"""The Code Assist dialect: Google's private `v1internal` API as the Gemini CLI speaks it in login mode, so the
CLI started with CODE_ASSIST_ENDPOINT=<gemgate>, GOOGLE_GENAI_USE_GCA=true and GOOGLE_CLOUD_ACCESS_TOKEN=<a
gemgate client key> works through the gateway (reference/client-harness.md §3b; the shapes are those of
reference/codeassist-and-gemini-api.md §A2-A4). The inner request and response are Gemini-native: the
gemini_native dialect parses and renders them, this package adds the envelope and the setup RPCs.
"""

from __future__ import annotations

from ...errors import GatewayError
from ..base import Dialect, Endpoint
from ..gemini_native.reply import google_error_body
from .request import parse_rpc


class CodeAssistDialect(Dialect):
    """`POST /v1internal:{rpc}`; errors are google.rpc.Status bodies, as cloudcode-pa answers them (§A4)."""

    name = "code-assist"
    prefixes = ("/v1internal",)

    @property
    def endpoints(self) -> tuple[Endpoint, ...]:
        """Every RPC on one route: generation, token counting, and the setup and quota RPCs (`request.py`)."""
        return (Endpoint("/v1internal:{rpc}", ("POST",), parse=parse_rpc),)

    def error_body(self, err: GatewayError) -> dict:
        """A google.rpc.Status body (`gemini_native.reply.google_error_body`)."""
        return google_error_body(err)


DIALECT = CodeAssistDialect()
