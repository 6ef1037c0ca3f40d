"""Proto-JSON spellings of the generationConfig values the gateway reads, in their plain form.

Google parses request bodies as proto3 JSON (protobuf.dev/programming-guides/json): an int32 field takes a
number or a decimal string ("70000", 70000.0 and 70000 are the same value), an enum field its name (Google takes
lower case too), and the enum's zero value (`THINKING_LEVEL_UNSPECIFIED`) means "not set". The gateway reads
`maxOutputTokens` (brought down to the model's limit) and `thinkingConfig` (checked against the model), so it
reads them as Google does; a value that is no valid spelling is left for Google's own 400.
"""

from __future__ import annotations

import re

_INT_FIELDS = ("maxOutputTokens", "candidateCount", "topK", "seed", "logprobs")
_UNSPECIFIED = "THINKING_LEVEL_UNSPECIFIED"  # GenerationConfig.ThinkingLevel's zero value
_INT = re.compile(r"-?\d{1,19}")


def proto_int(value: object) -> object:
    """An integer for a proto-JSON integer spelling (7, 7.0, "7"), else `value` unchanged."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INT.fullmatch(value.strip()):
        return int(value)
    return value


def proto_numbers(config: dict) -> None:
    """Rewrite in place a (camelCase) generationConfig's integer fields and `thinkingConfig.thinkingBudget` as
    integers, and drop `thinkingConfig.thinkingLevel` when it is the unspecified level (other names go as sent)."""
    for name in _INT_FIELDS:
        if name in config:
            config[name] = proto_int(config[name])
    thinking = config.get("thinkingConfig")
    if not isinstance(thinking, dict):
        return
    if "thinkingBudget" in thinking:
        thinking["thinkingBudget"] = proto_int(thinking["thinkingBudget"])
    level = thinking.get("thinkingLevel")
    if isinstance(level, str) and level.upper() == _UNSPECIFIED:
        del thinking["thinkingLevel"]
