"""Tests for gemgate.gemini.schema: JSON Schema -> Gemini Schema.

Every converted schema also goes through ``assert_gemini_schema`` which
enforces the rules Gemini's request validator applies (see the messages
quoted next to each check), so a regression fails loudly even in cases whose
exact output is not pinned.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest

from gemgate.gemini.schema import GEMINI_SCHEMA_FIELDS, to_gemini_schema

# ---------------------------------------------------------------------------
# The checker
# ---------------------------------------------------------------------------

ALLOWED_FIELDS = {
    "type", "format", "title", "description", "nullable", "enum", "maxItems",
    "minItems", "properties", "required", "minProperties", "maxProperties",
    "minLength", "maxLength", "pattern", "example", "anyOf", "propertyOrdering",
    "default", "items", "minimum", "maximum",
}
TYPE_ONLY_FIELDS = {
    "enum": {"string"},
    "minLength": {"string"}, "maxLength": {"string"}, "pattern": {"string"},
    "minimum": {"number", "integer"}, "maximum": {"number", "integer"},
    "items": {"array"}, "minItems": {"array"}, "maxItems": {"array"},
    "properties": {"object"}, "required": {"object"}, "propertyOrdering": {"object"},
    "minProperties": {"object"}, "maxProperties": {"object"},
}
FORMATS = {
    "string": {"enum", "date-time"},
    "number": {"float", "double"},
    "integer": {"int32", "int64"},
}
TYPES = {"string", "number", "integer", "boolean", "array", "object"}


def assert_gemini_schema(node: Any, path: str = "parameters") -> None:
    """Walk a converted schema and assert it only uses what Gemini accepts."""
    assert isinstance(node, dict), f"{path}: schema must be an object, got {node!r}"
    unknown = set(node) - ALLOWED_FIELDS
    # 'Invalid JSON payload received. Unknown name "..." ... Cannot find field.'
    assert not unknown, f"{path}: fields Gemini does not know: {sorted(unknown)}"

    if "anyOf" in node:
        # "When using any_of, it must be the only field set."
        assert set(node) == {"anyOf"}, f"{path}: anyOf must stand alone, got {sorted(node)}"
        assert isinstance(node["anyOf"], list) and len(node["anyOf"]) >= 2, f"{path}: degenerate anyOf"
        for i, branch in enumerate(node["anyOf"]):
            assert_gemini_schema(branch, f"{path}.anyOf[{i}]")
        return

    # "schema didn't specify the schema type field" / "Proto field is not repeating"
    type_ = node.get("type")
    assert isinstance(type_, str) and type_ in TYPES, f"{path}: type must be one lower-case name, got {type_!r}"
    for key, types in TYPE_ONLY_FIELDS.items():
        # "enum: only allowed for STRING type", "properties: only allowed for OBJECT type"
        if key in node:
            assert type_ in types, f"{path}: {key} not allowed on {type_}"

    if "enum" in node:
        enum = node["enum"]
        # "Invalid value at '...enum[0]' (TYPE_STRING), 2"
        assert isinstance(enum, list) and enum, f"{path}: enum must be a non-empty list"
        assert all(isinstance(v, str) for v in enum), f"{path}: enum values must be strings: {enum!r}"
        assert len(set(enum)) == len(enum), f"{path}: duplicate enum values"
    if "format" in node:
        assert node["format"] in FORMATS.get(type_, set()), f"{path}: format {node['format']!r} on {type_}"
    if "nullable" in node:
        assert node["nullable"] is True, f"{path}: nullable must be true when present"
    for key in ("title", "description", "pattern"):
        if key in node:
            assert isinstance(node[key], str), f"{path}: {key} must be a string"
    for key in ("minItems", "maxItems", "minLength", "maxLength", "minProperties", "maxProperties"):
        if key in node:
            assert type(node[key]) is int and node[key] >= 0, f"{path}: {key} must be a count"
    for key in ("minimum", "maximum"):
        if key in node:
            assert isinstance(node[key], (int, float)) and not isinstance(node[key], bool), path

    if type_ == "array":
        # "...properties[urls].items: missing field."
        assert "items" in node, f"{path}: array without items"
        assert_gemini_schema(node["items"], f"{path}.items")
    if "properties" in node:
        props = node["properties"]
        # "properties: should be non-empty for OBJECT type"
        assert isinstance(props, dict) and props, f"{path}: properties must be a non-empty map"
        for name, sub in props.items():
            assert_gemini_schema(sub, f"{path}.properties[{name}]")
    if "required" in node:
        req = node["required"]
        assert isinstance(req, list) and req and all(isinstance(r, str) for r in req), path
        assert set(req) <= set(node.get("properties", {})), f"{path}: required names a missing property"
    if "propertyOrdering" in node:
        assert set(node["propertyOrdering"]) <= set(node.get("properties", {})), path
    json.dumps(node)  # must be plain JSON


def assert_parameters(out: Any) -> None:
    """Top-level rules: None (no parameters) or an object with properties."""
    if out is None:
        return
    assert out.get("type") == "object", out
    assert out.get("properties"), out
    assert "nullable" not in out
    assert_gemini_schema(out)
    try:  # cross-check against the official SDK model when it is installed
        from google.genai import types as genai_types
    except ImportError:  # pragma: no cover - optional
        return
    genai_types.Schema.model_validate(out)


def convert(schema: Any) -> Any:
    """Convert, and check immutability and Gemini validity on the way."""
    before = copy.deepcopy(schema)
    out = to_gemini_schema(schema)
    assert schema == before, "to_gemini_schema mutated its input"
    assert_parameters(out)
    return out


def obj(**props: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props}


def prop(out: dict[str, Any], name: str) -> dict[str, Any]:
    return out["properties"][name]


def test_checker_rejects_known_bad_shapes() -> None:
    bad = [
        {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": False},
        {"type": "object", "properties": {"a": {"type": "array"}}},
        {"type": "object", "properties": {"a": {"type": "string", "enum": [1, 2]}}},
        {"type": "object", "properties": {"a": {"type": "integer", "enum": ["1"]}}},
        {"type": "object", "properties": {"a": {"type": ["string", "null"]}}},
        {"type": "object", "properties": {"a": {"description": "no type"}}},
        {"type": "object", "properties": {"a": {"type": "string", "properties": {"b": {"type": "string"}}}}},
        obj(a={"anyOf": [{"type": "string"}, {"type": "integer"}], "description": "x"}),
        {"type": "object", "properties": {"a": {"type": "object", "properties": {}}}},
        {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["b"]},
        {"type": "object", "properties": {"a": {"type": "string", "format": "email"}}},
    ]
    for schema in bad:
        with pytest.raises(AssertionError):
            assert_gemini_schema(schema)


# ---------------------------------------------------------------------------
# Exact conversions, table-driven
# ---------------------------------------------------------------------------

S = {"type": "string"}

EXACT_CASES: list[tuple[str, Any, Any]] = [
    # --- no parameters ------------------------------------------------------
    ("none", None, None),
    ("input_schema_null_gcli2api_386", None, None),
    ("boolean_true_root", True, None),
    ("boolean_false_root", False, None),
    ("non_dict_root", "garbage", None),
    ("empty_schema_root", {}, None),
    ("object_without_properties", {"type": "object"}, None),
    ("empty_properties_map", {"type": "object", "properties": {}, "required": []}, None),
    ("zod_empty_object",
     {"type": "object", "properties": {}, "additionalProperties": False,
      "$schema": "http://json-schema.org/draft-07/schema#"}, None),
    ("non_object_root", {"type": "string"}, None),
    ("all_properties_forbidden", {"type": "object", "properties": {"a": False}}, None),
    # --- unknown keys dropped -------------------------------------------------
    ("dollar_schema_and_additional_properties_zod",
     {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"],
      "additionalProperties": False, "$schema": "http://json-schema.org/draft-07/schema#"},
     {"type": "object", "properties": {"q": S}, "required": ["q"]}),
    ("dollar_comment",
     {"$comment": "internal", "type": "object",
      "properties": {"q": {"type": "string", "$comment": "x"}}},
     obj(q=S)),
    ("enum_descriptions_vscode",
     obj(level={"type": "string", "enum": ["lo", "hi"], "enumDescriptions": ["low", "high"],
                "markdownEnumDescriptions": ["*low*", "*high*"]}),
     obj(level={"type": "string", "enum": ["lo", "hi"]})),
    ("misc_unsupported_keywords",
     {"type": "object", "$id": "urn:x", "strict": True, "unevaluatedProperties": False,
      "patternProperties": {"^x": S}, "dependencies": {"a": ["b"]}, "dependentRequired": {},
      "propertyNames": {"pattern": "^[a-z]+$"}, "if": {}, "then": {}, "else": {}, "not": {},
      "properties": {
          "a": {"type": "string", "deprecated": True, "readOnly": True, "writeOnly": False,
                "contentEncoding": "base64", "contentMediaType": "image/png", "const_": 1},
          "b": {"type": "number", "multipleOf": 0.5},
          "c": {"type": "array", "items": S, "uniqueItems": True, "contains": S},
      }},
     obj(a=S, b={"type": "number"}, c={"type": "array", "items": S})),
    # --- enums --------------------------------------------------------------
    ("numeric_enum_on_string_type",
     obj(n={"type": "string", "enum": [1, 2, 3]}),
     obj(n={"type": "string", "enum": ["1", "2", "3"]})),
    ("integer_enum_forced_to_string",
     obj(n={"type": "integer", "enum": [0, 2, 4], "default": 2, "description": "bits"}),
     obj(n={"type": "string", "enum": ["0", "2", "4"], "default": "2", "description": "bits"})),
    ("mixed_scalar_enum",
     obj(v={"enum": ["a", 1, 1.5, True]}),
     obj(v={"type": "string", "enum": ["a", "1", "1.5", "true"]})),
    ("enum_with_null_is_nullable",
     obj(v={"type": ["string", "null"], "enum": ["a", "b", None]}),
     obj(v={"type": "string", "enum": ["a", "b"], "nullable": True})),
    ("enum_duplicates_after_stringify",
     obj(v={"enum": [1, "1", 2]}),
     obj(v={"type": "string", "enum": ["1", "2"]})),
    ("const_string", obj(kind={"const": "circle"}), obj(kind={"type": "string", "enum": ["circle"]})),
    ("const_number", obj(v={"type": "integer", "const": 3}), obj(v={"type": "string", "enum": ["3"]})),
    ("const_null", obj(v={"const": None}), obj(v={"type": "string", "nullable": True})),
    ("boolean_const_stays_boolean",
     obj(flag={"type": "boolean", "const": True}),
     obj(flag={"type": "boolean", "description": "Allowed values: true"})),
    ("composite_enum_dropped_with_note",
     obj(v={"type": "object", "enum": [{"a": 1}]}),
     obj(v={"type": "object", "description": 'Allowed values: {"a": 1}'})),
    ("empty_enum_dropped", obj(v={"type": "string", "enum": []}), obj(v=S)),
    ("anyof_of_consts_zed_brave_search",
     obj(freshness={"anyOf": [{"const": "pd"}, {"const": "pw"}, {"const": "pm"}],
                    "description": "Time filter"}),
     obj(freshness={"type": "string", "enum": ["pd", "pw", "pm"], "description": "Time filter"})),
    ("oneof_of_documented_consts",
     obj(mode={"oneOf": [{"const": "r", "description": "read"}, {"const": "w", "description": "write"}]}),
     obj(mode={"type": "string", "enum": ["r", "w"], "description": 'Values: "r": read; "w": write'})),
    # --- arrays -------------------------------------------------------------
    ("array_without_items_cline_7339",
     obj(urls={"type": "array", "description": "URLs"}),
     obj(urls={"type": "array", "description": "URLs", "items": S})),
    ("array_items_true", obj(a={"type": "array", "items": True}), obj(a={"type": "array", "items": S})),
    ("array_items_empty", obj(a={"type": "array", "items": {}}), obj(a={"type": "array", "items": S})),
    ("tuple_items_draft4",
     obj(p={"type": "array", "items": [{"type": "number"}, {"type": "number"}]}),
     obj(p={"type": "array", "items": {"type": "number"}})),
    ("prefix_items_2020",
     obj(p={"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}], "minItems": 2}),
     obj(p={"type": "array", "items": {"anyOf": [S, {"type": "integer"}]}, "minItems": 2})),
    ("array_counts",
     obj(a={"type": "array", "items": S, "minItems": 1, "maxItems": 5.0}),
     obj(a={"type": "array", "items": S, "minItems": 1, "maxItems": 5})),
    ("nested_arrays_missing_items",
     obj(m={"type": "array", "items": {"type": "array"}}),
     obj(m={"type": "array", "items": {"type": "array", "items": S}})),
    # --- nullability / type lists --------------------------------------------
    ("type_list_with_null",
     obj(name={"type": ["string", "null"], "description": "Optional name"}),
     obj(name={"type": "string", "description": "Optional name", "nullable": True})),
    ("type_list_multi",
     obj(v={"type": ["string", "integer"]}),
     obj(v={"anyOf": [S, {"type": "integer"}]})),
    ("type_list_multi_with_null_and_constraints",
     obj(v={"type": ["integer", "string", "null"], "minimum": 1, "maxLength": 3, "description": "d"}),
     obj(v={"anyOf": [
         {"type": "integer", "minimum": 1, "description": "d", "nullable": True},
         {"type": "string", "maxLength": 3, "description": "d", "nullable": True}]})),
    ("type_list_null_object_with_properties_vercel_19000",
     obj(entries={"type": "array", "items": {"type": ["null", "object"], "required": ["path"],
                                             "properties": {"path": S}}}),
     obj(entries={"type": "array", "items": {"type": "object", "properties": {"path": S},
                                             "required": ["path"], "nullable": True}})),
    ("type_null_alone", obj(v={"type": "null"}), obj(v={"type": "string", "nullable": True})),
    ("anyof_with_null_inlined",
     obj(v={"anyOf": [{"type": "integer"}, {"type": "null"}], "default": None, "title": "V"}),
     obj(v={"type": "integer", "title": "V", "nullable": True})),
    ("anyof_with_annotated_null_pydantic",
     obj(v={"anyOf": [{"type": "string"}, {"type": "null", "title": "None"}]}),
     obj(v={"type": "string", "nullable": True})),
    ("anyof_multi_with_null_pushes_nullable_and_description",
     obj(v={"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}], "description": "id"}),
     obj(v={"anyOf": [{"type": "string", "description": "id", "nullable": True},
                      {"type": "integer", "description": "id", "nullable": True}]})),
    ("oneof_becomes_anyof",
     obj(v={"oneOf": [{"type": "string"}, {"type": "object", "properties": {"x": S}}]}),
     obj(v={"anyOf": [S, obj(x=S)]})),
    ("anyof_identical_branches_deduped",
     obj(v={"anyOf": [{"type": "string", "format": "uri"}, {"type": "string", "format": "uri"}]}),
     obj(v={"type": "string", "description": "(format: uri)"})),
    ("openapi_nullable_kept",
     obj(v={"type": "string", "nullable": True}), obj(v={"type": "string", "nullable": True})),
    ("anyof_siblings_pushed_into_branches",
     obj(v={"type": "object", "properties": {"a": S},
            "anyOf": [{"type": "object", "properties": {"b": S}, "required": ["b"]},
                      {"type": "object", "properties": {"c": S}, "required": ["c"]}]}),
     obj(v={"anyOf": [
         {"type": "object", "properties": {"b": S, "a": S}, "required": ["b"]},
         {"type": "object", "properties": {"c": S, "a": S}, "required": ["c"]}]})),
    ("anyof_required_alternatives_keep_base",
     obj(v={"type": "object", "properties": {"a": S, "b": S},
            "anyOf": [{"required": ["a"]}, {"required": ["b"]}]}),
     obj(v=obj(a=S, b=S))),
    # --- allOf ---------------------------------------------------------------
    ("allof_merge",
     obj(v={"allOf": [
         {"type": "object", "properties": {"a": S}, "required": ["a"]},
         {"properties": {"b": {"type": "integer"}}, "required": ["b"], "additionalProperties": False},
     ], "description": "merged"}),
     obj(v={"type": "object", "description": "merged",
            "properties": {"a": S, "b": {"type": "integer"}}, "required": ["a", "b"]})),
    ("allof_same_property_merged",
     obj(v={"allOf": [{"properties": {"n": {"type": "integer", "minimum": 0}}},
                      {"properties": {"n": {"maximum": 9, "minimum": 2}}}]}),
     obj(v=obj(n={"type": "integer", "minimum": 2, "maximum": 9}))),
    ("allof_single_ref_pydantic_v1_style",
     {"type": "object", "definitions": {"Color": {"type": "string", "enum": ["r", "g"], "description": "A color"}},
      "properties": {"c": {"allOf": [{"$ref": "#/definitions/Color"}], "description": "Fill color"}}},
     obj(c={"type": "string", "enum": ["r", "g"], "description": "Fill color"})),
    # --- $ref ----------------------------------------------------------------
    ("ref_defs",
     {"type": "object", "$defs": {"P": {"type": "object", "properties": {"x": {"type": "number"}}}},
      "properties": {"p": {"$ref": "#/$defs/P"}}},
     obj(p=obj(x={"type": "number"}))),
    ("ref_definitions_draft07",
     {"type": "object", "definitions": {"Id": {"type": "string", "minLength": 1}},
      "properties": {"id": {"$ref": "#/definitions/Id", "description": "the id"}}},
     obj(id={"type": "string", "description": "the id", "minLength": 1})),
    ("ref_nested_chain",
     {"type": "object",
      "$defs": {"A": {"type": "object", "properties": {"b": {"$ref": "#/$defs/B"}}},
                "B": {"type": "array", "items": {"$ref": "#/$defs/C"}},
                "C": {"$ref": "#/$defs/D"},
                "D": {"type": "integer"}},
      "properties": {"a": {"$ref": "#/$defs/A"}}},
     obj(a=obj(b={"type": "array", "items": {"type": "integer"}}))),
    ("ref_json_pointer_escapes",
     {"type": "object", "$defs": {"a/b": {"type": "boolean"}, "c~d": {"type": "integer"}},
      "properties": {"x": {"$ref": "#/$defs/a~1b"}, "y": {"$ref": "#/$defs/c~0d"}}},
     obj(x={"type": "boolean"}, y={"type": "integer"})),
    ("ref_to_property_pointer",
     {"type": "object", "properties": {"a": {"type": "string", "maxLength": 4},
                                        "b": {"$ref": "#/properties/a"}}},
     obj(a={"type": "string", "maxLength": 4}, b={"type": "string", "maxLength": 4})),
    ("ref_root_with_defs",
     {"$ref": "#/$defs/Args", "$defs": {"Args": obj(q=S)}},
     obj(q=S)),
    ("ref_unresolved_remote",
     obj(v={"$ref": "https://example.com/schema.json#/X", "description": "ext"}),
     obj(v={"type": "object", "description": "ext (unresolved reference 'https://example.com/schema.json#/X')"})),
    ("ref_recursive_self",
     {"type": "object",
      "$defs": {"Node": {"type": "object", "description": "tree",
                         "properties": {"kids": {"type": "array", "items": {"$ref": "#/$defs/Node"}}}}},
      "properties": {"root": {"$ref": "#/$defs/Node"}}},
     obj(root={"type": "object", "description": "tree",
               "properties": {"kids": {"type": "array", "items": {
                   "type": "object", "description": "tree (recursive reference to 'Node' not expanded further)"}}}})),
    ("ref_recursive_root_hash",
     {"type": "object", "properties": {"name": S, "child": {"$ref": "#"}}},
     obj(name=S, child={"type": "object", "description": "(recursive reference to 'root' not expanded further)"})),
    ("ref_mutual_recursion_string_target",
     {"type": "object", "$defs": {"A": {"anyOf": [S, {"$ref": "#/$defs/A"}]}},
      "properties": {"a": {"$ref": "#/$defs/A"}}},
     obj(a={"anyOf": [S, {"type": "string", "description": "(recursive reference to 'A' not expanded further)"}]})),
    # --- numbers / formats -----------------------------------------------------
    ("exclusive_bounds_integer",
     obj(n={"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 10}),
     obj(n={"type": "integer", "minimum": 1, "maximum": 9})),
    ("exclusive_bounds_number",
     obj(x={"type": "number", "exclusiveMinimum": 0.5, "maximum": 3, "exclusiveMaximum": 2}),
     obj(x={"type": "number", "minimum": 0.5, "maximum": 2})),
    ("exclusive_bounds_draft4_boolean",
     obj(x={"type": "number", "minimum": 1, "exclusiveMinimum": True}),
     obj(x={"type": "number", "minimum": 1})),
    ("bounds_not_numeric_dropped",
     obj(x={"type": "number", "minimum": "1", "maximum": True}),
     obj(x={"type": "number"})),
    ("formats",
     obj(when={"type": "string", "format": "date-time"}, f={"type": "number", "format": "double"},
         i={"type": "integer", "format": "int64"}, u={"type": "string", "format": "uuid", "description": "ID"},
         bad={"type": "integer", "format": "uint8"}),
     obj(when={"type": "string", "format": "date-time"}, f={"type": "number", "format": "double"},
         i={"type": "integer", "format": "int64"}, u={"type": "string", "description": "ID (format: uuid)"},
         bad={"type": "integer", "description": "(format: uint8)"})),
    ("string_constraints",
     obj(s={"type": "string", "minLength": 1, "maxLength": 10, "pattern": "^[a-z]+$", "maxItems": 3}),
     obj(s={"type": "string", "minLength": 1, "maxLength": 10, "pattern": "^[a-z]+$"})),
    ("negative_or_fractional_counts_dropped",
     obj(s={"type": "string", "minLength": -1, "maxLength": 2.5}),
     obj(s=S)),
    # --- annotations -----------------------------------------------------------
    ("examples_to_example",
     obj(q={"type": "string", "examples": ["foo", "bar"]}),
     obj(q={"type": "string", "example": "foo"})),
    ("example_kept_over_examples",
     obj(q={"type": "string", "example": "x", "examples": ["y"]}),
     obj(q={"type": "string", "example": "x"})),
    ("markdown_description_fallback",
     obj(q={"type": "string", "markdownDescription": "**bold**"}),
     obj(q={"type": "string", "description": "**bold**"})),
    ("description_wins_over_markdown",
     obj(q={"type": "string", "description": "plain", "markdownDescription": "**md**"}),
     obj(q={"type": "string", "description": "plain"})),
    ("title_and_default_kept",
     obj(q={"type": "integer", "title": "Q", "default": 5}),
     obj(q={"type": "integer", "title": "Q", "default": 5})),
    ("null_default_dropped", obj(q={"type": "string", "default": None}), obj(q=S)),
    ("non_string_description_dropped", obj(q={"type": "string", "description": 5}), obj(q=S)),
    # --- objects ---------------------------------------------------------------
    ("required_filtered",
     {"type": "object", "properties": {"a": S}, "required": ["a", "ghost", "a", 7]},
     {"type": "object", "properties": {"a": S}, "required": ["a"]}),
    ("required_all_missing_dropped",
     {"type": "object", "properties": {"a": S}, "required": ["ghost"]},
     obj(a=S)),
    ("false_property_dropped",
     {"type": "object", "properties": {"a": S, "b": False}, "required": ["a", "b"]},
     {"type": "object", "properties": {"a": S}, "required": ["a"]}),
    ("nested_object_without_properties",
     obj(meta={"type": "object", "additionalProperties": {"type": "string"}, "description": "free form"},
         empty={"type": "object", "properties": {}}),
     obj(meta={"type": "object", "description": "free form"}, empty={"type": "object"})),
    ("properties_on_non_object_dropped_opencode_11888",
     obj(data={"type": "string", "properties": {"x": S}, "required": ["x"]}),
     obj(data=S)),
    ("property_ordering_filtered",
     {"type": "object", "properties": {"a": S, "b": S}, "propertyOrdering": ["b", "zz", "a"]},
     {"type": "object", "properties": {"a": S, "b": S}, "propertyOrdering": ["b", "a"]}),
    ("object_counts",
     obj(o={"type": "object", "properties": {"a": S}, "minProperties": 1, "maxProperties": 2}),
     obj(o={"type": "object", "properties": {"a": S}, "minProperties": 1, "maxProperties": 2})),
    # --- missing / odd types -----------------------------------------------------
    ("typeless_root_with_properties", {"properties": {"q": S}}, obj(q=S)),
    ("typeless_nodes_inferred",
     obj(o={"properties": {"a": S}}, a={"items": S}, n={"minimum": 0}, s={"maxLength": 3}, any={}),
     obj(o=obj(a=S), a={"type": "array", "items": S}, n={"type": "number", "minimum": 0},
         s={"type": "string", "maxLength": 3}, any=S)),
    ("boolean_true_property", obj(anything=True), obj(anything=S)),
    ("uppercase_types_lowered",
     {"type": "OBJECT", "properties": {"cmds": {"type": "ARRAY", "items": {"type": "STRING"}}}},
     obj(cmds={"type": "array", "items": S})),
    ("unknown_type_name_inferred",
     obj(v={"type": "any"}, w={"type": "file", "description": "upload"}),
     obj(v=S, w={"type": "string", "description": "upload"})),
    # --- root unions -------------------------------------------------------------
    ("root_anyof_objects_flattened",
     {"anyOf": [
         {"type": "object", "properties": {"kind": {"const": "a"}, "x": S}, "required": ["kind", "x"]},
         {"type": "object", "properties": {"kind": {"const": "b"}, "y": S}, "required": ["kind", "y"]}]},
     {"type": "object", "properties": {"kind": {"type": "string", "enum": ["a"]}, "x": S, "y": S},
      "required": ["kind"]}),
    ("root_anyof_no_objects", {"anyOf": [S, {"type": "integer"}]}, None),
]


def declared_order(node: Any) -> Any:
    """`node` with the `propertyOrdering` the converter adds: declaration order on every object of more than one
    property that has none (as google-genai's `process_schema` does)."""
    if isinstance(node, list):
        return [declared_order(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: declared_order(v) if k in ("items", "anyOf") else v for k, v in node.items()}
    if isinstance(node.get("properties"), dict):
        out["properties"] = {k: declared_order(v) for k, v in node["properties"].items()}
        if len(node["properties"]) > 1 and "propertyOrdering" not in node:
            out["propertyOrdering"] = list(node["properties"])
    return out


@pytest.mark.parametrize(("schema", "expected"), [c[1:] for c in EXACT_CASES], ids=[c[0] for c in EXACT_CASES])
def test_to_gemini_schema_exact(schema: Any, expected: Any) -> None:
    assert convert(schema) == declared_order(expected)


def test_property_ordering_follows_declaration_order() -> None:
    """Issue 6 §6: keys declared reasoning, answer, confidence are generated in that order, nested objects and
    array items included; an explicit ordering is kept; a single property or a forbidden one needs none."""
    schema = {"type": "object", "properties": {
        "reasoning": S, "answer": S, "confidence": {"type": "number"},
        "steps": {"type": "array", "items": {"type": "object", "properties": {"why": S, "what": S}}},
        "meta": {"type": "object", "properties": {"z": S, "a": S, "gone": False}, "propertyOrdering": ["a", "z"]},
        "one": {"type": "object", "properties": {"only": S}},
    }}
    out = convert(schema)
    assert out["propertyOrdering"] == ["reasoning", "answer", "confidence", "steps", "meta", "one"]
    assert prop(out, "steps")["items"]["propertyOrdering"] == ["why", "what"]
    assert prop(out, "meta")["propertyOrdering"] == ["a", "z"]
    assert "propertyOrdering" not in prop(out, "one")
    loose = convert({"type": "object", "properties": {"b": S, "gone": False, "a": S}})
    assert loose["propertyOrdering"] == ["b", "a"]


# ---------------------------------------------------------------------------
# Realistic generator output (literal JSON, so tests do not depend on versions)
# ---------------------------------------------------------------------------

PYDANTIC_V2 = {  # model_json_schema() of a model with enum, optional sub-model, recursion, union
    "$defs": {
        "Address": {
            "properties": {
                "street": {"description": "Street", "title": "Street", "type": "string"},
                "zip": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None, "title": "Zip"},
            },
            "required": ["street"], "title": "Address", "type": "object",
        },
        "Color": {"enum": ["red", "green"], "title": "Color", "type": "string"},
        "Level": {"enum": [1, 2], "title": "Level", "type": "integer"},
        "Node": {
            "description": "A tree node.",
            "properties": {
                "name": {"title": "Name", "type": "string"},
                "children": {"default": [], "items": {"$ref": "#/$defs/Node"}, "title": "Children", "type": "array"},
            },
            "required": ["name"], "title": "Node", "type": "object",
        },
    },
    "properties": {
        "color": {"$ref": "#/$defs/Color", "description": "pick a color"},
        "level": {"$ref": "#/$defs/Level"},
        "addr": {"anyOf": [{"$ref": "#/$defs/Address"}, {"type": "null"}], "default": None, "description": "where"},
        "mode": {"default": "a", "enum": ["a", "b"], "title": "Mode", "type": "string"},
        "tree": {"$ref": "#/$defs/Node"},
        "value": {"anyOf": [{"type": "integer"}, {"type": "string"}], "title": "Value"},
        "tags": {"items": {"type": "string"}, "maxItems": 3, "title": "Tags", "type": "array"},
        "n": {"exclusiveMinimum": 0, "maximum": 10, "title": "N", "type": "integer"},
        "when": {"format": "date-time", "title": "When", "type": "string"},
        "email": {"format": "email", "title": "Email", "type": "string"},
    },
    "required": ["color", "level", "tree", "value", "n", "when", "email"],
    "title": "Args", "type": "object",
}

ZOD_TO_JSON_SCHEMA = {  # zod-to-json-schema output as seen from opencode / MCP TS servers
    "type": "object",
    "properties": {
        "path": {"type": "string", "description": "File path"},
        "offset": {"type": "number", "exclusiveMinimum": 0},
        "encoding": {"type": "string", "enum": ["utf8", "base64"], "default": "utf8"},
        "options": {
            "type": "object",
            "properties": {"recursive": {"type": "boolean"}, "depth": {"type": ["integer", "null"]}},
            "additionalProperties": False,
        },
        "shape": {
            "anyOf": [
                {"type": "object", "properties": {"kind": {"type": "string", "const": "circle"},
                                                  "r": {"type": "number"}},
                 "required": ["kind", "r"], "additionalProperties": False},
                {"type": "object", "properties": {"kind": {"type": "string", "const": "square"},
                                                  "side": {"type": "number"}},
                 "required": ["kind", "side"], "additionalProperties": False},
            ],
        },
        "meta": {"type": "object", "additionalProperties": {}},
        "ids": {"type": "array", "items": {"type": ["string", "number"]}},
    },
    "required": ["path"],
    "additionalProperties": False,
    "$schema": "http://json-schema.org/draft-07/schema#",
}

MCP_TOOL_INPUT_SCHEMA = {  # firecrawl-like MCP tool: missing items, $comment, const unions, strict
    "type": "object",
    "$comment": "generated",
    "properties": {
        "urls": {"type": "array", "description": "URLs to scrape"},
        "formats": {"type": "array", "items": {"anyOf": [{"const": "markdown"}, {"const": "html"},
                                                         {"type": "object", "properties": {"type": {"const": "json"},
                                                                                           "schema": {}}}]}},
        "waitFor": {"type": "integer", "minimum": 0, "exclusiveMaximum": 60000},
        "location": {"type": "object", "properties": {"country": {"type": "string", "pattern": "^[A-Z]{2}$"}},
                     "required": ["country", "languages"]},
    },
    "required": ["urls"],
    "strict": True,
}


def test_pydantic_v2_schema() -> None:
    out = convert(PYDANTIC_V2)
    assert out["title"] == "Args"
    assert prop(out, "color") == {"type": "string", "title": "Color", "description": "pick a color",
                                  "enum": ["red", "green"]}
    assert prop(out, "level") == {"type": "string", "title": "Level", "enum": ["1", "2"]}
    addr = prop(out, "addr")
    assert addr["nullable"] is True and addr["description"] == "where" and addr["required"] == ["street"]
    assert addr["properties"]["zip"] == {"type": "string", "title": "Zip", "nullable": True}
    children = prop(out, "tree")["properties"]["children"]
    assert children["items"]["type"] == "object"
    assert "recursive reference to 'Node'" in children["items"]["description"]
    assert prop(out, "value") == {"anyOf": [{"type": "integer"}, {"type": "string"}]}
    assert prop(out, "n")["minimum"] == 1
    assert prop(out, "when")["format"] == "date-time"
    assert "format" not in prop(out, "email") and "email" in prop(out, "email")["description"]
    assert out["required"] == PYDANTIC_V2["required"]


def test_zod_schema() -> None:
    out = convert(ZOD_TO_JSON_SCHEMA)
    assert prop(out, "offset") == {"type": "number", "minimum": 0}
    assert prop(out, "options")["properties"]["depth"] == {"type": "integer", "nullable": True}
    shape = prop(out, "shape")["anyOf"]
    assert [b["properties"]["kind"]["enum"] for b in shape] == [["circle"], ["square"]]
    assert prop(out, "meta") == {"type": "object"}
    assert prop(out, "ids")["items"] == {"anyOf": [{"type": "string"}, {"type": "number"}]}
    assert out["required"] == ["path"]


def test_mcp_tool_schema() -> None:
    out = convert(MCP_TOOL_INPUT_SCHEMA)
    assert prop(out, "urls")["items"] == {"type": "string"}
    fmt_items = prop(out, "formats")["items"]["anyOf"]
    assert fmt_items[0] == {"type": "string", "enum": ["markdown"]}
    assert fmt_items[1] == {"type": "string", "enum": ["html"]}
    assert prop(out, "waitFor") == {"type": "integer", "minimum": 0, "maximum": 59999}
    assert prop(out, "location")["required"] == ["country"]


# ---------------------------------------------------------------------------
# Robustness
# ---------------------------------------------------------------------------


def test_input_is_never_mutated_and_output_is_independent() -> None:
    schema = copy.deepcopy(PYDANTIC_V2)
    schema["properties"]["cfg"] = {"type": "object", "properties": {"a": S}, "default": {"a": "x"},
                                   "examples": [{"a": "y"}]}
    snapshot = copy.deepcopy(schema)
    out = to_gemini_schema(schema)
    assert schema == snapshot
    out["properties"]["cfg"]["default"]["a"] = "changed"
    out["properties"]["cfg"]["example"]["a"] = "changed"
    assert schema == snapshot


def test_deterministic() -> None:
    assert to_gemini_schema(ZOD_TO_JSON_SCHEMA) == to_gemini_schema(copy.deepcopy(ZOD_TO_JSON_SCHEMA))


def test_very_deep_nesting_is_bounded() -> None:
    schema: dict[str, Any] = S
    for _ in range(200):
        schema = {"type": "object", "properties": {"x": schema}}
    out = convert(schema)
    depth, node = 0, out
    while "properties" in node:
        node, depth = node["properties"]["x"], depth + 1
    assert depth < 50
    assert "nested too deeply" in node["description"]


def test_exponential_ref_fanout_is_bounded() -> None:
    defs = {f"D{i}": obj(a={"$ref": f"#/$defs/D{i + 1}"}, b={"$ref": f"#/$defs/D{i + 1}"}) for i in range(40)}
    defs["D40"] = S
    out = convert({"type": "object", "$defs": defs, "properties": {"root": {"$ref": "#/$defs/D0"}}})
    assert len(json.dumps(out)) < 5_000_000


@pytest.mark.parametrize("junk", [
    {"type": "object", "properties": {"a": None, "b": 5, "c": "str", "d": []}},
    {"type": "object", "properties": {"a": {"anyOf": []}, "b": {"oneOf": [False, None]}}},
    {"type": "object", "properties": {"a": {"allOf": [True, False, {"type": "string"}]}}},
    {"type": "object", "properties": {"a": {"$ref": 5}, "b": {"$ref": "#/nope/x"}, "c": {"$ref": "#/properties/a/0"}}},
    {"type": "object", "properties": {"a": {"type": ["null"]}, "b": {"type": []}, "c": {"type": 7}}},
    {"type": "object", "properties": {"a": {"enum": [None]}, "b": {"enum": "notalist"}, "c": {"const": [1]}}},
    {"type": "object", "properties": {"a": {"type": "number", "minimum": float("inf"), "maximum": float("nan")}}},
    {"type": "object", "properties": {"a": {"allOf": [{"$ref": "#/$defs/A"}]}},
     "$defs": {"A": {"allOf": [{"$ref": "#/$defs/A"}], "type": "string"}}},
    {"type": "object", "properties": {"a": {"type": "object", "anyOf": [{"$ref": "#"}, {"type": "null"}]}}},
])
def test_junk_never_crashes_and_stays_valid(junk: Any) -> None:
    convert(junk)


def test_allowed_fields_constant_matches_checker() -> None:
    assert GEMINI_SCHEMA_FIELDS == ALLOWED_FIELDS
