"""Helpers for the fake-upstream tests: recorded fixtures, JSON shapes, a tiny HTTP client."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]


def fixtures_dir() -> Path:
    """Recorded Google bytes live outside the repo (../shared/fixtures); never copied in."""
    root = Path(os.environ.get("GEMGATE_FIXTURES") or REPO.parent / "shared" / "fixtures")
    if not (root / "gemini-api").is_dir():
        pytest.skip(f"recorded fixtures not found at {root} (set GEMGATE_FIXTURES)")
    return root


def gemini_fixture(name: str) -> Path:
    path = fixtures_dir() / "gemini-api" / name
    if not path.is_file():
        pytest.skip(f"fixture {name} missing from {path.parent}")
    return path


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


class Http:
    """Tiny urllib client: returns (status, headers, body bytes) even for error statuses."""

    def __init__(self, base_url: str, key: str | None = "test-key") -> None:
        self.base_url = base_url
        self.key = key

    def call(self, method: str, path: str, body: Any = None, headers: dict | None = None,
             raw: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        all_headers = {"Content-Type": "application/json"}
        if self.key is not None:
            all_headers["x-goog-api-key"] = self.key
        all_headers.update(headers or {})
        request = urllib.request.Request(self.base_url + path, data=data, headers=all_headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), err.read()

    def post(self, path: str, body: Any = None, **kw: Any) -> tuple[int, dict[str, str], bytes]:
        return self.call("POST", path, body, **kw)

    def get(self, path: str, **kw: Any) -> tuple[int, dict[str, str], bytes]:
        return self.call("GET", path, **kw)

    def json(self, method: str, path: str, body: Any = None, **kw: Any) -> tuple[int, Any]:
        status, _, data = self.call(method, path, body, **kw)
        return status, json.loads(data)


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "parts": [{"text": text}]}


def sse_payloads(body: bytes) -> list[dict[str, Any]]:
    events = [e for e in body.decode("utf-8").split("\r\n\r\n") if e]
    assert all(e.startswith("data: ") and "\n" not in e for e in events), events
    return [json.loads(e[len("data: "):]) for e in events]
