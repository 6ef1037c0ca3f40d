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


def capture_files(directory: Path, pattern: str) -> list[Path]:
    """The files in `directory` matching `pattern`, sorted; a pattern that matches nothing fails."""
    paths = sorted(directory.glob(pattern))
    assert paths, f"no recorded capture in {directory} matches {pattern!r}"
    return paths
