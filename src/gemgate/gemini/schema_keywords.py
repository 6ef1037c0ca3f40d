"""JSON Schema keyword rules for :mod:`gemgate.gemini.schema`: the work on one node, no recursion.

`schema.py` walks the tree (``$ref``/``allOf`` expansion, unions, per-type builders); this module holds
what it applies to a single node: which keys and ``format`` values Gemini's ``Schema`` takes per type
(ai.google.dev/api/caching#Schema), same-document ``$ref`` lookup (JSON Pointer, RFC 6901), the
allOf-style merge of two raw schemas, enum/const handling, annotation copying and the placeholder
("stub") nodes. Pure functions, no I/O; the leading underscores mark them as internal to the
``schema`` pair of modules.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

_TYPES = ("string", "number", "integer", "boolean", "array", "object")

# The Gemini Developer API fails requests on any other format value.
_FORMATS = {
    "string": frozenset({"enum", "date-time"}),
    "number": frozenset({"float", "double"}),
    "integer": frozenset({"int32", "int64"}),
}

_LOWER_BOUND_KEYS = ("minimum", "minLength", "minItems", "minProperties")
_UPPER_BOUND_KEYS = ("maximum", "maxLength", "maxItems", "maxProperties")
_ANNOTATION_KEYS = frozenset(
    {"title", "description", "markdownDescription", "default", "example", "examples"}
)
# Keys that make an anyOf/oneOf branch a real alternative rather than an extra
# constraint such as ``{"required": ["a"]}``.
_STRUCTURAL_KEYS = frozenset(
    {"type", "properties", "items", "prefixItems", "enum", "const", "$ref",
     "anyOf", "oneOf", "allOf", "additionalProperties"}
)


# ---- $ref / allOf ---------------------------------------------------------


def _lookup(root: Mapping[str, Any], ref: Any) -> Any:
    """Resolve a same-document JSON pointer ref (``#/$defs/X``, ``#``)."""
    if not isinstance(ref, str):
        return None
    base_id = root.get("$id")
    if isinstance(base_id, str) and base_id and ref.startswith(base_id + "#"):
        ref = ref[len(base_id):]
    if not ref.startswith("#"):
        return None  # remote refs are out of reach for a pure function
    target: Any = root
    for raw in ref[1:].split("/")[1:]:
        token = unquote(raw).replace("~1", "/").replace("~0", "~")
        if isinstance(target, Mapping) and token in target:
            target = target[token]
        elif isinstance(target, list) and token.isdigit() and int(token) < len(target):
            target = target[int(token)]
        else:
            return None
    return target

def _merge(primary: Mapping[str, Any], secondary: Mapping[str, Any]) -> dict[str, Any]:
    """allOf-style merge of two raw JSON Schemas; ``primary`` wins annotations."""
    out = dict(primary)
    for key, value in secondary.items():
        if key not in out:
            out[key] = value
            continue
        mine = out[key]
        if key == "properties" and isinstance(mine, Mapping) and isinstance(value, Mapping):
            props = dict(mine)
            for name, sub in value.items():
                props[name] = {"allOf": [props[name], sub]} if name in props else sub
            out[key] = props
        elif key in ("required", "allOf") and isinstance(mine, list) and isinstance(value, list):
            out[key] = list(dict.fromkeys([*mine, *value]))
        elif key == "items" and isinstance(mine, Mapping) and isinstance(value, Mapping):
            out[key] = {"allOf": [mine, value]}
        elif key == "enum" and isinstance(mine, list) and isinstance(value, list):
            out[key] = [v for v in mine if v in value] or mine
        elif key == "type":
            out[key] = _intersect_types(mine, value)
        elif key in _LOWER_BOUND_KEYS and _is_number(mine) and _is_number(value):
            out[key] = max(mine, value)
        elif key in _UPPER_BOUND_KEYS and _is_number(mine) and _is_number(value):
            out[key] = min(mine, value)
        # anything else: the primary's value stands
    return out


def _intersect_types(a: Any, b: Any) -> Any:
    la, lb = _as_type_list(a), _as_type_list(b)
    common = [t for t in la if t in lb]
    if not common:
        return a  # contradictory allOf; keep the outer declaration
    return common[0] if len(common) == 1 else common


def _recursion_stub(siblings: Mapping[str, Any], target: Any, ref: str) -> dict[str, Any]:
    """Cut a cycle: a plain object (or string) that says what was left out."""
    target = target if isinstance(target, Mapping) else {}
    declared = [t for t in _declared_types(target) if t != "null"]
    kind = "object" if (declared[:1] or [_infer_type(target)]) == ["object"] else "string"
    name = ref.rsplit("/", 1)[-1].lstrip("#") or "root"
    return _stub({**target, **siblings}, f"recursive reference to {name!r} not expanded further", kind)


def _stub(node: Mapping[str, Any], why: str, kind: str | None = None) -> dict[str, Any]:
    """A plain placeholder node that keeps the description and says what was cut."""
    desc = node.get("description") if isinstance(node.get("description"), str) else None
    return {"type": kind or "object", "description": _join_desc(desc, f"({why})")}

# ---- unions ---------------------------------------------------------------


def _is_null_schema(branch: Any) -> bool:
    if not isinstance(branch, Mapping):
        return False
    if _as_type_list(branch.get("type")) == ["null"]:
        return True
    if "const" in branch and branch["const"] is None:
        return True
    return isinstance(branch.get("enum"), list) and branch["enum"] == [None]


def _is_partial(branch: Any) -> bool:
    return isinstance(branch, Mapping) and not (branch.keys() & _STRUCTURAL_KEYS)


def _merge_string_enums(branches: list[dict[str, Any]]) -> dict[str, Any] | None:
    """``anyOf: [{const: "a"}, {const: "b"}]`` (zod/pydantic literals) -> one enum."""
    allowed = {"type", "enum", "title", "description"}
    if not all(b.get("type") == "string" and "enum" in b and b.keys() <= allowed for b in branches):
        return None
    values = list(dict.fromkeys(v for b in branches for v in b["enum"]))
    hints = [
        f"{', '.join(json.dumps(v) for v in b['enum'])}: {b['description']}"
        for b in branches if b.get("description")
    ]
    out: dict[str, Any] = {"type": "string", "enum": values}
    if hints:
        out["description"] = "Values: " + "; ".join(hints)
    return out


def _flatten_root_union(out: dict[str, Any]) -> dict[str, Any] | None:
    """Gemini parameters must be one object: merge object alternatives.

    Properties are united and only those required by every alternative stay
    required, so any of the original argument shapes can still be produced.
    """
    objects = [b for b in out["anyOf"] if b.get("type") == "object"]
    if not objects:
        return None
    props: dict[str, Any] = {}
    for branch in objects:
        for name, sub in branch.get("properties", {}).items():
            props.setdefault(name, sub)
    required = [r for r in objects[0].get("required", []) if all(r in b.get("required", []) for b in objects)]
    merged: dict[str, Any] = {"type": "object"}
    descs = list(dict.fromkeys(b["description"] for b in objects if b.get("description")))
    if descs:
        merged["description"] = " | ".join(descs)
    if props:
        merged["properties"] = props
    if required:
        merged["required"] = required
    if len(props) > 1:  # the branches' declaration orders, first seen first (see schema._build_object)
        merged["propertyOrdering"] = list(props)
    return merged

# ---- numbers --------------------------------------------------------------


def _bound(node: Mapping[str, Any], key: str, exclusive_key: str, pick: Any, step: int) -> Any:
    """Fold draft-6 numeric ``exclusiveMinimum/Maximum`` into ``minimum/maximum``.

    Exact for integer bounds on integers (x > 3 <=> x >= 4); for numbers the
    strictness is lost, which Gemini cannot express anyway.  Draft-4 boolean
    exclusive flags are simply dropped.
    """
    candidates = []
    if _is_finite_number(node.get(key)):
        candidates.append(node[key])
    excl = node.get(exclusive_key)
    if _is_finite_number(excl):
        candidates.append(excl + step if step and float(excl).is_integer() else excl)
    return pick(candidates) if candidates else None

# ---- small helpers --------------------------------------------------------


def _as_type_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value.lower()]
    if isinstance(value, list):
        return [v.lower() for v in value if isinstance(v, str)]
    return []


