"""Gemini-native requests: a near pass-through of the Gemini API's own JSON (ai.google.dev/api).

Requests may use camelCase or snake_case (the Python SDK sends some nested fields in snake_case);
they are normalised to camelCase, except inside free-form values (function arguments, JSON Schemas).
"""

from __future__ import annotations

from ...catalog import ModelSpec
from ...errors import GatewayError, bad_request
from ...upstreams.base import Capability
from ..base import Generation, ParseInput, Unary
from ..validate import expect
from .reply import GeminiReply

# Values under these keys are the client's own data and are passed on verbatim.
_VERBATIM = frozenset(
    {"args", "response", "parametersJsonSchema", "responseJsonSchema", "labels", "default", "example", "enum", "data"}
)
# Keys under these are names chosen by the client; the values are schemas.
_NAMED = frozenset({"properties", "$defs", "definitions"})

def _camel(key: str) -> str:
    if "_" not in key or key.startswith(("_", "$", "@")):
        return key
    head, *rest = key.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def normalise(value: object) -> object:
    """camelCase every key (snake_case is accepted as the SDKs send it), except inside client data."""
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        key = _camel(key)
        if key in _VERBATIM:
            out[key] = item
        elif key in _NAMED and isinstance(item, dict):
            out[key] = {name: normalise(schema) for name, schema in item.items()}
        else:
            out[key] = normalise(item)
    return out


def split_action(path: str) -> tuple[str, str | None]:
    """"gemini-2.5-flash:generateContent" -> ("gemini-2.5-flash", "generateContent"); no action -> None."""
    model, sep, action = path.rpartition(":")
    if not sep or "/" in action:
        return path, None
    return model, action


def parse_generate(body: object, model: str, *, stream: bool, sse: bool) -> Generation:
    """A GenerateContentRequest (the model travels in the URL); raises GatewayError 400 naming the field."""
    body = expect(body, dict, "body")
    request = normalise(body)
    request.pop("model", None)
    contents = request.get("contents")
    if contents is None:
        raise bad_request("'contents' is required: a list of {role, parts} turns", "contents")
    if isinstance(contents, dict):
        request["contents"] = [contents]
    expect(request["contents"], list, "contents")
    return Generation(model, request, stream, GeminiReply(sse=sse))


def parse_count_tokens(body: object, model: str) -> Unary:
    """A CountTokensRequest: `contents`, or a whole `generateContentRequest` (whose model is set here)."""
    request = normalise(expect(body, dict, "body"))
    inner = request.get("generateContentRequest")
    if not isinstance(inner, dict) and request.get("contents") is None:
        raise bad_request("'contents' or 'generateContentRequest' is required", "contents")

    def build(spec: ModelSpec) -> dict:
        if isinstance(inner, dict):
            inner["model"] = f"models/{spec.model}"
        return request

    return Unary(model, Capability.COUNT_TOKENS, build, _as_is)


def parse_embed(body: object, model: str, *, batch: bool) -> Unary:
    """An EmbedContentRequest, or a BatchEmbedContentsRequest whose requests get the URL's model."""
    request = normalise(expect(body, dict, "body"))
    if batch:
        items = expect(request.get("requests"), list, "requests")
        for i, item in enumerate(items):
            expect(item, dict, f"requests[{i}]")
    else:
        request.pop("model", None)
        expect(request.get("content"), dict, "content")

    def build(spec: ModelSpec) -> dict:
        for item in request.get("requests") or () if batch else ():
            item["model"] = f"models/{spec.model}"
        return request

    return Unary(model, Capability.EMBED, build, _as_is, batch=batch)


def _as_is(result: dict, spec: ModelSpec) -> dict:
    return result


_ACTIONS = ("generateContent", "streamGenerateContent", "countTokens", "embedContent", "batchEmbedContents")


def parse_model_action(inp: ParseInput) -> Generation | Unary:
    """POST models/{model}:{action}; raises GatewayError 404 for an unknown action."""
    model, action = split_action(inp.path_params["rest"])
    if action in ("generateContent", "streamGenerateContent"):
        stream = action == "streamGenerateContent"
        return parse_generate(inp.body, model, stream=stream, sse=stream and inp.query.get("alt") == "sse")
    if action == "countTokens":
        return parse_count_tokens(inp.body, model)
    if action in ("embedContent", "batchEmbedContents"):
        return parse_embed(inp.body, model, batch=action == "batchEmbedContents")
    raise GatewayError(404, f"Unknown method '{action}' on models/{model}. Supported: {', '.join(_ACTIONS)}")


