"""OpenAI Chat Completions request → Gemini GenerateContentRequest.

Everything a client can send is either translated or rejected with a 400 that names the field.
"""

from __future__ import annotations



from ...errors import bad_request
from ...gemini.args import has_typed_enums
from ...gemini.capabilities import ALL_LEVELS
from ...gemini.names import ToolNameMap
from ...gemini.param_ranges import CANDIDATE_COUNT, LOGPROBS, MAX_STOP_SEQUENCES
from ...gemini.schema import to_gemini_schema
from ...gemini.signatures import SignatureRef
from ...gemini.thinking import EFFORTS, ThinkingRequest
from ..base import Generation, MediaRef, ParseInput
from ..parts import gemini_request, sampling_config
from ..validate import expect, integer, no_unknown, number, one_of
from .chat_messages import chat_messages
from .chat_response import ChatReply
from .chat_tools import chat_tools
from .google_fields import google_settings

KNOWN_FIELDS = frozenset(
    {
        "model", "messages", "stream", "stream_options", "temperature", "top_p", "top_k", "n", "stop",
        "max_tokens", "max_completion_tokens", "presence_penalty", "frequency_penalty", "seed", "user",
        "tools", "tool_choice", "parallel_tool_calls", "functions", "function_call", "response_format",
        "reasoning_effort", "logprobs", "top_logprobs", "metadata", "store", "service_tier", "modalities",
        "safety_identifier", "prompt_cache_key", "verbosity", "web_search_options", "extra_body", "google",
        "logit_bias", "audio", "prediction", "prompt_cache_retention", "prompt_cache_options", "moderation",
    }
)  # fmt: skip
# Accepted and deliberately without effect: they describe bookkeeping on OpenAI's side (OpenAI's prompt cache,
# storage, billing tier, abuse tracking) or a knob Gemini lacks. README "Fields accepted without effect" lists them.
NO_EFFECT_FIELDS = frozenset(
    {
        "metadata", "store", "service_tier", "safety_identifier", "prompt_cache_key", "prompt_cache_retention",
        "prompt_cache_options", "user", "verbosity", "parallel_tool_calls",
    }
)  # fmt: skip
# Accepted only when empty (null, {} or []): anything else is a 400 saying why.
REFUSED_FIELDS = {
    "logit_bias": "Gemini has no per-token bias",
    "audio": "this endpoint answers in text only",
    "prediction": "Gemini has no predicted outputs",
    "moderation": "OpenAI's moderation models do not run here; Gemini applies its own safety filters",
}

# The keys of nested request objects (openai SDK ChatCompletionStreamOptionsParam, ResponseFormatJSONSchema and its
# JSONSchema); `include_obfuscation` and `strict` have no effect (Gemini pads no stream, and always follows a schema).
STREAM_OPTIONS = frozenset({"include_usage", "include_obfuscation"})
RESPONSE_FORMAT = frozenset({"type", "json_schema"})
WEB_SEARCH_OPTIONS = frozenset({"search_context_size", "user_location"})
JSON_SCHEMA = frozenset({"name", "description", "schema", "strict"})

# Fields read or accepted without being translated: still of their documented type, or a 400.
_SCALARS = {
    "parallel_tool_calls": bool, "store": bool, "user": str, "safety_identifier": str, "prompt_cache_key": str,
    "service_tier": str, "verbosity": str,
}  # fmt: skip
_EFFORT_ALIASES = {"xhigh": "max", "max": "max"}
# OpenAI's names (xhigh is its deepest) and the gateway's own `max`; every one is listed in the error.
_REASONING_EFFORTS = (*EFFORTS[:-1], "xhigh", "max")
# What gemini.request_rules names when a model refuses a parameter or a combination: this API's own fields.
REQUEST_RULE_NAMES = {
    "presencePenalty": "presence_penalty", "frequencyPenalty": "frequency_penalty", "responseLogprobs": "logprobs",
    "responseMimeType": "response_format", "candidateCount": "n", "functionDeclarations": "tools", "builtin": "web_search_options",
    "modeNone": "tool_choice \"none\"", "includeServerSideToolInvocations": "",
}  # fmt: skip
LEGACY_RULE_NAMES = {**REQUEST_RULE_NAMES, "functionDeclarations": "functions", "modeNone": "function_call \"none\""}


