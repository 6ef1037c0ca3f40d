"""JSON Schema (any draft) -> the Gemini API's `Schema` for `functionDeclarations[].parameters`.

Clients send tools with arbitrary JSON Schema (draft-07 / 2020-12 from pydantic, zod-to-json-schema,
MCP servers ...). Gemini only takes Google's OpenAPI-3.0 subset `Schema` (ai.google.dev/api/caching#Schema)
and its protobuf parser rejects the whole request (400) on the first unknown key, list-valued `type`,
non-string `enum` value, `properties` on a non-object, array without `items` ... Pure functions, no I/O.

Output types are lower-case JSON-Schema spellings ("object", "string" ...); Gemini accepts them
case-insensitively.

The tree walk lives here; the per-node keyword rules (allowed keys and formats, ``$ref`` lookup,
merging, enums, annotations) are in :mod:`gemgate.gemini.schema_keywords`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import orjson

from .schema_keywords import (
    _ANNOTATION_KEYS,
    _STRUCTURAL_KEYS,
    _bound,
    _copy_annotations,
    _copy_counts,
    _copy_format,
    _declared_types,
    _dedupe,
    _description,
    _enum_info,
    _flatten_root_union,
    _infer_type,
    _is_null_schema,
    _is_partial,
    _join_desc,
    _lookup,
    _merge,
    _merge_string_enums,
    _recursion_stub,
    _stringify_values,
    _stub,
    _with_nullable,
)

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


_MEMO: dict[bytes, bytes | None] = {}  # the client's schema (JSON) -> the Gemini schema (JSON), FIFO-bounded
_MEMO_ENTRIES = 1024
_MEMO_KEY_BYTES = 64 * 1024
_MISS = object()


def to_gemini_schema(schema: Any, *, response: bool = False) -> dict[str, Any] | None:
    """Convert a tool's JSON Schema into a Gemini ``parameters`` Schema (see `_to_gemini_schema`), or with
    `response` a ``response_format`` schema into ``generationConfig.responseSchema`` (see `_to_response_schema`).

    Agent clients send the same tools with every request, so results are remembered by the schema's JSON
    text (key order included: it decides ``propertyOrdering``) and handed out as fresh objects.
    """
    if not isinstance(schema, Mapping):
        return None
    convert = _to_response_schema if response else _to_gemini_schema
    try:
        key: bytes | None = (b"R" if response else b"P") + orjson.dumps(schema)
    except (TypeError, orjson.JSONEncodeError):  # not plain JSON (or nested beyond orjson's limit)
        key = None
    if key is not None and len(key) <= _MEMO_KEY_BYTES:
        hit = _MEMO.get(key, _MISS)
        if hit is not _MISS:
            return None if hit is None else orjson.loads(hit)
        out = convert(schema)
        if len(_MEMO) >= _MEMO_ENTRIES:
            del _MEMO[next(iter(_MEMO))]
        _MEMO[key] = None if out is None else orjson.dumps(out)
        return None if out is None else orjson.loads(_MEMO[key])  # the same as a later hit gives
    return convert(schema)


# Keywords that constrain a value; a response schema with none of them at its root allows any JSON value.
_CONSTRAINING = frozenset({"type", "enum", "const", "anyOf", "oneOf", "allOf", "$ref", "pattern", "format",
                           "minLength", "maxLength"})


def _to_response_schema(schema: Mapping[str, Any]) -> dict[str, Any] | None:
    """Convert a ``response_format`` JSON Schema into a Gemini ``responseSchema`` whatever its root.

    Unlike tool parameters (one argument object, where anything else means "no arguments"), an answer may
    be an array, a string enum, a number, a union (Gemini's Schema has ``anyOf``) or an object with no
    declared properties (sent as ``{"type": "object"}``: Gemini refuses an empty ``properties`` map). Objects
    at any depth get ``propertyOrdering`` from declaration order (issue 6 §6). Returns None only for a schema
    that allows any JSON value (``{}``, annotations only): JSON mode without a schema says the same.
    """
    if not (schema.keys() & _CONSTRAINING) and _infer_type(schema) == "string":
        return None
    return _convert(schema, _Ctx(root=schema, refs=("#",)))


def _to_gemini_schema(schema: Any) -> dict[str, Any] | None:
    """Convert a tool's JSON Schema into a Gemini ``parameters`` Schema.

    Returns ``None`` when the tool takes no arguments (``None`` input, ``true``,
    ``{}``, an object without properties, or a non-object root): Gemini accepts a
    declaration without ``parameters`` but rejected ``properties: {}`` on the
    parameters object ("should be non-empty for OBJECT type"), and in protobuf an
    empty map and a missing one look the same.  The input is never mutated and nothing is raised:
    what Gemini cannot express is dropped or moved into a ``description``.
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
        if isinstance(ordering, list):  # the client's own ordering wins
            kept = list(dict.fromkeys(p for p in ordering if isinstance(p, str) and p in props))
            if kept:
                out["propertyOrdering"] = kept
        elif len(props) > 1:
            # Gemini generates an object's keys in its own (alphabetical) order unless `propertyOrdering` says
            # otherwise; JSON Schema's declaration order is what the client means. google-genai does the same:
            # `process_schema` in google/genai/_transformers.py sets it from the properties' order on every
            # object with more than one property that has none (responses and tool parameters alike).
            out["propertyOrdering"] = list(props)
    _copy_counts(node, out, ("minProperties", "maxProperties"))


_BUILDERS = {
    "string": _build_string,
    "number": _build_number,
    "integer": _build_number,
    "boolean": _build_boolean,
    "array": _build_array,
    "object": _build_object,
}
