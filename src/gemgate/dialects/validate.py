"""Small checks that turn wrong input into a 400 naming the field and what it should be."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import bad_request

# The largest value of Gemini's int32 fields (topK, outputDimensionality ...): Google's proto parser refuses more.
INT32_MAX = (1 << 31) - 1

_TYPE_NAMES = {
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "a boolean",
    list: "an array",
    dict: "an object",
}


def _describe(types: tuple[type, ...]) -> str:
    return " or ".join(_TYPE_NAMES.get(t, t.__name__) for t in types)


def expect(value: Any, types: type | tuple[type, ...], param: str) -> Any:
    """`value` if it is an instance of `types` (a JSON boolean never counts as a number); else GatewayError 400
    "'<param>' must be <type>, got <type>" with `param` set.
    """
    if type(value) is types:  # the common case, decided without building anything
        return value
    types = types if isinstance(types, tuple) else (types,)
    ok = isinstance(value, types)
    if ok and isinstance(value, bool) and bool not in types:
        ok = False  # JSON true is not a number
    if not ok:
        raise bad_request(f"'{param}' must be {_describe(types)}, got {_json_type(value)}", param)
    return value


def number(value: Any, param: str, lo: float | None = None, hi: float | None = None) -> float:
    """`value` if it is a JSON number within [lo, hi] (bounds optional); else GatewayError 400 naming `param`."""
    expect(value, (int, float), param)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise bad_request(f"'{param}' must be between {lo} and {hi}, got {value}", param)
    return value


def integer(value: Any, param: str, lo: int | None = None, hi: int | None = None) -> int:
    """`value` if it is a JSON integer within [lo, hi] (bounds optional); else GatewayError 400 naming `param`."""
    expect(value, int, param)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        bound = f"at least {lo}" if hi is None else f"between {lo} and {hi}"
        raise bad_request(f"'{param}' must be {bound}, got {value}", param)
    return value


def one_of(value: Any, choices: tuple[str, ...], param: str) -> str:
    """`value` if it is one of `choices`; else GatewayError 400 listing them."""
    if value not in choices:
        raise bad_request(f"'{param}' must be one of {', '.join(repr(c) for c in choices)}, got {value!r}", param)
    return value


def at_most(count: int, limit: int, setting: str, param: str, noun: str) -> None:
    """A 400 naming `param` when it holds `count` `noun`s and the `limits.<setting>` value `limit` is lower."""
    if count > limit:
        raise bad_request(f"'{param}' holds {count} {noun}; at most {limit} are allowed (limits.{setting})", param)


def no_unknown(obj: dict, known: frozenset[str], where: str) -> None:
    """Raise GatewayError 400 for the first key of `obj` not in `known` (param "<where>.<key>"), in the words
    OpenAI uses: "Unrecognized request argument supplied: ...".
    """
    unknown = [k for k in obj if k not in known]
    if unknown:
        prefix = f"{where}." if where else ""
        raise bad_request(
            f"Unrecognized request argument supplied: {prefix}{unknown[0]}. "
            f"Supported fields: {', '.join(sorted(known))}",
            f"{prefix}{unknown[0]}",
        )


def no_model_suffixes(spec: Any, action: str) -> None:
    """A 400 (param "model") when a resolved ModelSpec carries a thinking or `-search` suffix that `action` (e.g.
    "embeddings") cannot use, instead of dropping it silently."""
    if spec.thinking is not None or spec.search:
        raise bad_request(
            f"The model name '{spec.requested}' asks for thinking or search, which {action} do not use; "
            f"send the plain model id '{spec.model}'",
            "model",
        )


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def unique_call_id(call_id: str, seen: Mapping[str, object], what: str, param: str) -> str:
    """`call_id` when no earlier call of the history has it; a 400 naming the duplicate otherwise (Gemini
    matches answers to calls by position and name, so a repeated id would pair an answer with the wrong call,
    and Google's own 400 for what follows names none of the client's fields). `what` is the dialect's name for
    the id ("tool_call id", "call_id", "`tool_use` id"). An empty id (legacy function_call) is never checked."""
    if call_id and call_id in seen:
        raise bad_request(f"{param}: duplicate {what} '{call_id[:200]}': each tool call in the history needs its "
                          f"own id ({what}s must be unique)", param)
    return call_id
