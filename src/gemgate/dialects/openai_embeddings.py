"""OpenAI /v1/embeddings ↔ Gemini batchEmbedContents."""

from __future__ import annotations

import base64
import struct
from dataclasses import dataclass

from ..errors import bad_request
from ..models import Catalog, ModelSpec
from .validate import expect, integer, no_unknown, one_of

_FIELDS = frozenset({"model", "input", "encoding_format", "dimensions", "user"})


@dataclass
class EmbeddingsRequest:
    spec: ModelSpec
    gemini: dict
    base64: bool
    texts: list[str]


def parse_embeddings(body: object, catalog: Catalog) -> EmbeddingsRequest:
    body = expect(body, dict, "body")
    no_unknown(body, _FIELDS, "")
    spec = catalog.resolve(body.get("model"))
    raw = body.get("input")
    texts = [raw] if isinstance(raw, str) else expect(raw, list, "input")
    if not texts:
        raise bad_request("'input' must not be empty", "input")
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise bad_request(
                f"'input[{i}]' must be a string; token arrays are not supported by Gemini embedding models", "input"
            )
    fmt = one_of(body.get("encoding_format") or "float", ("float", "base64"), "encoding_format")
    extra = {}
    if body.get("dimensions") is not None:
        extra["outputDimensionality"] = integer(body["dimensions"], "dimensions", 1)
    requests = [{"model": f"models/{spec.model}", "content": {"parts": [{"text": t}]}, **extra} for t in texts]
    return EmbeddingsRequest(spec, {"requests": requests}, fmt == "base64", texts)


def render_embeddings(result: dict, req: EmbeddingsRequest) -> dict:
    data = []
    for i, item in enumerate(result.get("embeddings") or ()):
        values = item.get("values") or []
        vector: object = values
        if req.base64:
            vector = base64.b64encode(struct.pack(f"<{len(values)}f", *values)).decode()
        data.append({"object": "embedding", "index": i, "embedding": vector})
    # Gemini does not count embedding tokens; this is the usual four-characters-a-token estimate.
    tokens = sum(max(1, len(t) // 4) for t in req.texts)
    return {
        "object": "list",
        "data": data,
        "model": req.spec.requested,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