def _declared_types(node: Mapping[str, Any]) -> list[str]:
    """Known declared types, ``null`` included; unknown names ("any") dropped."""
    return list(dict.fromkeys(t for t in _as_type_list(node.get("type")) if t in _TYPES or t == "null"))


def _infer_type(node: Mapping[str, Any]) -> str:
    """Gemini needs a type on every node; guess it from the keywords present."""
    keys = node.keys()
    if keys & {"properties", "additionalProperties", "patternProperties", "required",
               "minProperties", "maxProperties", "propertyNames", "unevaluatedProperties"}:
        return "object"
    if keys & {"items", "prefixItems", "minItems", "maxItems", "contains", "uniqueItems"}:
        return "array"
    if keys & {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}:
        return "number"
    return "string"  # strings are the most permissive stand-in for "any value"


def _enum_info(node: Mapping[str, Any]) -> tuple[list[str] | None, str | None, bool, str | None]:
    """Read ``enum``/``const`` as (string values, forced type, has null, note).

    Gemini enums are string-only ("enum: only allowed for STRING type",
    "Invalid value at '...enum[0]' (TYPE_STRING), 2"), so scalar values are
    stringified and the type becomes string.  Two exceptions keep the client's
    contract instead: all-boolean enums stay boolean, and object/array values
    (not representable) drop the enum; both move the values into the description.
    """
    if "const" in node:
        source = [node["const"]]
    elif isinstance(node.get("enum"), list):
        source = node["enum"]
    else:
        return None, None, False, None
    has_null = any(v is None for v in source)
    values = [v for v in source if v is not None]
    if not values:
        return None, None, has_null, None
    if any(isinstance(v, (Mapping, list)) for v in values):
        return None, None, has_null, _allowed_values_note(values)
    if all(isinstance(v, bool) for v in values):
        return None, "boolean", has_null, _allowed_values_note(values)
    return list(dict.fromkeys(_scalar_text(v) for v in values)), "string", has_null, None


