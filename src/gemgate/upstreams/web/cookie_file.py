"""An account's cookie file on disk: read with its form and the cookies' expiry dates, and written back in that
same form after a rotation, atomically (a temporary file in the same folder, fsync, rename: a crash leaves the
old file whole).

Only google.com cookies are touched: a Netscape cookies.txt or an extension's export keeps every other site's
lines and the entries' other fields as they were. `digest` (sha256 of the bytes) tells gemgate's own writes from
the user's: the stored account keeps the digest of the file it last read or wrote (see `watch`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from ...files import replace_atomically
from . import cookies
from .cookies import EXTENSION, HEADER, JSON, NETSCAPE, SAPISID, netscape_cols


@dataclass
class CookieFile:
    """What a cookie file holds: `jar` {name: value} (google.com only), `expires` {name: epoch seconds} for the
    cookies whose export says when they end, `form` (`cookies.form_of`), `digest` of the bytes read."""

    jar: dict[str, str]
    form: str
    digest: str
    expires: dict[str, float] = field(default_factory=dict)


def digest(data: bytes) -> str:
    """sha256 hex of a file's bytes."""
    return hashlib.sha256(data).hexdigest()


def read_text(text: str) -> CookieFile:
    """The CookieFile of `text`. Raises cookies.CookieFormatError as `cookies.parse_cookies` does."""
    jar = cookies.parse_cookies(text)
    form = cookies.form_of(text) or HEADER
    return CookieFile(jar, form, digest(text.encode()), _expiries(text, form))


def read(path: Path) -> CookieFile:
    """The CookieFile at `path`. Raises OSError, cookies.CookieFormatError."""
    data = path.read_bytes()
    loaded = read_text(data.decode("utf-8", errors="replace"))
    loaded.digest = digest(data)
    return loaded


def _expiries(text: str, form: str) -> dict[str, float]:
    """Expiry dates a Netscape file (column 5, epoch seconds; 0 a session cookie) or an extension export
    (`expirationDate`, epoch seconds) gives for google.com cookies; the other forms give none."""
    out: dict[str, float] = {}
    if form == NETSCAPE:
        for line in text.splitlines():
            cols = netscape_cols(line)
            if cols is not None and cols[4].strip().isdigit() and int(cols[4]) > 0:
                out[cols[5]] = float(cols[4])
    elif form == EXTENSION:
        for entry in _entries(json.loads(text.strip().lstrip("\ufeff"))):
            when = entry.get("expirationDate")
            if isinstance(when, (int, float)) and not isinstance(when, bool) and when > 0:
                out[entry["name"]] = float(when)
    return out


def _entries(data: object) -> list[dict]:
    """The google.com cookie objects of an extension export (a list, or `{"cookies": [...]}`)."""
    items = data.get("cookies") if isinstance(data, dict) else data
    return [c for c in items if isinstance(c, dict) and isinstance(c.get("name"), str)
            and cookies.google_domain(c.get("domain"))] if isinstance(items, list) else []


def render(text: str, form: str, jar: dict[str, str], expires: dict[str, float]) -> str:
    """`text` (a file in `form`) with its google.com cookies made `jar`: values replaced, cookies gone from the
    jar removed, new ones added; expiry dates from `expires` where the form has them; everything else kept."""
    if form == NETSCAPE:
        return _netscape(text, jar, expires)
    if form == EXTENSION:
        return _extension(text, jar, expires)
    if form == JSON:
        return _json_object(text, jar)
    prefix = "Cookie: " if text.strip().lower().startswith("cookie:") else ""
    return prefix + cookies.header(jar) + "\n"


def _netscape(text: str, jar: dict[str, str], expires: dict[str, float]) -> str:
    lines, seen = [], set()
    for line in text.splitlines():
        cols = netscape_cols(line)
        if cols is None:
            lines.append(line)
            continue
        name = cols[5]
        if name not in jar:
            continue
        seen.add(name)
        cols[6] = jar[name]
        if name in expires:
            cols[4] = str(int(expires[name]))
        lines.append(("#HttpOnly_" if line.startswith("#HttpOnly_") else "") + "\t".join(cols))
    for name, value in jar.items():
        if name not in seen:
            lines.append("\t".join([".google.com", "TRUE", "/", "TRUE", str(int(expires.get(name, 0))), name, value]))
    return "\n".join(lines) + "\n"


def _extension(text: str, jar: dict[str, str], expires: dict[str, float]) -> str:
    data = json.loads(text.strip().lstrip("\ufeff"))
    items = data["cookies"] if isinstance(data, dict) else data
    ours = {id(e) for e in _entries(items)}
    kept, seen = [], set()
    for entry in items:
        if id(entry) not in ours:
            kept.append(entry)
            continue
        if entry["name"] not in jar:
            continue
        seen.add(entry["name"])
        entry["value"] = jar[entry["name"]]
        if entry["name"] in expires:
            entry["expirationDate"] = expires[entry["name"]]
        kept.append(entry)
    for name, value in jar.items():
        if name not in seen:
            entry = {"domain": ".google.com", "name": name, "value": value, "path": "/", "secure": True,
                     "httpOnly": True}
            if name in expires:
                entry["expirationDate"] = expires[name]
            kept.append(entry)
    items[:] = kept
    return _dumps(data, text)


def _json_object(text: str, jar: dict[str, str]) -> str:
    data = json.loads(text.strip().lstrip("\ufeff"))
    if isinstance(data.get("cookie"), str):
        data["cookie"] = cookies.header(jar)
        if isinstance(data.get("sapisid"), str) and jar.get(SAPISID):
            data["sapisid"] = jar[SAPISID]
    else:  # {name: value}
        data = {**{k: v for k, v in data.items() if not isinstance(v, str)}, **jar}
    return _dumps(data, text)


def _dumps(data: object, original: str) -> str:
    """JSON laid out as the original was: indented when it spanned lines, one line otherwise."""
    return json.dumps(data, indent=2 if "\n" in original.strip() else None, ensure_ascii=False) + "\n"


def write_back(path: Path, jar: dict[str, str], expires: dict[str, float]) -> str:
    """Replace the file at `path` with its own content made `jar` (`render`, in the form it is in now), atomically;
    returns the digest of what was written. Raises OSError (the old file is then left whole), or
    cookies.CookieFormatError when the file no longer holds cookies (nothing is written then). A symbolic link is
    left alone (OSError): writing through it would replace a file elsewhere, and replacing it would cut the
    user's link to where their browser exports, whose later exports would then go unseen."""
    if path.is_symlink():
        raise OSError(f"{path} is a symbolic link: left as it is (the rotated cookies are kept in the store)")
    text = path.read_text(encoding="utf-8", errors="replace")
    form = cookies.form_of(text)
    if form is None:
        raise cookies.CookieFormatError(f"{path} no longer holds cookies in a form gemgate reads; not overwritten")
    data = render(text, form, jar, expires).encode()
    replace_atomically(path, data)
    return digest(data)
