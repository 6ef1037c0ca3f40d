"""Semantic checks Google applies to a (parsed, camelCase) GenerateContentRequest.

Field checks are gathered into one ``* <path>: <problem>\\n`` list as Google
does; conversation and thinking rules fail with their own single message.
"""

from __future__ import annotations

from typing import Any, Mapping

from gemgate.gemini.param_ranges import (
    FUNCTION_NAME_RE,
    GENERATION_RANGES,
    MAX_FUNCTION_NAME_LENGTH,
    MAX_STOP_SEQUENCES,
    duplicate_names,
)
from gemgate.testing.gemini_errors import GoogleApiError
from gemgate.testing.gemini_fields import PART_DATA_FIELDS, to_snake
from gemgate.testing.model_traits import bare_model_id, feature_traits, is_gemini3, thinking_traits
from gemgate.testing.thought_signatures import ThoughtSigner

# The Gemini API's rule and wording (sources at gemini.param_ranges [fd]: 64 there; 128 is Vertex AI's).
INVALID_FUNCTION_NAME = (
    "Invalid function name. Must start with a letter or an underscore. Must be alphameric "
    "(a-z, A-Z, 0-9), underscores (_), dots (.), colons (:), or dashes (-), with a maximum "
    f"length of {MAX_FUNCTION_NAME_LENGTH}."
)
# Two declarations of one name (gemini.param_ranges [dup]).
DUPLICATE_FUNCTION = "Duplicate function declaration found: {name}"
ALLOWED_MIME_TYPES = ("text/plain", "application/json", "application/xml", "application/yaml", "text/x.enum")
INVALID_ROLE = "Please use a valid role: user, model."
# A functionResponse turn not right after the model turn with the calls (langchain-ai/langchain issue #27799;
# GoogleCloudPlatform/generative-ai PR #368; google-gemini/deprecated-generative-ai-js issue #267).
RESPONSE_AFTER_CALL = "Please ensure that function response turn comes immediately after a function call turn."
# A functionCall turn that is first, or follows a model turn (google-gemini/gemini-cli issues #11814, #26486).
CALL_AFTER_USER = (
    "Please ensure that function call turn comes immediately after a user turn or after a function response turn."
)
# Responses and calls of the pair differ in number (google-gemini/gemini-cli issues #4217, #17208).
RESPONSE_COUNT = (
    "Please ensure that the number of function response parts is equal to the number of function "
    "call parts of the function call turn."
)
CORRUPTED_SIGNATURE = "Corrupted thought signature."
# An empty text part anywhere in the request (google-gemini/deprecated-generative-ai-python issue #697;
# glowingjade/obsidian-smart-composer issue #218, from generativelanguage.googleapis.com; microsoft/autogen
# issue #5762). Google emits `{"text": "", "thoughtSignature": ...}` itself, so a part with a signature passes.
EMPTY_TEXT = (
    "Unable to submit request because it has an empty text parameter. Add a value to the parameter and try "
    "again. Learn more: https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/gemini"
)
# A request of one turn whose role is "model" (microsoft/semantic-kernel issue #13262, gemini-2.5-flash).
SINGLE_TURN_ROLE = "Please ensure that single turn requests end with a user role or the role field is empty."
# Google's thinking messages, as public reports quote them:
# both set: sterlp/eclipse-peon-ai#115 (2026); budget 0 on Pro: snailyp/gemini-balance#206 (2025);
# out of range: earendil-works/pi#2838 (2026, "The thinking budget 128 is invalid. Please choose a value
# between 512 and 24576." on 2.5 Flash-Lite; an older wording was "The thinking budget (52428) is invalid.").
BUDGET_AND_LEVEL = "You can only set only one of thinking budget and thinking level."
LEVEL_UNSUPPORTED = "Thinking level is not supported for this model."
ONLY_THINKING_MODE = "Budget 0 is invalid. This model only works in thinking mode."