def _allowed_values_note(values: list[Any]) -> str:
    text = ", ".join(json.dumps(v, ensure_ascii=False, default=str) for v in values)
    return f"Allowed values: {text[:300]}"


def _scalar_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def _stringify_values(out: dict[str, Any]) -> None:
    """A string enum's default/example must be strings too."""
    for key in ("default", "example"):
        if key in out:
            value = out[key]
            if isinstance(value, (Mapping, list)):
                del out[key]
            elif not isinstance(value, str):
                out[key] = _scalar_text(value)


def _copy_annotations(node: Mapping[str, Any], out: dict[str, Any]) -> None:
    if isinstance(node.get("title"), str):
        out["title"] = node["title"]
    desc = _description(node)
    if desc:
        out["description"] = desc
    if "default" in node and node["default"] is not None:
        out["default"] = copy.deepcopy(node["default"])
    examples = node.get("examples")
    if "example" in node and node["example"] is not None:
        out["example"] = copy.deepcopy(node["example"])
    elif isinstance(examples, list) and examples and examples[0] is not None:
        out["example"] = copy.deepcopy(examples[0])


def _description(node: Mapping[str, Any]) -> str | None:
    for key in ("description", "markdownDescription"):  # VS Code schemas use the latter
        if isinstance(node.get(key), str) and node[key]:
            return node[key]
    return None


def _copy_format(node: Mapping[str, Any], out: dict[str, Any], type_: str) -> None:
    fmt = node.get("format")
    if not isinstance(fmt, str) or not fmt:
        return
    if fmt in _FORMATS.get(type_, ()):
        out["format"] = fmt
    else:  # e.g. "email", "uri", "uuid": still useful to the model as prose
        out["description"] = _join_desc(out.get("description"), f"(format: {fmt})")


def _copy_counts(node: Mapping[str, Any], out: dict[str, Any], keys: tuple[str, ...]) -> None:
    for key in keys:
        value = node.get(key)
        if _is_finite_number(value) and value >= 0 and float(value).is_integer():
            out[key] = int(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_finite_number(value: Any) -> bool:
    return _is_number(value) and math.isfinite(value)


def _join_desc(desc: str | None, note: str | None) -> str:
    if not note:
        return desc or ""
    return f"{desc} {note}" if desc else note


def _with_nullable(out: dict[str, Any], nullable: bool) -> dict[str, Any]:
    if nullable and "anyOf" in out:
        return {"anyOf": [_with_nullable(dict(b), True) for b in out["anyOf"]]}
    if nullable:
        out["nullable"] = True
    return out


def _dedupe(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for node in nodes:
        seen.setdefault(json.dumps(node, sort_keys=True, default=str), node)
    return list(seen.values())