def parse_chat(inp: ParseInput) -> Generation:
    """A Chat Completions request body -> a Generation (Gemini GenerateContentRequest and its reply).

    Pure: image and file URLs become MediaRefs, replayed tool calls SignatureRefs. Raises GatewayError 400
    naming the field for anything Gemini cannot take. Source: platform.openai.com/docs/api-reference/chat.
    """
    body = expect(inp.body, dict, "body")
    no_unknown(body, KNOWN_FIELDS, "")
    for name, why in REFUSED_FIELDS.items():
        if body.get(name) not in (None, {}, []):
            raise bad_request(f"'{name}' is not supported by Gemini models ({why}); remove it", name)
    modalities = body.get("modalities")
    for i, modality in enumerate(expect(modalities, list, "modalities") if modalities is not None else ()):
        if expect(modality, str, f"modalities[{i}]") != "text":
            raise bad_request("'modalities' may only contain 'text' on this endpoint", "modalities")
    model = body.get("model")
    stream = bool(expect(body.get("stream", False) or False, bool, "stream"))
    options = body.get("stream_options") or {}
    no_unknown(expect(options, dict, "stream_options"), STREAM_OPTIONS, "stream_options")
    include_usage = bool(expect(options.get("include_usage") or False, bool, "stream_options.include_usage"))
    for name in ("web_search_options", "metadata"):
        if body.get(name) is not None:
            expect(body[name], dict, name)
    if body.get("web_search_options") is not None:  # platform.openai.com/docs/api-reference/chat/create
        no_unknown(body["web_search_options"], WEB_SEARCH_OPTIONS, "web_search_options")
    for name, kind in _SCALARS.items():
        if body.get(name) is not None:
            expect(body[name], kind, name)
    limits = inp.limits

    names = ToolNameMap(_tool_names(body))
    schemas: dict[str, dict] = {}
    tools, tool_config = chat_tools(body, names, schemas, limits)
    media: list[MediaRef] = []
    signatures: list[SignatureRef] = []
    contents, system = chat_messages(body.get("messages"), names, media, signatures, limits)
    notes: list[str] = []
    if body.get("web_search_options") is not None:
        tools = (tools or []) + [{"googleSearch": {}}]
        # Google Search takes no location or context size (ai.google.dev/api/caching#GoogleSearch): said, not hidden.
        notes += [f"web_search_options.{k} ignored (Google Search has no such setting)"
                  for k, v in body["web_search_options"].items() if v is not None]
    config = _generation_config(body, notes)
    gemini = gemini_request(contents, system, tools, tool_config, config)
    # The deprecated `functions` API is answered in its own shape: message.function_call, finish "function_call".
    legacy = body.get("tools") is None and body.get("functions") is not None
    fmt = body.get("response_format") or {}
    answer_schema = (fmt.get("json_schema") or {}).get("schema") if fmt.get("type") == "json_schema" else None
    reply = ChatReply(
        model if isinstance(model, str) else "", names, schemas, include_usage, stream, legacy_functions=legacy,
        n=config.get("candidateCount", 1),
        response_schema=answer_schema if has_typed_enums(answer_schema) else None,
    )
    rule_names = LEGACY_RULE_NAMES if legacy else REQUEST_RULE_NAMES
    return Generation(model, gemini, stream, reply, _thinking(body), media, signatures, tuple(notes), names=rule_names)


def _tool_names(body: dict) -> list[str]:
    """Every tool name the request declares or replays, so valid ones are claimed before any is renamed."""
    found: list = []
    declared = body.get("tools") or body.get("functions")
    for tool in declared if isinstance(declared, list) else ():
        if isinstance(tool, dict):
            fn = tool.get("function") if "function" in tool else tool
            found.append(fn.get("name") if isinstance(fn, dict) else None)
    messages = body.get("messages")
    for msg in messages if isinstance(messages, list) else ():
        if not isinstance(msg, dict) or msg.get("role") not in ("assistant", "function"):
            continue
        if msg.get("role") == "function":
            found.append(msg.get("name"))
        calls = msg.get("tool_calls")
        for call in calls if isinstance(calls, list) else ():
            fn = call.get("function") if isinstance(call, dict) else None
            found.append(fn.get("name") if isinstance(fn, dict) else None)
        if isinstance(msg.get("function_call"), dict):
            found.append(msg["function_call"].get("name"))
    return [n for n in found if isinstance(n, str)]


def _seed(seed: int, notes: list[str]) -> int:
    """An OpenAI seed (int64) as Gemini's (int32: Google's proto parser refuses a value outside it, proto3 JSON
    mapping), wrapped two's-complement so every seed still picks one fixed value; a wrapped one is noted."""
    wrapped = (seed + (1 << 31)) % (1 << 32) - (1 << 31)
    if wrapped != seed:
        notes.append(f"seed={wrapped} (asked {seed}: Gemini's seed is a 32-bit integer; the value wraps around)")
    return wrapped


