"""Proto-JSON parsing of Gemini API request bodies, as Google's front end does it.

Every known field is accepted in camelCase and snake_case and normalised to
camelCase; an unknown name, a wrong scalar type or a list where a single value
belongs is an error with Google's wording. Free-form payloads (functionCall.args,
functionResponse.response, *JsonSchema, example/default) pass through untouched.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from gemgate.testing.gemini_errors import bad_request
from gemgate.testing.thought_signatures import decode_proto_bytes

_PKG = "type.googleapis.com/google.ai.generativelanguage.v1beta."
PART_DATA_FIELDS = ("text", "inlineData", "fileData", "functionCall", "functionResponse",
                    "executableCode", "codeExecutionResult")


@dataclass(frozen=True)
class F:
    kind: str  # message | enum | string | int | float | bool | bytes | struct | value
    ref: str = ""  # message/enum name, or the scalar's proto type for error text
    repeated: bool = False
    map: bool = False


def _msg(name: str, repeated: bool = False, map_: bool = False) -> F:
    return F("message", name, repeated, map_)


S, I, FL, B, BY = F("string"), F("int", "TYPE_INT32"), F("float", "TYPE_FLOAT"), F("bool"), F("bytes")
I64, DBL, STRUCT, VALUE = F("int", "TYPE_INT64"), F("float", "TYPE_DOUBLE"), F("struct"), F("value")
STRINGS = F("string", repeated=True)

ENUMS: dict[str, tuple[str, ...]] = {
    "Type": ("TYPE_UNSPECIFIED", "STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT", "NULL"),
    "GenerationConfig.ThinkingConfig.ThinkingLevel": (
        "THINKING_LEVEL_UNSPECIFIED", "MINIMAL", "LOW", "MEDIUM", "HIGH"),
    "FunctionCallingConfig.Mode": ("MODE_UNSPECIFIED", "AUTO", "ANY", "NONE", "VALIDATED"),
    "FunctionDeclaration.Behavior": ("UNSPECIFIED", "BLOCKING", "NON_BLOCKING"),
    "FunctionResponse.Scheduling": ("SCHEDULING_UNSPECIFIED", "SILENT", "WHEN_IDLE", "INTERRUPT"),
    "ExecutableCode.Language": ("LANGUAGE_UNSPECIFIED", "PYTHON"),
    "CodeExecutionResult.Outcome": (
        "OUTCOME_UNSPECIFIED", "OUTCOME_OK", "OUTCOME_FAILED", "OUTCOME_DEADLINE_EXCEEDED"),
    "GenerationConfig.Modality": ("MODALITY_UNSPECIFIED", "TEXT", "IMAGE", "AUDIO"),
    "GenerationConfig.MediaResolution": (
        "MEDIA_RESOLUTION_UNSPECIFIED", "MEDIA_RESOLUTION_LOW", "MEDIA_RESOLUTION_MEDIUM",
        "MEDIA_RESOLUTION_HIGH"),
    "HarmCategory": (
        "HARM_CATEGORY_UNSPECIFIED", "HARM_CATEGORY_DEROGATORY", "HARM_CATEGORY_TOXICITY",
        "HARM_CATEGORY_VIOLENCE", "HARM_CATEGORY_SEXUAL", "HARM_CATEGORY_MEDICAL",
        "HARM_CATEGORY_DANGEROUS", "HARM_CATEGORY_HARASSMENT", "HARM_CATEGORY_HATE_SPEECH",
        "HARM_CATEGORY_SEXUALLY_EXPLICIT", "HARM_CATEGORY_DANGEROUS_CONTENT",
        "HARM_CATEGORY_CIVIC_INTEGRITY"),
    "SafetySetting.HarmBlockThreshold": (
        "HARM_BLOCK_THRESHOLD_UNSPECIFIED", "BLOCK_LOW_AND_ABOVE", "BLOCK_MEDIUM_AND_ABOVE",
        "BLOCK_ONLY_HIGH", "BLOCK_NONE", "OFF"),
    "TaskType": (
        "TASK_TYPE_UNSPECIFIED", "RETRIEVAL_QUERY", "RETRIEVAL_DOCUMENT", "SEMANTIC_SIMILARITY",
        "CLASSIFICATION", "CLUSTERING", "QUESTION_ANSWERING", "FACT_VERIFICATION", "CODE_RETRIEVAL_QUERY"),
}

MESSAGES: dict[str, dict[str, F]] = {
    "GenerateContentRequest": {
        "model": S, "contents": _msg("Content", True), "systemInstruction": _msg("Content"),
        "tools": _msg("Tool", True), "toolConfig": _msg("ToolConfig"),
        "safetySettings": _msg("SafetySetting", True), "generationConfig": _msg("GenerationConfig"),
        "cachedContent": S,
    },
    "Content": {"role": S, "parts": _msg("Part", True)},
    "Part": {
        "text": S, "inlineData": _msg("Blob"), "fileData": _msg("FileData"),
        "functionCall": _msg("FunctionCall"), "functionResponse": _msg("FunctionResponse"),
        "executableCode": _msg("ExecutableCode"), "codeExecutionResult": _msg("CodeExecutionResult"),
        "thought": B, "thoughtSignature": BY, "videoMetadata": _msg("VideoMetadata"),
        "partMetadata": STRUCT, "mediaResolution": VALUE,
    },
    "Blob": {"mimeType": S, "data": BY},
    "FileData": {"mimeType": S, "fileUri": S},
    "VideoMetadata": {"startOffset": S, "endOffset": S, "fps": DBL},
    "FunctionCall": {"id": S, "name": S, "args": STRUCT},
    "FunctionResponse": {
        "id": S, "name": S, "response": STRUCT, "willContinue": B,
        "scheduling": F("enum", "FunctionResponse.Scheduling"), "parts": _msg("FunctionResponsePart", True),
    },
    "FunctionResponsePart": {"inlineData": _msg("Blob")},
    "ExecutableCode": {"language": F("enum", "ExecutableCode.Language"), "code": S},
    "CodeExecutionResult": {"outcome": F("enum", "CodeExecutionResult.Outcome"), "output": S},
    "Tool": {
        "functionDeclarations": _msg("FunctionDeclaration", True), "googleSearchRetrieval": STRUCT,
        "codeExecution": STRUCT, "googleSearch": STRUCT, "urlContext": STRUCT, "computerUse": STRUCT,
        "fileSearch": STRUCT, "googleMaps": STRUCT,
    },
    "FunctionDeclaration": {
        "name": S, "description": S, "behavior": F("enum", "FunctionDeclaration.Behavior"),
        "parameters": _msg("Schema"), "parametersJsonSchema": VALUE,
        "response": _msg("Schema"), "responseJsonSchema": VALUE,
    },
    "Schema": {
        "type": F("enum", "Type"), "format": S, "title": S, "description": S, "nullable": B,
        "enum": STRINGS, "maxItems": I64, "minItems": I64, "properties": _msg("Schema", map_=True),
        "required": STRINGS, "minProperties": I64, "maxProperties": I64, "minLength": I64,
        "maxLength": I64, "pattern": S, "example": VALUE, "anyOf": _msg("Schema", True),
        "propertyOrdering": STRINGS, "default": VALUE, "items": _msg("Schema"),
        "minimum": DBL, "maximum": DBL,
    },
    # includeServerSideToolInvocations: ai.google.dev/gemini-api/docs/tool-combination (tool_config field).
    "ToolConfig": {"functionCallingConfig": _msg("FunctionCallingConfig"), "retrievalConfig": STRUCT,
                   "includeServerSideToolInvocations": B},
    "FunctionCallingConfig": {
        "mode": F("enum", "FunctionCallingConfig.Mode"), "allowedFunctionNames": STRINGS},
    "SafetySetting": {
        "category": F("enum", "HarmCategory"), "threshold": F("enum", "SafetySetting.HarmBlockThreshold")},
    "GenerationConfig": {
        "candidateCount": I, "stopSequences": STRINGS, "maxOutputTokens": I, "temperature": FL,
        "topP": FL, "topK": I, "seed": I, "responseMimeType": S, "responseSchema": _msg("Schema"),
        "responseJsonSchema": VALUE, "presencePenalty": FL, "frequencyPenalty": FL,
        "responseLogprobs": B, "logprobs": I, "enableEnhancedCivicAnswers": B,
        "responseModalities": F("enum", "GenerationConfig.Modality", True), "speechConfig": STRUCT,
        "thinkingConfig": _msg("ThinkingConfig"),
        "mediaResolution": F("enum", "GenerationConfig.MediaResolution"), "imageConfig": STRUCT,
    },
    "ThinkingConfig": {
        "includeThoughts": B, "thinkingBudget": I,
        "thinkingLevel": F("enum", "GenerationConfig.ThinkingConfig.ThinkingLevel"),
    },
    "CountTokensRequest": {
        "contents": _msg("Content", True), "generateContentRequest": _msg("GenerateContentRequest")},
    "EmbedContentRequest": {
        "model": S, "content": _msg("Content"), "taskType": F("enum", "TaskType"), "title": S,
        "outputDimensionality": I,
    },
    "BatchEmbedContentsRequest": {"requests": _msg("EmbedContentRequest", True)},
}


def to_snake(name: str) -> str:
    return re.sub(r"([A-Z])", r"_\1", name).lower()


_LOOKUP = {
    type_name: {**{to_snake(k): (k, f) for k, f in fields.items()}, **{k: (k, f) for k, f in fields.items()}}
    for type_name, fields in MESSAGES.items()
}


def register_messages(types: dict[str, dict[str, F]]) -> None:
    """Add message types (e.g. another API's envelope around GenerateContentRequest) to the parser."""
    MESSAGES.update(types)
    for type_name, fields in types.items():
        _LOOKUP[type_name] = {**{to_snake(k): (k, f) for k, f in fields.items()}, **{k: (k, f) for k, f in fields.items()}}


def parse_request(body: Any, type_name: str) -> dict[str, Any]:
    """Normalise `body` to camelCase or raise the 400 Google would send."""
    parser = _Parser()
    if not isinstance(body, dict):
        raise bad_request("Invalid JSON payload received. Root element must be a message.",
                          [{"description": "Invalid JSON payload received. Root element must be a message."}])
    result = parser.message(body, type_name, "")
    if parser.errors:
        raise bad_request("\n".join(m for _, m in parser.errors),
                          [({"field": f} if f else {}) | {"description": m} for f, m in parser.errors])
    return result


def parse_json_body(raw: bytes) -> Any:
    """Strict JSON (no NaN/Infinity), with Google's "Invalid JSON payload" error."""
    if not raw.strip():
        return {}
    text = raw.decode("utf-8", errors="replace")
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except ValueError as exc:
        pos = getattr(exc, "pos", 0) or 0
        line_start = text.rfind("\n", 0, pos) + 1
        line_end = text.find("\n", pos)
        line = text[line_start: line_end if line_end >= 0 else len(text)]
        message = f"Invalid JSON payload received. Unexpected token.\n{line}\n{' ' * (pos - line_start)}^"
        raise bad_request(message, [{"description": message}]) from None


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


class _Parser:
    def __init__(self) -> None:
        self.errors: list[tuple[str, str]] = []

    def message(self, value: Any, type_name: str, path: str) -> Any:
        if not isinstance(value, dict):
            self._invalid(path, _PKG + type_name, value)
            return None
        lookup = _LOOKUP[type_name]
        out: dict[str, Any] = {}
        for key, val in value.items():
            hit = lookup.get(key)
            if hit is None:
                self._error(path, f'Invalid JSON payload received. Unknown name "{key}"{_at(path)}: Cannot find field.')
                continue
            camel, spec = hit
            if val is None:
                continue  # proto3 JSON: null means "unset"
            child = f"{path}.{to_snake(camel)}" if path else to_snake(camel)
            out[camel] = self._field(val, spec, child, key, path)
        if type_name == "Part":
            self._check_oneof(out, path)
        return out

    def _field(self, val: Any, spec: F, path: str, key: str, parent: str) -> Any:
        if spec.map:
            if not isinstance(val, dict):
                self._invalid(path, _PKG + spec.ref, val)
                return {}
            return {k: self._single(v, spec, f"{path}[{i}].value", k, path) for i, (k, v) in enumerate(val.items())}
        if spec.repeated:
            items = val if isinstance(val, list) else [val]  # a lone value is accepted for a list
            return [self._single(v, spec, f"{path}[{i}]", key, parent) for i, v in enumerate(items)]
        if isinstance(val, list) and spec.kind != "value":
            self._error(parent, f'Invalid JSON payload received. Unknown name "{key}"{_at(parent)}: '
                                "Proto field is not repeating, cannot start list.")
            return None
        return self._single(val, spec, path, key, parent)

    def _single(self, val: Any, spec: F, path: str, key: str, parent: str) -> Any:
        kind = spec.kind
        if kind == "message":
            return self.message(val, spec.ref, path)
        if kind == "value":
            return val
        if kind == "struct":
            if isinstance(val, dict):
                return val
            if isinstance(val, list):
                self._error(parent, f'Invalid JSON payload received. Unknown name "{key}"{_at(parent)}: '
                                    "Proto field is not repeating, cannot start list.")
            else:
                self._invalid(path, "type.googleapis.com/google.protobuf.Struct", val)
            return None
        if kind == "enum":
            names = ENUMS[spec.ref]
            if isinstance(val, str) and val.upper() in names:
                return val.upper()
            if isinstance(val, int) and not isinstance(val, bool) and 0 <= val < len(names):
                return names[val]
            self._invalid(path, _PKG + spec.ref, val)
            return None
        parsed = _scalar(kind, val)
        if kind == "int" and parsed is not _BAD:
            low, high = _INT_RANGES.get(spec.ref, _INT_RANGES["TYPE_INT64"])
            parsed = parsed if low <= parsed <= high else _BAD  # out of range: refused like a value that does not parse
        if parsed is _BAD:
            self._invalid(path, spec.ref or f"TYPE_{kind.upper()}", val)
            return None
        return parsed

    def _check_oneof(self, part: dict[str, Any], path: str) -> None:
        present = [k for k in PART_DATA_FIELDS if k in part]
        for extra in present[1:]:
            self._error(path, "Invalid JSON payload received. Oneof field 'data' is already set. "
                              f"Cannot set '{extra}'")

    def _invalid(self, path: str, type_text: str, val: Any) -> None:
        shown = json.dumps(val, ensure_ascii=False, separators=(",", ":"))
        self._error(path, f"Invalid value at '{path}' ({type_text}), {shown}")

    def _error(self, field: str, message: str) -> None:
        self.errors.append((field, message))


_BAD = object()
# A JSON number outside the field's proto type does not parse (protobuf.dev/programming-guides/json: int32
# and int64 values are decimal numbers or strings of that type; Google answers "Invalid value at
# 'generation_config.seed' (TYPE_INT32), 1099511627776").
_INT_RANGES = {"TYPE_INT32": (-(1 << 31), (1 << 31) - 1), "TYPE_INT64": (-(1 << 63), (1 << 63) - 1)}


def _scalar(kind: str, val: Any) -> Any:
    if kind == "string":
        return val if isinstance(val, str) else _BAD
    if kind == "bool":
        return val if isinstance(val, bool) else _BAD
    if kind == "bytes":
        return val if isinstance(val, str) and decode_proto_bytes(val) is not None else _BAD
    if isinstance(val, bool):
        return _BAD
    if kind == "int":
        if isinstance(val, int):
            return val
        if isinstance(val, float) and val.is_integer():
            return int(val)
        if isinstance(val, str) and re.fullmatch(r"-?\d+", val.strip()):
            return int(val)
        return _BAD
    if kind == "float":
        if isinstance(val, (int, float)):
            return val
        if isinstance(val, str):
            try:
                return float(val)
            except ValueError:
                return _BAD
    return _BAD


def _at(path: str) -> str:
    return f" at '{path}'" if path else ""

