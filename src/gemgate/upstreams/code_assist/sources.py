"""Where imported credentials come from: files, directories (recursive `*.json`, `*.zip`), zip archives
(entries at any depth, bounded against zip bombs), base64 of any of these (a file's content or an argument),
and environment variables (`GCLI_CREDS_*`, su-kaka/gcli2api README "凭证配置"; `GCP_SERVICE_ACCOUNT`,
GewoonJaap/gemini-cli-openai README). Each yields `Item`s: a label for the result table and either the
parsed JSON or the one-line reason it could not be read. Nothing here logs or echoes content.
"""

from __future__ import annotations

import base64
import binascii
import io
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import orjson

MAX_FILE_BYTES = 1 << 20  # a credential is ~2 KB; 1 MiB leaves room for pretty-printed lists
MAX_ZIP_ENTRIES = 1000
MAX_ZIP_BYTES = 64 << 20  # uncompressed total
MAX_ARCHIVE_BYTES = 64 << 20  # the archive file itself
ENV_PREFIX = "GCLI_CREDS_"
ENV_SINGLE = ("GCP_SERVICE_ACCOUNT",)


@dataclass
class Item:
    """One candidate: `label` (path, `archive.zip!inner/path`, `env NAME`, `argument N`), `data` (parsed
    JSON) or `error` (why not); `preferred`: this copy wins over a stored one (the environment's does)."""

    label: str
    data: object = None
    error: str | None = None
    preferred: bool = False


def decode(raw: bytes) -> object:
    """JSON from `raw`, or from base64 (standard or URL-safe, whitespace ignored) of JSON. ValueError if neither."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    compact = b"".join(raw.split())
    try:
        padded = compact + b"=" * (-len(compact) % 4)
        urlsafe = b"-" in compact or b"_" in compact
        inner = base64.b64decode(padded, altchars=b"-_" if urlsafe else None, validate=True)
        return orjson.loads(inner)
    except (binascii.Error, ValueError):
        raise ValueError("neither JSON nor base64 of JSON") from None


def _items(label: str, raw: bytes) -> Iterator[Item]:
    """The credential(s) in one document: an object, or a list of them (`label#1`, `label#2`...)."""
    try:
        data = decode(raw)
    except ValueError as exc:
        yield Item(label, error=str(exc))
        return
    if isinstance(data, list):
        for i, entry in enumerate(data, 1):
            yield Item(f"{label}#{i}", entry)
    else:
        yield Item(label, data)


def _zip(path: Path, raw: bytes) -> Iterator[Item]:
    """The `.json` entries of an archive. Refused whole before anything is read when it has more than
    MAX_ZIP_ENTRIES entries or declares more than MAX_ZIP_BYTES; each entry is read at most MAX_FILE_BYTES
    (a declared size can lie)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile:
        yield Item(str(path), error="not a valid zip archive")
        return
    entries = [i for i in archive.infolist() if not i.is_dir()]
    if len(entries) > MAX_ZIP_ENTRIES or sum(i.file_size for i in entries) > MAX_ZIP_BYTES:
        yield Item(str(path), error=f"refused: more than {MAX_ZIP_ENTRIES} entries or {MAX_ZIP_BYTES >> 20} MiB unpacked")
        return
    for info in sorted(entries, key=lambda i: i.filename):
        if not info.filename.lower().endswith(".json"):
            continue
        label = f"{path}!{info.filename}"
        try:
            with archive.open(info) as entry:
                data = entry.read(MAX_FILE_BYTES + 1)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError) as exc:
            yield Item(label, error=f"cannot unpack it ({type(exc).__name__})")
            continue
        if len(data) > MAX_FILE_BYTES:
            yield Item(label, error=f"refused: larger than {MAX_FILE_BYTES >> 10} KiB unpacked")
            continue
        yield from _items(label, data)


def _file(path: Path) -> Iterator[Item]:
    limit = MAX_ARCHIVE_BYTES if path.suffix.lower() == ".zip" else MAX_FILE_BYTES
    try:
        with path.open("rb") as f:
            raw = f.read(limit + 1)
    except OSError as exc:
        yield Item(str(path), error=f"cannot read it: {exc.strerror or type(exc).__name__}")
        return
    if len(raw) > limit:
        yield Item(str(path), error="refused: too large for a credential file")
    elif zipfile.is_zipfile(io.BytesIO(raw)):
        yield from _zip(path, raw)
    else:
        yield from _items(str(path), raw)


def from_paths(args: list[str]) -> Iterator[Item]:
    """Items from command-line arguments: a file, a directory (its `*.json` and `*.zip`, recursively, in name
    order), or — when no such path exists — the argument's text as base64 of a credential."""
    for n, arg in enumerate(args, 1):
        path = Path(arg)
        try:
            exists = path.exists()
        except OSError:  # a name too long for the file system: base64, most likely
            exists = False
        if exists and path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in (".json", ".zip"))
            if not found:
                yield Item(str(path), error="no *.json or *.zip files in this directory")
            for p in found:
                yield from _file(p)
        elif exists:
            yield from _file(path)
        elif len(arg) > 40:  # no credential file has such a name; a credential's base64 is longer still
            for item in _items(f"argument {n}", arg.encode()):
                yield Item(item.label, item.data, item.error and f"no such file, and {item.error}")
        else:
            yield Item(arg, error="no such file or directory")


def from_environment(environ: Mapping[str, str]) -> Iterator[Item]:
    """Items from `GCLI_CREDS_*` (in name order) and `GCP_SERVICE_ACCOUNT`: JSON or base64 of JSON each."""
    names = sorted(k for k in environ if k.startswith(ENV_PREFIX)) + [k for k in ENV_SINGLE if k in environ]
    for name in names:
        if environ[name].strip():
            for item in _items(f"env {name}", environ[name].encode()):
                item.preferred = True
                yield item
