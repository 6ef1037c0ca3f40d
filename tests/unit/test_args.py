"""Function-call arguments get back the types the client declared, after Gemini's string-only enums."""

from gemgate.gemini.args import restore_arg_types
from gemgate.gemini.schema import to_gemini_schema

SCHEMA = {
    "type": "object",
    "properties": {
        "level": {"type": "integer", "enum": [1, 2, 3]},
        "ratio": {"type": "number", "enum": [0.5, 1.5]},
        "mode": {"type": "string", "enum": ["1", "fast"]},
        "fixed": {"const": 7},
        "maybe": {"anyOf": [{"type": "integer", "enum": [4, 5]}, {"type": "null"}]},
        "list": {"type": "array", "items": {"type": "integer", "enum": [8, 9]}},
        "nested": {"type": "object", "properties": {"n": {"type": "integer", "enum": [10]}}},
    },
}


def test_sanitised_schema_really_is_string_only():
    out = to_gemini_schema(SCHEMA)
    assert out["properties"]["level"] == {"type": "string", "enum": ["1", "2", "3"]}


def test_types_restored():
    args = {"level": "2", "ratio": "1.5", "mode": "1", "fixed": "7", "maybe": "5", "list": ["8", "9"], "nested": {"n": "10"}, "extra": "x"}
    assert restore_arg_types(args, SCHEMA) == {
        "level": 2, "ratio": 1.5, "mode": "1", "fixed": 7, "maybe": 5, "list": [8, 9], "nested": {"n": 10}, "extra": "x",
    }


def test_unmatched_values_and_missing_schema_pass_through():
    assert restore_arg_types({"level": "zzz"}, SCHEMA) == {"level": "zzz"}
    assert restore_arg_types({"a": "1"}, None) == {"a": "1"}
