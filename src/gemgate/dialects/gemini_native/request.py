"""Gemini-native requests: a near pass-through of the Gemini API's own JSON (ai.google.dev/api).

Requests may use camelCase or snake_case (the Python SDK sends some nested fields in snake_case);
they are normalised to camelCase, except inside free-form values (function arguments, JSON Schemas).
"""

from __future__ import annotations

from ...catalog import ModelSpec
from ...config import Limits
from ...errors import GatewayError, bad_request
from ...gemini.param_ranges import GENERATION_RANGES, MAX_STOP_SEQUENCES, duplicate_names, function_name_problem
from ...upstreams.base import Capability
from ..base import DEFAULT_LIMITS, Generation, ParseInput, Unary
from ..validate import at_most, expect, no_model_suffixes
from .proto import proto_numbers
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


def _content(value: object, param: str, limits: Limits) -> None:
    """Check a Content the gateway reads: an object whose `role` is a string and `parts` a list of objects."""
    expect(value, dict, param)
    if value.get("role") is not None:
        expect(value["role"], str, f"{param}.role")
    parts = value.get("parts")
    if parts is None:
        return
    expect(parts, list, f"{param}.parts")
    at_most(len(parts), limits.parts_per_message, "parts_per_message", f"{param}.parts", "parts")
    for j, part in enumerate(parts):
        expect(part, dict, f"{param}.parts[{j}]")
        for key, kind in _PART_FIELDS:
            if key in part and (kind is dict or part[key] is not None):
                expect(part[key], kind, f"{param}.parts[{j}].{key}")


def _embed_content(value: object, param: str, limits: Limits) -> None:
    """`_content`, and a 400 naming the part when there is nothing to embed: no parts, or a part whose only data is
    an empty text (Google: "EmbedContentRequest.content contains an empty Part.", lingfengQAQ/webnovel-writer#49)."""
    _content(value, param, limits)
    parts = value.get("parts") or []
    if not parts:
        raise bad_request(f"'{param}.parts' must hold at least one part to embed", f"{param}.parts")
    for j, part in enumerate(parts):
        if part.get("text") == "" and len(part) == 1:
            raise bad_request(f"'{param}.parts[{j}].text' is empty; Gemini cannot embed an empty part", f"{param}.parts[{j}].text")


# Part fields the gateway itself reads (history normalisation, signatures): checked before it does. A null
# text is left to Google; a present functionCall or functionResponse must be an object.
_PART_FIELDS = (("text", str), ("thoughtSignature", str), ("functionCall", dict), ("functionResponse", dict))


def check_request(request: dict, limits: Limits, prefix: str = "") -> None:
    """Check the fields of a (normalised) GenerateContentRequest that the gateway reads or extends before the
    upstream sees it: contents, systemInstruction, tools, toolConfig, generationConfig, safetySettings,
    cachedContent, with the counts bounded by `limits`. The rest is Google's to judge. Raises GatewayError 400
    naming the field (`prefix` goes before it, e.g. "generateContentRequest.")."""
    for name in ("generationConfig", "tools", "toolConfig", "systemInstruction", "safetySettings"):
        if name in request and request[name] is None:
            del request[name]  # null means absent; the gateway may fill some of these in (model-name suffixes)
    contents = request.get("contents")
    if isinstance(contents, dict):
        request["contents"] = contents = [contents]
    if contents is not None:
        expect(contents, list, f"{prefix}contents")
        at_most(len(contents), limits.messages, "messages", f"{prefix}contents", "turns")
        for i, content in enumerate(contents):
            _content(content, f"{prefix}contents[{i}]", limits)
    system = request.get("systemInstruction")
    if system is not None:
        _content(system, f"{prefix}systemInstruction", limits)
    for name, kind in (("generationConfig", dict), ("toolConfig", dict), ("safetySettings", list), ("cachedContent", str)):
        if request.get(name) is not None:
            expect(request[name], kind, f"{prefix}{name}")
    if request.get("generationConfig") is not None:
        proto_numbers(request["generationConfig"])
        _check_ranges(request["generationConfig"], f"{prefix}generationConfig")
    tools = request.get("tools")
    if tools is not None:
        names: list[tuple[str, object]] = []
        for i, tool in enumerate(expect(tools, list, f"{prefix}tools")):
            expect(tool, dict, f"{prefix}tools[{i}]")
            decls = tool.get("functionDeclarations")
            if decls is not None:
                for j, decl in enumerate(expect(decls, list, f"{prefix}tools[{i}].functionDeclarations")):
                    at = f"{prefix}tools[{i}].functionDeclarations[{j}]"
                    names.append((f"{at}.name", expect(decl, dict, at).get("name")))
        at_most(max(len(names), len(tools)), limits.tools, "tools", f"{prefix}tools", "tools")
        _check_function_names(names)


