"""Setting values written into the TOML config file (by `gemgate import`, migrating another server's settings),
with tomlkit so the user's comments and layout stay; a value the file already sets differently is kept."""

from __future__ import annotations

from pathlib import Path

import tomlkit

from .files import replace_atomically

SET, SAME, KEPT = "set", "unchanged", "kept"


def set_settings(path: Path, values: dict[str, object], dry_run: bool = False) -> list[tuple[str, object, str]]:
    """Set each dotted setting (`"max_attempts"`, `"upstreams.gemini_web.idle_timeout"`) in the TOML file at
    `path` (created when missing) unless the file sets it already; returns (setting, value, SET | SAME | KEPT
    and the file's value) per setting. With `dry_run` nothing is written. Raises OSError, and
    tomlkit.exceptions.ParseError for a file that is not TOML (nothing written then)."""
    doc = tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else tomlkit.document()
    rows: list[tuple[str, object, str]] = []
    for dotted, value in values.items():
        *tables, key = dotted.split(".")
        node = doc
        for name in tables:
            if name not in node:
                node[name] = tomlkit.table(is_super_table=name != tables[-1])
            node = node[name]
        if key not in node:
            node[key] = value
            rows.append((dotted, value, SET))
        elif node[key] == value:
            rows.append((dotted, value, SAME))
        else:
            rows.append((dotted, value, f"{KEPT} (the file says {node[key]!r})"))
    if not dry_run and any(r[2] == SET for r in rows):
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_atomically(path, tomlkit.dumps(doc).encode())
    return rows
