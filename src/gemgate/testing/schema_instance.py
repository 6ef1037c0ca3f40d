"""Smallest deterministic value that satisfies a response schema.

Handles both dialects the Gemini API takes: the OpenAPI subset (`responseSchema`,
upper-case types, `nullable`, `propertyOrdering`) and plain JSON Schema
(`responseJsonSchema`: type lists, `$ref`/`$defs`, `const`, `oneOf`...).
"""

from __future__ import annotations

import math
from typing import Any

_MAX_DEPTH = 12
_FORMAT_EXAMPLES = {
    "date-time": "2025-01-01T00:00:00Z",
    "date": "2025-01-01",
    "time": "00:00:00",
    "email": "user@example.com",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "uuid": "00000000-0000-4000-8000-000000000000",
}


def minimal_instance(schema: Any, text: str, *, openapi: bool = False) -> Any:
    """Build an instance of `schema`; strings carry `text` where the schema allows.

    `openapi`: `schema` is the OpenAPI subset (`responseSchema`, a declaration's `parameters`), whose objects
    Gemini writes with their keys in alphabetical order unless `propertyOrdering` gives another order
    (Google's structured-output guide, "Property ordering"; livekit/agents-js#2529 observed it for tool
    arguments). A plain JSON Schema (`responseJsonSchema`, `parametersJsonSchema`) keeps its declaration order.
    """
    return _Builder(schema, text, openapi).build(schema, 0)


class _Builder:
    def __init__(self, root: Any, text: str, openapi: bool = False) -> None:
        self.root = root if isinstance(root, dict) else {}
        self.text = text
        self.openapi = openapi

    def build(self, schema: Any, depth: int) -> Any:
        if not isinstance(schema, dict) or depth > _MAX_DEPTH:
            return None
        if "$ref" in schema:
            return self.build(self._resolve(schema["$ref"]), depth + 1)
        if "const" in schema:
            return schema["const"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return schema["enum"][0]
        for key in ("anyOf", "oneOf", "any_of"):
            if isinstance(schema.get(key), list) and schema[key]:
                return self.build(_first_non_null(schema[key]), depth + 1)
        if isinstance(schema.get("allOf"), list) and schema["allOf"]:
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                if isinstance(part, dict):
                    merged.update(part)
            return self.build(merged, depth + 1)
        kind = _type_of(schema)
        if kind == "object":
            return self._object(schema, depth)
        if kind == "array":
            return self._array(schema, depth)
        if kind == "string":
            return self._string(schema)
        if kind in ("integer", "number"):
            return _number(schema, integer=kind == "integer")
        if kind == "boolean":
            return True
        return None

    def _object(self, schema: dict, depth: int) -> dict:
        props = schema.get("properties") or {}
        order = list(schema.get("propertyOrdering") or schema.get("property_ordering") or [])
        rest = sorted(props) if self.openapi else list(props)
        names = [n for n in order if n in props] + [n for n in rest if n not in order]
        return {name: self.build(props[name], depth + 1) for name in names}

    def _array(self, schema: dict, depth: int) -> list:
        items = schema.get("items")
        prefix = schema.get("prefixItems")
        if isinstance(prefix, list) and prefix:
            return [self.build(p, depth + 1) for p in prefix]
        count = max(1, int(schema.get("minItems") or schema.get("min_items") or 0))
        max_items = schema.get("maxItems", schema.get("max_items"))
        if max_items is not None:
            count = min(count, int(max_items))
        return [self.build(items, depth + 1) for _ in range(count)]

    def _string(self, schema: dict) -> str:
        value = _FORMAT_EXAMPLES.get(str(schema.get("format", "")).lower(), self.text)
        min_len = int(schema.get("minLength") or schema.get("min_length") or 0)
        max_len = schema.get("maxLength", schema.get("max_length"))
        if len(value) < min_len:
            value = value + "x" * (min_len - len(value))
        if max_len is not None:
            value = value[: int(max_len)]
        return value

    def _resolve(self, ref: Any) -> Any:
        if not isinstance(ref, str) or not ref.startswith("#"):
            return {}
        node: Any = self.root
        for token in ref.lstrip("#").strip("/").split("/"):
            if not token:
                continue
            token = token.replace("~1", "/").replace("~0", "~")
            node = node.get(token) if isinstance(node, dict) else None
        return node if isinstance(node, dict) else {}


def _first_non_null(options: list) -> Any:
    for option in options:
        if isinstance(option, dict) and _type_of(option) != "null":
            return option
    return options[0]


def _type_of(schema: dict) -> str:
    declared = schema.get("type")
    if isinstance(declared, list):
        non_null = [t for t in declared if str(t).lower() != "null"]
        declared = non_null[0] if non_null else "null"
    if isinstance(declared, str) and declared:
        return declared.lower()
    if "properties" in schema:
        return "object"
    if "items" in schema or "prefixItems" in schema:
        return "array"
    return ""


def _number(schema: dict, *, integer: bool) -> int | float:
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    value: float = 0
    if low is not None and value < float(low):
        value = float(low) + (1 if "exclusiveMinimum" in schema and "minimum" not in schema else 0)
    if high is not None and value > float(high):
        value = float(high) - (1 if "exclusiveMaximum" in schema and "maximum" not in schema else 0)
    if integer:
        return int(math.ceil(value)) if low is not None else int(value)
    return int(value) if float(value).is_integer() else value
