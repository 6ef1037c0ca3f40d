"""OpenAI /v1/embeddings <-> Gemini batchEmbedContents (platform.openai.com/docs/api-reference/embeddings)."""

from __future__ import annotations

import base64
import struct

from ...catalog import ModelSpec
from ...errors import bad_request
from ...upstreams.base import Capability
from ..base import ParseInput, Unary
from ..validate import INT32_MAX, at_most, expect, integer, no_model_suffixes, no_unknown, one_of

_FIELDS = frozenset({"model", "input", "encoding_format", "dimensions", "user"})
# Accepted and without effect: OpenAI's end-user id for abuse tracking (README "Fields accepted without effect").
NO_EFFECT_FIELDS = frozenset({"user"})


def parse_embeddings(inp: ParseInput) -> Unary:
    """An embeddings request -> a batch EMBED call; raises GatewayError 400 naming the field."""
    body = expect(inp.body, dict, "body")
    no_unknown(body, _FIELDS, "")
    raw = body.get("input")
    texts = [raw] if isinstance(raw, str) else expect(raw, list, "input")
    if not texts:
        raise bad_request("'input' must not be empty", "input")
    at_most(len(texts), inp.limits.embedding_inputs, "embedding_inputs", "input", "items")
    if texts and all(isinstance(t, int) and not isinstance(t, bool) for t in texts):
        raise bad_request("'input' is a token array; token arrays are not supported by Gemini embedding models", "input")
    for i, text in enumerate(texts):
        if isinstance(text, list) and all(isinstance(t, int) and not isinstance(t, bool) for t in text):
            raise bad_request(
                f"'input[{i}]' is a token array; token arrays are not supported by Gemini embedding models", f"input[{i}]"
            )
        if not expect(text, str, f"input[{i}]"):  # Google: "EmbedContentRequest.content contains an empty Part."
            where = "input" if isinstance(raw, str) else f"input[{i}]"
            raise bad_request(f"'{where}' is an empty string; Gemini cannot embed empty text", where)
    as_base64 = one_of(body.get("encoding_format") or "float", ("float", "base64"), "encoding_format") == "base64"
    if body.get("user") is not None:
        expect(body["user"], str, "user")
    extra = {}
    if body.get("dimensions") is not None:
        extra["outputDimensionality"] = integer(body["dimensions"], "dimensions", 1, INT32_MAX)

    def build(spec: ModelSpec) -> dict:
        no_model_suffixes(spec, "embeddings")
        return {"requests": [{"model": f"models/{spec.model}", "content": {"parts": [{"text": t}]}, **extra} for t in texts]}

    def render(result: dict, spec: ModelSpec) -> dict:
        data = []
        for i, item in enumerate(result.get("embeddings") or ()):
            values = item.get("values") or []
            vector: object = values
            if as_base64:
                vector = base64.b64encode(struct.pack(f"<{len(values)}f", *values)).decode()
            data.append({"object": "embedding", "index": i, "embedding": vector})
        # Gemini does not count embedding tokens; this is the usual four-characters-a-token estimate.
        tokens = sum(max(1, len(t) // 4) for t in texts)
        return {"object": "list", "data": data, "model": spec.requested, "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}

    return Unary(body.get("model"), Capability.EMBED, build, render, batch=True)