# What a family refuses (sources at model_traits.feature_traits). Penalties: PublicAffairs/openai-gemini#63
# ("Penalty is not enabled for models/gemini-2.5-flash-preview-05-20"); a penalty of 0.0 sent to 2.5 Flash drew
# no error in router-for-me/CLIProxyAPI#247, so only a non-zero one is refused. Logprobs: langchain-ai/langchain-google#1266, googleapis/
# python-genai#1921. JSON + functions: google/adk-python#5735, symfony/ai#1777 (not with mode NONE). Built-in
# tool + functions: withceleste/celeste-python#197. 3.x without the flag, and the flag on 2.x: prism-php/
# prism#972 (quoting the start of Google's message). Built-in tool + JSON: snailyp/gemini-balance#264.
JSON_WITH_FUNCTIONS = "Function calling with a response mime type: 'application/json' is unsupported"
# More than one candidate on 3.x: googleapis/js-genai#1609 (2026-05), googleapis/python-genai#1723.
MULTIPLE_CANDIDATES = "Multiple candidates is not enabled for this model"
TOOL_WITH_FUNCTIONS = "Tool use with function calling is unsupported by the model."
TOOL_WITH_JSON = "Tool use with a response mime type: 'application/json' is unsupported"
ENABLE_SERVER_SIDE_TOOLS = "Please enable tool_config.include_server_side_tool_invocations"
BUILTIN_TOOLS = ("googleSearch", "googleSearchRetrieval", "codeExecution", "urlContext", "googleMaps", "fileSearch")


def not_enabled(feature: str, model: str) -> str:
    """Google's "<feature> is not enabled for models/<id>" (Penalty, Logprobs, Tool call context circulation)."""
    return f"{feature} is not enabled for models/{bare_model_id(model)}"


def budget_out_of_range(budget: object, low: int, high: int) -> str:
    """Google's message for a thinkingBudget outside the model's range."""
    return f"The thinking budget {budget} is invalid. Please choose a value between {low} and {high}."


def out_of_range(field: str, value: object, lo: float, hi: float, integer: bool = True) -> str:
    """Google's message for a generationConfig number outside lo..hi. Quoted for integers: maxOutputTokens
    (stackblitz-labs/bolt.diy#955 "... value of 655360 but the supported range is from 1 (inclusive) to 8193
    (exclusive)" on 2.0 Flash; BerriAI/litellm#10548 on 2.5 Pro) and candidateCount (googleapis/python-aiplatform
    #3603 "has a candidateCount value of 2 but the supported range is fro[m ...]"). For a float field (temperature,
    topP) the same sentence with an inclusive upper bound: the fake's own wording, no report quotes Google's."""
    upper = f"{hi + 1} (exclusive)" if integer else f"{hi} (inclusive)"
    return (f"Unable to submit request because it has a {field} value of {value} but the supported range "
            f"is from {lo} (inclusive) to {upper}. Update the value and try again.")


def max_output_tokens_out_of_range(value: object, limit: int) -> str:
    """Google's message for maxOutputTokens outside 1..the model's outputTokenLimit (see `out_of_range`)."""
    return out_of_range("maxOutputTokens", value, 1, limit)


def missing_signature_message(name: str, position: int) -> str:
    return (
        "Function call is missing a thought_signature in functionCall parts. This is required for tools "
        "to work correctly, and missing thought_signature may lead to degraded model performance. "
        f"Additional data, function call `default_api:{name}` , position {position}. Please refer to "
        "https://ai.google.dev/gemini-api/docs/thought-signatures for more details."
    )