def _check_ranges(config: dict, param: str) -> None:
    """A 400 naming the generationConfig field whose value is outside what Google accepts (`param_ranges`)."""
    for rule in GENERATION_RANGES:
        value = config.get(rule.field)
        if not rule.allows(value):  # a spelling that is no number is left for Google's own 400
            raise bad_request(f"'{param}.{rule.field}' must be between {rule.lo:g} and {rule.hi:g}, got {value}",
                              f"{param}.{rule.field}")
    stops = config.get("stopSequences")
    if stops is not None and len(expect(stops, list, f"{param}.stopSequences")) > MAX_STOP_SEQUENCES:
        raise bad_request(f"'{param}.stopSequences' holds {len(stops)} sequences; Gemini accepts at most "
                          f"{MAX_STOP_SEQUENCES}", f"{param}.stopSequences")


def _check_function_names(names: list[tuple[str, object]]) -> None:
    """A 400 naming the first declaration whose name Google refuses: malformed, or declared twice (`param_ranges`)."""
    for param, name in names:
        problem = function_name_problem(name)
        if problem:
            raise bad_request(f"'{param}' {str(name)[:80]!r} is not a valid function name: it {problem}", param)
    for i, name in duplicate_names([name for _, name in names]):
        raise bad_request(f"'{names[i][0]}' {name!r} is declared twice; Gemini refuses duplicate function "
                          "declarations (\"Duplicate function declaration found\"): give each function its own name",
                          names[i][0])


def parse_generate(
    body: object, model: str, *, stream: bool, sse: bool, limits: Limits = DEFAULT_LIMITS, prefix: str = ""
) -> Generation:
    """A GenerateContentRequest (the model travels in the URL, or in an envelope around `body` whose field
    `prefix` names, e.g. "request."); raises GatewayError 400 naming the field."""
    body = expect(body, dict, prefix.rstrip(".") or "body")
    request = normalise(body)
    request.pop("model", None)
    if request.get("contents") is None:
        raise bad_request(f"'{prefix}contents' is required: a list of {{role, parts}} turns", f"{prefix}contents")
    check_request(request, limits, prefix)
    return Generation(model, request, stream, GeminiReply(sse=sse))


def parse_count_tokens(body: object, model: str, limits: Limits = DEFAULT_LIMITS, prefix: str = "") -> Unary:
    """A CountTokensRequest: `contents`, or a whole `generateContentRequest` (whose model is set here); `prefix`
    as in `parse_generate`."""
    request = normalise(expect(body, dict, prefix.rstrip(".") or "body"))
    inner = request.get("generateContentRequest")
    if inner is not None:
        at = f"{prefix}generateContentRequest"
        check_request(expect(inner, dict, at), limits, f"{at}.")
    if not isinstance(inner, dict) and request.get("contents") is None:
        raise bad_request(f"'{prefix}contents' or '{prefix}generateContentRequest' is required", f"{prefix}contents")
    check_request(request, limits, prefix)

    def build(spec: ModelSpec) -> dict:
        if isinstance(inner, dict):
            inner["model"] = f"models/{spec.model}"
        return request

    return Unary(model, Capability.COUNT_TOKENS, build, _as_is)


def parse_embed(body: object, model: str, *, batch: bool, limits: Limits = DEFAULT_LIMITS) -> Unary:
    """An EmbedContentRequest, or a BatchEmbedContentsRequest whose requests get the URL's model; a request
    naming another model is a 400, as Google answers it ("model must be models/<id> as in the request URL")."""
    request = normalise(expect(body, dict, "body"))
    if batch:
        items = expect(request.get("requests"), list, "requests")
        at_most(len(items), limits.embedding_inputs, "embedding_inputs", "requests", "requests")
        for i, item in enumerate(items):
            expect(item, dict, f"requests[{i}]")
            _embed_content(item.get("content"), f"requests[{i}].content", limits)
    else:
        request.pop("model", None)
        _embed_content(request.get("content"), "content", limits)

    def build(spec: ModelSpec) -> dict:
        no_model_suffixes(spec, "embeddings")
        for i, item in enumerate(request.get("requests") or () if batch else ()):
            named = item.get("model")
            if named is not None and (not isinstance(named, str)
                                      or named.removeprefix("models/") not in (spec.requested, spec.model)):
                raise bad_request(
                    f"requests[{i}].model must be models/{spec.requested} as in the request URL", f"requests[{i}].model"
                )
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
        sse = stream and inp.query.get("alt") == "sse"
        return parse_generate(inp.body, model, stream=stream, sse=sse, limits=inp.limits)
    if action == "countTokens":
        return parse_count_tokens(inp.body, model, inp.limits)
    if action in ("embedContent", "batchEmbedContents"):
        return parse_embed(inp.body, model, batch=action == "batchEmbedContents", limits=inp.limits)
    raise GatewayError(404, f"Unknown method '{action}' on models/{model}. Supported: {', '.join(_ACTIONS)}")


