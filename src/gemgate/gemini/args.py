"""Undo what Gemini's string-only enums do to function-call arguments and JSON answers.

The sanitiser turns `{"type": "integer", "enum": [1, 2]}` into a string enum, so Gemini answers "2";
a client that declared an integer must get 2 back (in tool-call arguments and in a `response_format`
json_schema answer, which the openai SDK's `.parse()` validates against the client's types).
"""

from __future__ import annotations

import json

import orjson
from typing import Any


def _enum_match(value: str, schema: dict) -> Any:
    options = schema["enum"] if isinstance(schema.get("enum"), list) else [schema["const"]] if "const" in schema else []
    for option in options:
        if not isinstance(option, str) and option is not None and json.dumps(option) == value:
            return option
    return value


def restore_arg_types(value: Any, schema: Any, depth: int = 0) -> Any:
    """`value` (function-call args from Gemini) with string enum answers turned back into the non-string value
    the client's JSON Schema `schema` declared ("2" -> 2), following properties, items and anyOf/oneOf up to
    32 levels. Values without a matching declaration are returned unchanged; never raises.
    """
    if not isinstance(schema, dict) or depth > 32:
        return value
    if isinstance(value, str) and ("enum" in schema or "const" in schema):
        return _enum_match(value, schema)
    for branch_key in ("anyOf", "oneOf"):
        for branch in schema.get(branch_key) or ():
            restored = restore_arg_types(value, branch, depth + 1)
            if restored is not value:
                return restored
    if isinstance(value, dict) and isinstance(schema.get("properties"), dict):
        props = schema["properties"]
        return {k: restore_arg_types(v, props.get(k), depth + 1) for k, v in value.items()}
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [restore_arg_types(v, schema["items"], depth + 1) for v in value]
    return value


def has_typed_enums(schema: Any, depth: int = 0) -> bool:
    """Whether a JSON Schema declares an `enum` or `const` value that is not a string anywhere (properties,
    items, anyOf/oneOf/allOf, $defs), i.e. whether Gemini's string-only enums can change an answer's types."""
    if depth > 32:
        return False
    if isinstance(schema, list):
        return any(has_typed_enums(s, depth + 1) for s in schema)
    if not isinstance(schema, dict):
        return False
    values = schema.get("enum") if isinstance(schema.get("enum"), list) else []
    if any(not isinstance(v, str) for v in values) or ("const" in schema and not isinstance(schema["const"], str)):
        return True
    return any(has_typed_enums(v, depth + 1) for k, v in schema.items() if isinstance(v, (dict, list)) and k != "enum")


def restore_json_text(text: str, schema: Any) -> str:
    """A JSON answer `text` with string enum values turned back into the types `schema` declares (see
    `restore_arg_types`); `text` as it is when it is not JSON or nothing changes."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return text
    restored = restore_arg_types(value, schema)
    return text if restored == value else orjson.dumps(restored).decode()