def _generation_config(body: dict, notes: list[str]) -> dict:
    """Gemini's generationConfig from the sampling, length, logprobs and response_format fields; a value the
    gateway had to change is said in `notes` (the X-Gemgate-Adjusted header)."""
    config = sampling_config(body)
    for name in ("max_completion_tokens", "max_tokens"):
        if body.get(name) is not None:
            config["maxOutputTokens"] = integer(body[name], name, 1)
            break
    stop = body.get("stop")
    if stop is not None:
        stops = [stop] if isinstance(stop, str) else expect(stop, list, "stop")
        for i, s in enumerate(stops):
            expect(s, str, f"stop[{i}]")
        if len(stops) > MAX_STOP_SEQUENCES:
            raise bad_request(f"'stop' accepts at most {MAX_STOP_SEQUENCES} sequences", "stop")
        if stops:
            config["stopSequences"] = stops
    if body.get("n") is not None:
        n = integer(body["n"], "n", *CANDIDATE_COUNT.bounds)
        if n > 1:
            config["candidateCount"] = n
    if body.get("seed") is not None:
        config["seed"] = _seed(integer(body["seed"], "seed", -(1 << 63), (1 << 63) - 1), notes)
    if body.get("presence_penalty") is not None:
        config["presencePenalty"] = number(body["presence_penalty"], "presence_penalty", -2, 2)
    if body.get("frequency_penalty") is not None:
        config["frequencyPenalty"] = number(body["frequency_penalty"], "frequency_penalty", -2, 2)
    logprobs = expect(body.get("logprobs") or False, bool, "logprobs")
    top_logprobs = body.get("top_logprobs")
    if top_logprobs is not None:
        integer(top_logprobs, "top_logprobs", *LOGPROBS.bounds)
        if not logprobs:  # OpenAI's own refusal (IBM/unitxt PR #1193 quotes it)
            raise bad_request("The 'top_logprobs' parameter is only allowed when 'logprobs' is enabled.", "top_logprobs")
    if logprobs:
        config["responseLogprobs"] = True
        if top_logprobs is not None:
            config["logprobs"] = top_logprobs
    fmt = body.get("response_format")
    if fmt is not None:
        no_unknown(expect(fmt, dict, "response_format"), RESPONSE_FORMAT, "response_format")
        kind = one_of(fmt.get("type"), ("text", "json_object", "json_schema"), "response_format.type")
        if kind == "json_object":
            config["responseMimeType"] = "application/json"
        elif kind == "json_schema":
            js = expect(fmt.get("json_schema"), dict, "response_format.json_schema")
            no_unknown(js, JSON_SCHEMA, "response_format.json_schema")
            config.update(json_schema_config(js.get("schema"), "response_format.json_schema.schema"))
    return config


def json_schema_config(raw: object, param: str) -> dict:
    """generationConfig fields for JSON answers following the JSON Schema `raw` (None: any JSON) at request
    field `param`: responseMimeType and, unless the schema allows any value, responseSchema."""
    config: dict = {"responseMimeType": "application/json"}
    if raw is not None:
        expect(raw, dict, param)
    # Any root (array, enum, union ...) is kept; only a schema allowing any JSON value gives None.
    schema = to_gemini_schema(raw, response=True)
    if schema:
        config["responseSchema"] = schema
    return config


def reasoning_effort(raw: object, param: str) -> str:
    """The gateway's effort name for an OpenAI reasoning effort (none, minimal, low, medium, high, xhigh; and
    the gateway's own max). Raises GatewayError 400 listing them."""
    raw = expect(raw, str, param)
    return _EFFORT_ALIASES.get(one_of(raw, _REASONING_EFFORTS, param), raw)


def _thinking(body: dict) -> ThinkingRequest:
    """What `reasoning_effort` and Google's `extra_body.google.thinking_config` ask (tokens for budgets)."""
    effort = None
    budget = None
    level = None
    include = None
    if body.get("reasoning_effort") is not None:
        effort = reasoning_effort(body["reasoning_effort"], "reasoning_effort")
    tc = google_settings(body).get("thinking_config")
    if tc is not None:
        if tc.get("thinking_budget") is not None:
            budget = integer(tc["thinking_budget"], "google.thinking_config.thinking_budget", -1)
            effort = None
        if tc.get("thinking_level") is not None:
            if budget is not None:  # Google: "You can only set only one of thinking budget and thinking level."
                raise bad_request("set only one of thinking_budget and thinking_level, not both", "google.thinking_config")
            level = expect(tc["thinking_level"], str, "google.thinking_config.thinking_level")
            one_of(level.upper(), ALL_LEVELS, "google.thinking_config.thinking_level")
            effort = None
        if tc.get("include_thoughts") is not None:
            include = expect(tc["include_thoughts"], bool, "google.thinking_config.include_thoughts")
    param = None
    if budget is not None:
        param = "google.thinking_config.thinking_budget"
    elif level is not None:
        param = "google.thinking_config.thinking_level"
    if param and body.get("reasoning_effort") is not None:
        # Google's OpenAI layer: "reasoning_effort and thinking_budget overlap functionality, so they can't be used
        # at the same time" (ai.google.dev/gemini-api/docs/openai); one would be ignored.
        raise bad_request(f"set either reasoning_effort or {param.rsplit('.', 1)[-1]}, not both", "reasoning_effort")
    return ThinkingRequest(effort=effort, budget=budget, include_thoughts=include, param=param, level=level)
