"""Request bodies and JSON shapes used across the tests."""

from __future__ import annotations

from typing import Any

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "description": "City name"}},
            "required": ["city"],
        },
    },
}


def user(text: str) -> dict[str, Any]:
    """A Gemini API user turn with one text part."""
    return {"role": "user", "parts": [{"text": text}]}


def key_paths(value: Any, prefix: str = "") -> set[str]:
    """Every key path in a JSON value, list indexes collapsed to []."""
    out: set[str] = set()
    if isinstance(value, dict):
        for k, v in value.items():
            out.add(prefix + k)
            out |= key_paths(v, prefix + k + ".")
    elif isinstance(value, list):
        for v in value:
            out |= key_paths(v, prefix + "[].")
    return out
