"""JSON Schema (any draft) -> the Gemini API's `Schema` for `functionDeclarations[].parameters`.

Clients send tools with arbitrary JSON Schema (draft-07 / 2020-12 from pydantic, zod-to-json-schema,
MCP servers ...). Gemini only takes Google's OpenAPI-3.0 subset `Schema` (ai.google.dev/api/caching#Schema)
and its protobuf parser rejects the whole request (400) on the first unknown key, list-valued `type`,
non-string `enum` value, `properties` on a non-object, array without `items` ... Pure functions, no I/O.

Output types are lower-case JSON-Schema spellings ("object", "string" ...); Gemini accepts them
case-insensitively.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import unquote

# --------------------------------------------------------------------------
# Schema conversion
# --------------------------------------------------------------------------

#: Every key Google's ``Schema`` message knows (ai.google.dev ``Schema``).
GEMINI_SCHEMA_FIELDS = frozenset(
    {
        "type", "format", "title", "description", "nullable", "enum",
        "maxItems", "minItems", "properties", "required", "minProperties",
        "maxProperties", "minLength", "maxLength", "pattern", "example",
        "anyOf", "propertyOrdering", "default", "items", "minimum", "maximum",
    }
)

_TYPES = ("string", "number", "integer", "boolean", "array", "object")

# Gemini rejects e.g. "properties: only allowed for OBJECT type" and "enum: only
# allowed for STRING type", so each type only gets the keys that belong to it.
_KEYS_FOR_TYPE = {
    "string": ("enum", "format", "minLength", "maxLength", "pattern"),
    "number": ("format", "minimum", "maximum"),
    "integer": ("format", "minimum", "maximum"),
    "boolean": (),
    "array": ("items", "minItems", "maxItems"),
    "object": ("properties", "required", "minProperties", "maxProperties", "propertyOrdering"),
}

# The Gemini Developer API fails requests on any other format value.
_FORMATS = {
    "string": frozenset({"enum", "date-time"}),
    "number": frozenset({"float", "double"}),
    "integer": frozenset({"int32", "int64"}),
}

_COUNT_KEYS = ("minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties")
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

_MAX_DEPTH = 32  # nesting guard; also bounds pathological (non-cyclic) $ref fan-out
_MAX_NODES = 5000  # total-size guard for exponential $ref expansion


@dataclass
class _Budget:
    nodes: int = 0


@dataclass(frozen=True)
class _Ctx:
    root: Mapping[str, Any]
    refs: tuple[str, ...] = ()  # $refs being expanded on the current path
    depth: int = 0
    budget: _Budget = field(default_factory=_Budget)

    def deeper(self) -> _Ctx:
        return replace(self, depth=self.depth + 1)

    def entering(self, ref: str) -> _Ctx:
        return replace(self, refs=(*self.refs, ref))


def to_gemini_schema(schema: Any) -> dict[str, Any] | None:
    """Convert a tool's JSON Schema into a Gemini ``parameters`` Schema.

    Returns ``None`` when the tool takes no arguments (``None`` input, ``true``,
    ``{}``, an object without properties, or a non-object root): Gemini accepts a
    declaration without ``parameters`` but rejected ``properties: {}`` on the
    parameters object ("should be non-empty for OBJECT type"), and in protobuf an
    empty map and a missing one look the same.  The input is never mutated.
    """
    if not isinstance(schema, Mapping):
        return None
    out = _convert(schema, _Ctx(root=schema, refs=("#",)))  # "#" = the root itself
    if "anyOf" in out:
        out = _flatten_root_union(out)
    if out is None or out.get("type") != "object" or not out.get("properties"):
        return None
    out.pop("nullable", None)  # meaningless for the argument object itself
    return out


def _convert(node: Any, ctx: _Ctx, nullable: bool = False) -> dict[str, Any]:
    """Convert one JSON Schema node into a Gemini Schema node."""
    if not isinstance(node, Mapping):  # `true`, `{}`-likes, junk: accept anything
        return _with_nullable({"type": "string"}, nullable)
    ctx.budget.nodes += 1
    if ctx.depth > _MAX_DEPTH or ctx.budget.nodes > _MAX_NODES:
        return _with_nullable(_stub(node, "structure omitted: schema too large or nested too deeply"), nullable)
    node, ctx = _expand(node, ctx)
    ctx = ctx.deeper()

    union = node.get("anyOf") if isinstance(node.get("anyOf"), list) else node.get("oneOf")
    if isinstance(union, list) and union:
        return _convert_union(node, union, ctx, nullable)

    declared = _declared_types(node)
    nullable = nullable or node.get("nullable") is True or "null" in declared
    declared = [t for t in declared if t != "null"]

    enum, enum_type, enum_nullable, enum_note = _enum_info(node)
    nullable = nullable or enum_nullable
    types = [enum_type] if enum_type else declared or [_infer_type(node)]

    if len(types) > 1:  # {"type": ["string", "integer"]} -> anyOf of single types
        rest = {k: v for k, v in node.items() if k not in ("type", "nullable")}
        return _convert_union(rest, [{"type": t} for t in types], ctx, nullable)

    out: dict[str, Any] = {"type": types[0]}
    _copy_annotations(node, out)
    _BUILDERS[types[0]](node, out, ctx)
    if enum:
        out["enum"] = enum
        _stringify_values(out)
    if enum_note:
        out["description"] = _join_desc(out.get("description"), enum_note)
    return _with_nullable(out, nullable)


# ---- $ref / allOf ---------------------------------------------------------


def _expand(node: Mapping[str, Any], ctx: _Ctx) -> tuple[Mapping[str, Any], _Ctx]:
    """Inline ``$ref`` and merge ``allOf`` until neither is left at the top."""
    while True:
        if "$ref" in node:
            ref = node["$ref"]
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            target = _lookup(ctx.root, ref)
            if target is None:
                return _stub(siblings, f"unresolved reference {ref!r}", "object"), ctx
            if ref in ctx.refs:  # recursive: stop here instead of looping forever
                return _recursion_stub(siblings, target, ref), ctx
            ctx = ctx.entering(ref)
            node = _merge(siblings, target if isinstance(target, Mapping) else {})
        elif isinstance(node.get("allOf"), list):
            merged: Mapping[str, Any] = {k: v for k, v in node.items() if k != "allOf"}
            for part in node["allOf"]:
                if isinstance(part, Mapping):
                    part, ctx = _expand(part, ctx)
                    merged = _merge(merged, part)
            node = merged
        else:
            return node, ctx


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


def _convert_union(node: Mapping[str, Any], branches: list[Any], ctx: _Ctx, nullable: bool) -> dict[str, Any]:
    """anyOf/oneOf -> Gemini anyOf; null branches become ``nullable``."""
    nullable = nullable or node.get("nullable") is True or "null" in _declared_types(node)
    real = []
    for branch in branches:
        if branch is False:
            continue
        if _is_null_schema(branch):
            nullable = True
        else:
            real.append(branch)

    siblings = {k: v for k, v in node.items() if k not in ("anyOf", "oneOf", "nullable")}
    structural = {k: v for k, v in siblings.items() if k not in _ANNOTATION_KEYS}
    annotations = {k: v for k, v in siblings.items() if k in _ANNOTATION_KEYS}

    # `{"type": "object", "properties": ..., "anyOf": [{"required": [..]}, ...]}`:
    # the branches only add constraints Gemini cannot express; keep the base.
    if real and all(_is_partial(b) for b in real) and (structural.keys() & _STRUCTURAL_KEYS):
        return _convert(siblings, ctx, nullable)

    converted: list[dict[str, Any]] = []
    for branch in real:
        raw = _merge(branch, structural) if isinstance(branch, Mapping) else branch
        result = _convert(raw, ctx)
        converted.extend(result["anyOf"] if "anyOf" in result else [result])
    converted = _dedupe(converted)

    if not converted:  # only null (or nothing) allowed
        out = {"type": "string"}
    elif len(converted) == 1:
        out = converted[0]
    else:
        out = _merge_string_enums(converted)
    if out is None:  # a genuine multi-shape union stays anyOf
        desc = _description(annotations)
        branches_out = [
            _with_nullable({**b, "description": desc} if desc and "description" not in b else b, nullable)
            for b in converted
        ]
        return {"anyOf": branches_out}  # Gemini: "When using any_of, it must be the only field set"

    # The field-level annotations (e.g. pydantic's description next to
    # anyOf[$ref, null]) are more specific than the branch's own.
    out = dict(out)
    own: dict[str, Any] = {}
    _copy_annotations(annotations, own)
    if len(converted) > 1 and own.get("description") and out.get("description"):
        own["description"] = _join_desc(own["description"], out["description"])  # keep enum hints
    out.update(own)
    if "enum" in out:
        _stringify_values(out)
    return _with_nullable(out, nullable)


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
    return merged


# ---- per-type builders ----------------------------------------------------


def _build_string(node: Mapping[str, Any], out: dict[str, Any], ctx: _Ctx) -> None:
    _copy_format(node, out, "string")
    _copy_counts(node, out, ("minLength", "maxLength"))
    if isinstance(node.get("pattern"), str):
        out["pattern"] = node["pattern"]


def _build_number(node: Mapping[str, Any], out: dict[str, Any], ctx: _Ctx) -> None:
    integer = out["type"] == "integer"
    _copy_format(node, out, out["type"])
    low = _bound(node, "minimum", "exclusiveMinimum", max, +1 if integer else 0)
    high = _bound(node, "maximum", "exclusiveMaximum", min, -1 if integer else 0)
    if low is not None:
        out["minimum"] = low
    if high is not None:
        out["maximum"] = high


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


def _build_boolean(node: Mapping[str, Any], out: dict[str, Any], ctx: _Ctx) -> None:
    pass


def _build_array(node: Mapping[str, Any], out: dict[str, Any], ctx: _Ctx) -> None:
    items = node.get("items")
    tuple_items = node.get("prefixItems") if isinstance(node.get("prefixItems"), list) else None
    if isinstance(items, list):  # draft-4..2019 tuple form
        tuple_items = items
    if tuple_items:
        # Gemini has no tuples: accept any of the positional schemas.
        out["items"] = _convert({"anyOf": tuple_items}, ctx)
    elif isinstance(items, Mapping):
        out["items"] = _convert(items, ctx)
    else:  # missing/boolean items -> Gemini: "items: missing field"
        out["items"] = {"type": "string"}
    _copy_counts(node, out, ("minItems", "maxItems"))


def _build_object(node: Mapping[str, Any], out: dict[str, Any], ctx: _Ctx) -> None:
    props_in = node.get("properties")
    props: dict[str, Any] = {}
    if isinstance(props_in, Mapping):
        for name, sub in props_in.items():
            if sub is False:  # property forbidden -> just don't offer it
                continue
            props[str(name)] = _convert(sub, ctx)
    if props:  # Gemini rejects an empty properties map
        out["properties"] = props
        required = node.get("required")
        if isinstance(required, list):
            kept = list(dict.fromkeys(r for r in required if isinstance(r, str) and r in props))
            if kept:
                out["required"] = kept
        ordering = node.get("propertyOrdering")
        if isinstance(ordering, list):
            kept = list(dict.fromkeys(p for p in ordering if isinstance(p, str) and p in props))
            if kept:
                out["propertyOrdering"] = kept
    _copy_counts(node, out, ("minProperties", "maxProperties"))


_BUILDERS = {
    "string": _build_string,
    "number": _build_number,
    "integer": _build_number,
    "boolean": _build_boolean,
    "array": _build_array,
    "object": _build_object,
}


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
