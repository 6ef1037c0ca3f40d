"""Recorded upstream captures: they live outside the repo (../shared/fixtures, or $GEMGATE_FIXTURES)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def fixtures_dir() -> Path:
    """The captures' root; skips the test with the reason when it is absent."""
    root = Path(os.environ.get("GEMGATE_FIXTURES") or REPO.parent / "shared" / "fixtures")
    if not root.is_dir():
        pytest.skip(f"recorded upstream fixtures not found at {root} (set GEMGATE_FIXTURES)")
    return root


def gemini_fixture(name: str) -> Path:
    """One Gemini API capture by file name; skips the test when it is missing."""
    path = fixtures_dir() / "gemini-api" / name
    if not path.is_file():
        pytest.skip(f"fixture {name} missing from {path.parent}")
    return path


def web_capture(name: str) -> str:
    """The text of one gemini-web capture by file name (a JSON-string capture decoded to the body it wraps);
    skips the test when it is missing."""
    import json

    path = fixtures_dir() / "gemini-web" / name
    if not path.is_file():
        pytest.skip(f"fixture {name} missing from {path.parent}")
    text = path.read_text(encoding="utf-8")
    return json.loads(text) if path.suffix == ".json" and text.startswith('"') else text


def capture_files(directory: Path, pattern: str) -> list[Path]:
    """The files in `directory` matching `pattern`, sorted; a pattern that matches nothing fails."""
    paths = sorted(directory.glob(pattern))
    assert paths, f"no recorded capture in {directory} matches {pattern!r}"
    return paths
