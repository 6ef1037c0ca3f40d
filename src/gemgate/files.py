"""Files gemgate rewrites that users also keep (cookie files, config.toml): replaced atomically, so a crash or a
full disk leaves the old file whole."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def replace_atomically(path: Path, data: bytes) -> None:
    """Write `data` to a temporary file beside `path` (same permissions), fsync it, and rename it over `path`.
    Raises OSError; the temporary file is removed and `path` untouched then."""
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o600
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
