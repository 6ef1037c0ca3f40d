"""Finding the requests the fake Gemini API received, by a marker string in their JSON body."""

from __future__ import annotations

import json


def upstream_requests(fake_api, marker: str, actions: tuple[str, ...] | None = None) -> list:
    """Every request the fake received whose body mentions `marker` (optionally of these actions), oldest first."""
    return [e for e in fake_api.requests
            if isinstance(e.body, dict) and marker in json.dumps(e.body) and (actions is None or e.action in actions)]


def upstream_body(fake_api, marker: str) -> dict:
    """The body of the most recent request the fake received that mentions `marker`."""
    found = upstream_requests(fake_api, marker)
    if not found:
        raise AssertionError(f"no upstream request contained {marker!r}")
    return found[-1].body