def validate_generate_request(
    request: Mapping[str, Any], model: str, signer: ThoughtSigner, prefix: str = "GenerateContentRequest",
    output_token_limit: int | None = None,
) -> None:
    problems = _field_problems(request)
    if problems:
        raise GoogleApiError(400, "".join(f"* {prefix}.{p}\n" for p in problems))
    contents = request.get("contents") or []
    _check_ranges(request.get("generationConfig") or {})
    _check_duplicates(request)
    _check_empty_text(request)
    _check_roles(contents)
    _check_function_turns(contents)
    _check_features(request, model)
    _check_thinking(request.get("generationConfig") or {}, model)
    most = (request.get("generationConfig") or {}).get("maxOutputTokens")
    if output_token_limit and isinstance(most, int) and not 1 <= most <= output_token_limit:
        raise GoogleApiError(400, max_output_tokens_out_of_range(most, output_token_limit))
    _check_signatures(contents, model, signer)


def _field_problems(request: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    contents = request.get("contents") or []
    if not contents:
        out.append("contents: contents is not specified")
    for i, content in enumerate(contents):
        _content_problems(content, f"contents[{i}]", out)
    if request.get("systemInstruction"):
        _content_problems(request["systemInstruction"], "system_instruction", out, allow_empty=True)
    for t, tool in enumerate(request.get("tools") or []):
        for d, decl in enumerate(tool.get("functionDeclarations") or []):
            _declaration_problems(decl, f"tools[{t}].function_declarations[{d}]", out)
    gen = request.get("generationConfig") or {}
    # "up to 5" (GenerationConfig docs, gemini.param_ranges [gc]); the line's wording is the fake's own.
    if len(gen.get("stopSequences") or []) > MAX_STOP_SEQUENCES:
        out.append(f"generation_config.stop_sequences: at most {MAX_STOP_SEQUENCES} stop sequences are allowed.")
    mime = gen.get("responseMimeType")
    if mime is not None and mime not in ALLOWED_MIME_TYPES:
        out.append("generation_config.response_mime_type: allowed mimetypes are `text/plain`, "
                   "`application/json`, `application/xml`, `application/yaml` and `text/x.enum`.")
    # "If [responseJsonSchema] is set, responseSchema must be omitted" (ai.google.dev/api/generate-content
    # #GenerationConfig); the wording is the one Google uses for a declaration's two schemas.
    if "responseSchema" in gen and "responseJsonSchema" in gen:
        out.append("generation_config.response_schema: response_schema and response_json_schema cannot both be set.")
    if isinstance(gen.get("responseSchema"), dict):
        _schema_problems(gen["responseSchema"], "generation_config.response_schema", out)
    return out


def _content_problems(content: Mapping[str, Any], path: str, out: list[str], allow_empty: bool = False) -> None:
    parts = content.get("parts") or []
    if not parts and not allow_empty:
        out.append(f"{path}.parts: contents.parts must not be empty.")
    for j, part in enumerate(parts):
        if not any(k in part for k in PART_DATA_FIELDS):
            out.append(f"{path}.parts[{j}].data: required oneof field 'data' must have one initialized field")


def _declaration_problems(decl: Mapping[str, Any], path: str, out: list[str]) -> None:
    if not FUNCTION_NAME_RE.fullmatch(decl.get("name") or ""):
        out.append(f"{path}.name: {INVALID_FUNCTION_NAME}")
    for plain, json_schema in (("parameters", "parametersJsonSchema"), ("response", "responseJsonSchema")):
        if plain in decl and json_schema in decl:
            out.append(f"{path}.{plain}: {plain} and {to_snake(json_schema)} cannot both be set.")
        if isinstance(decl.get(plain), dict):
            _schema_problems(decl[plain], f"{path}.{plain}", out)


def _schema_problems(schema: Mapping[str, Any], path: str, out: list[str]) -> None:
    kind = schema.get("type")
    props = schema.get("properties")
    if kind == "OBJECT" and props is not None and not props:
        out.append(f"{path}.properties: should be non-empty for OBJECT type")
    if kind == "ARRAY" and not schema.get("items"):
        out.append(f"{path}.items: missing field.")
    for i, name in enumerate(schema.get("required") or []):
        if name not in (props or {}):
            out.append(f"{path}.required[{i}]: property is not defined")
    for name, sub in (props or {}).items():
        if isinstance(sub, dict):
            _schema_problems(sub, f"{path}.properties[{name}]", out)
    if isinstance(schema.get("items"), dict):
        _schema_problems(schema["items"], f"{path}.items", out)
    for i, sub in enumerate(schema.get("anyOf") or []):
        if isinstance(sub, dict):
            _schema_problems(sub, f"{path}.any_of[{i}]", out)


def _check_ranges(gen: Mapping[str, Any]) -> None:
    for rule in GENERATION_RANGES:  # gemini.param_ranges, sources there
        value = gen.get(rule.field)
        if not rule.allows(value):
            raise GoogleApiError(400, out_of_range(rule.field, value, rule.lo, rule.hi, rule.integer))


def _check_duplicates(request: Mapping[str, Any]) -> None:
    names = [d.get("name") for t in request.get("tools") or [] for d in t.get("functionDeclarations") or []]
    for _, name in duplicate_names(names)[:1]:
        raise GoogleApiError(400, DUPLICATE_FUNCTION.format(name=name))


def _check_empty_text(request: Mapping[str, Any]) -> None:
    turns = list(request.get("contents") or [])
    if isinstance(request.get("systemInstruction"), dict):
        turns.append(request["systemInstruction"])
    for content in turns:
        for part in content.get("parts") or []:
            if part.get("text") == "" and not part.get("thoughtSignature"):
                raise GoogleApiError(400, EMPTY_TEXT)


def _check_roles(contents: list[Mapping[str, Any]]) -> None:
    for content in contents:
        if content.get("role") not in (None, "", "user", "model"):
            raise GoogleApiError(400, INVALID_ROLE)
    if len(contents) == 1 and contents[0].get("role") == "model":
        raise GoogleApiError(400, SINGLE_TURN_ROLE)


def _check_function_turns(contents: list[Mapping[str, Any]]) -> None:
    # Function responses answer the calls of the model turn right before them, one response per call; a
    # response anywhere else is RESPONSE_AFTER_CALL, a count that differs RESPONSE_COUNT; a call turn must
    # follow a user turn (CALL_AFTER_USER). Sources at the messages.
    for i, content in enumerate(contents):
        if content.get("role") == "model" and any("functionCall" in p for p in content.get("parts") or []):
            if i == 0 or contents[i - 1].get("role") == "model":
                raise GoogleApiError(400, CALL_AFTER_USER)
        responses = [p for p in content.get("parts") or [] if "functionResponse" in p]
        if not responses or content.get("role") == "model":
            continue
        previous = contents[i - 1] if i else {}
        calls = [p for p in previous.get("parts") or [] if "functionCall" in p]
        if previous.get("role") != "model" or not calls:
            raise GoogleApiError(400, RESPONSE_AFTER_CALL)
        if len(calls) != len(responses):
            raise GoogleApiError(400, RESPONSE_COUNT)


def _check_features(request: Mapping[str, Any], model: str) -> None:
    traits = feature_traits(model)
    gen = request.get("generationConfig") or {}
    if not traits.penalties and any(gen.get(k) for k in ("presencePenalty", "frequencyPenalty")):
        raise GoogleApiError(400, not_enabled("Penalty", model))
    if not traits.candidates and (gen.get("candidateCount") or 1) > 1:
        raise GoogleApiError(400, MULTIPLE_CANDIDATES)
    if not traits.logprobs and gen.get("responseLogprobs"):
        raise GoogleApiError(400, not_enabled("Logprobs", model))
    tools = request.get("tools") or []
    functions = any(t.get("functionDeclarations") for t in tools)
    builtin = any(k in t for t in tools for k in BUILTIN_TOOLS)
    tool_config = request.get("toolConfig") or {}
    mode = (tool_config.get("functionCallingConfig") or {}).get("mode")
    json_out = gen.get("responseMimeType") == "application/json"
    if json_out and functions and mode != "NONE" and not traits.json_with_functions:
        raise GoogleApiError(400, JSON_WITH_FUNCTIONS)
    if json_out and builtin and not traits.json_with_builtin:
        raise GoogleApiError(400, TOOL_WITH_JSON)
    flag = tool_config.get("includeServerSideToolInvocations")
    if flag is not None and traits.builtin_with_functions != "flag":
        raise GoogleApiError(400, not_enabled("Tool call context circulation", model))
    if builtin and functions and traits.builtin_with_functions == "no":
        raise GoogleApiError(400, TOOL_WITH_FUNCTIONS)
    if builtin and functions and traits.builtin_with_functions == "flag" and flag is not True:
        raise GoogleApiError(400, ENABLE_SERVER_SIDE_TOOLS)


def _check_thinking(gen: Mapping[str, Any], model: str) -> None:
    cfg = gen.get("thinkingConfig")
    if not cfg:
        return
    traits = thinking_traits(model)
    budget, level = cfg.get("thinkingBudget"), cfg.get("thinkingLevel")
    if budget is not None and level is not None:
        raise GoogleApiError(400, BUDGET_AND_LEVEL)
    if level is not None:
        if not traits.uses_levels:
            raise GoogleApiError(400, LEVEL_UNSUPPORTED)
        if level not in traits.levels:
            raise GoogleApiError(400, f"Thinking level {level} is not supported for this model.")
    if not traits.supported:
        if cfg.get("includeThoughts") or (budget is not None and budget != 0):
            raise GoogleApiError(400, f"Thinking is not enabled for models/{bare_model_id(model)}")
        return
    if budget is None:
        return
    if budget == 0 and not traits.can_disable:
        raise GoogleApiError(400, ONLY_THINKING_MODE)
    # -1 is dynamic, 0 turns thinking off where allowed, otherwise min..max (ai.google.dev/gemini-api/docs/thinking).
    if budget not in (-1, 0) and not traits.min_budget <= budget <= traits.max_budget:
        raise GoogleApiError(400, budget_out_of_range(budget, traits.min_budget, traits.max_budget))


def _check_signatures(contents: list[Mapping[str, Any]], model: str, signer: ThoughtSigner) -> None:
    for content in contents:
        for part in content.get("parts") or []:
            signature = part.get("thoughtSignature")
            if signature is not None and not signer.accepts(signature):
                raise GoogleApiError(400, CORRUPTED_SIGNATURE)
    if not is_gemini3(model):
        return
    # The "active loop": everything after the last user turn that is not only tool results.
    start = 0
    for i, content in enumerate(contents):
        parts = content.get("parts") or []
        if content.get("role") != "model" and any("functionResponse" not in p for p in parts):
            start = i + 1
    for i in range(start, len(contents)):
        if contents[i].get("role") != "model":
            continue
        first_call = next((p for p in contents[i].get("parts") or [] if "functionCall" in p), None)
        if first_call is not None and "thoughtSignature" not in first_call:
            raise GoogleApiError(400, missing_signature_message(first_call["functionCall"].get("name", ""), i + 1))


# An embedding request whose content has no part or an empty text part: "EmbedContentRequest.content contains
# an empty Part." (lingfengQAQ/webnovel-writer issue #49 and PR #51, through Google's OpenAI endpoint for
# `input: ""`). The batch form's path is the fake's own, in Google's field-list style.
def empty_embed_content(request: Mapping[str, Any], where: str) -> str | None:
    """Google's problem line for an empty embedding content, or None."""
    parts = (request.get("content") or {}).get("parts") or []
    if not parts or any(part.get("text") == "" and not any(k in part for k in PART_DATA_FIELDS if k != "text")
                        for part in parts):
        return f"* {where}.content: contains an empty Part.\n"
    return None
