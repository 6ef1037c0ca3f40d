"""The account's Google cookies: reading the forms users bring them in, and keeping the jar current.

Accepted (issue 9): a JSON object `{"cookie": "<Cookie header>", "sapisid": "…"}` (or `{name: value}`), a
Netscape `cookies.txt`, a browser-extension JSON export (a list of `{name, value, domain, …}`), a raw header
string `a=b; c=d`, or just `__Secure-1PSID` and `__Secure-1PSIDTS`. `__Secure-1PSID` is required for a signed-in
session; `__Secure-1PSIDTS` is short-lived and rotated (reference/gemini-web-protocol.md §1.3, §2).
"""

from __future__ import annotations

import json
import time
from email.utils import parsedate_to_datetime

PSID = "__Secure-1PSID"
PSIDTS = "__Secure-1PSIDTS"
SAPISID = "SAPISID"
_GOOGLE = "google.com"
# What a jar takes from Set-Cookie, as browsers bound it: Chromium keeps at most 180 cookies per domain
# (net/cookies/cookie_monster.cc kDomainMaxCookies); RFC 6265 §6.1 asks for 4096 bytes per cookie (name, value
# and attributes), which browsers also take as the most they keep. A flood past these is dropped, not stored.
MAX_COOKIES = 180
MAX_COOKIE_BYTES = 4096


class CookieFormatError(ValueError):
    """Text that is none of the accepted cookie forms, or holds no `__Secure-1PSID`; the message says what is
    accepted and never quotes a value."""


def google_domain(domain: object, host: str = "") -> bool:
    """Cookies of google.com and its subdomains, or of `host` itself (a fake, a mirror); also those naming no
    domain (a Netscape file or an export holds every site's). "notgoogle.com" is another site (RFC 6265
    §5.1.3 domain-match: the domain, or a name ending in "." + it)."""
    if not isinstance(domain, str) or not domain:
        return True
    name = domain.lstrip(".").lower()
    return name == _GOOGLE or name.endswith("." + _GOOGLE) or (bool(host) and name == host.lower())


def parse_header(text: str) -> dict[str, str]:
    """`a=b; c=d` (a Cookie header, with or without a leading `Cookie:`) as {name: value}."""
    text = text.strip()
    if text.lower().startswith("cookie:"):
        text = text[7:]
    jar: dict[str, str] = {}
    for piece in text.split(";"):
        name, sep, value = piece.strip().partition("=")
        if sep and name.strip():
            jar[name.strip()] = value.strip()
    return jar


def netscape_cols(line: str) -> list[str] | None:
    """A Netscape cookies.txt line's columns (domain, flag, path, secure, expiry, name, value; tab-separated) for a
    google.com cookie, the `#HttpOnly_` mark taken off; None for comments, blank lines and other sites."""
    if line.startswith("#HttpOnly_"):
        line = line[len("#HttpOnly_"):]
    elif line.startswith("#") or not line.strip():
        return None
    cols = line.rstrip("\r\n").split("\t")
    return cols if len(cols) >= 7 and google_domain(cols[0]) else None


def _netscape(text: str) -> dict[str, str]:
    """A Netscape cookies.txt's google.com cookies."""
    return {cols[5]: cols[6] for cols in map(netscape_cols, text.splitlines()) if cols is not None}


def _from_json(data: object) -> dict[str, str]:
    if isinstance(data, list):  # a browser extension's export
        return {
            c["name"]: c["value"] for c in data
            if isinstance(c, dict) and isinstance(c.get("name"), str) and isinstance(c.get("value"), str)
            and google_domain(c.get("domain"))
        }
    if isinstance(data, dict):
        if isinstance(data.get("cookie"), str):
            jar = parse_header(data["cookie"])
            if isinstance(data.get("sapisid"), str) and data["sapisid"].strip():
                jar.setdefault(SAPISID, data["sapisid"].strip())
            return jar
        if isinstance(data.get("cookies"), list):
            return _from_json(data["cookies"])
        return {k: v for k, v in data.items() if isinstance(v, str)}
    return {}


JSON, EXTENSION, NETSCAPE, HEADER = "json", "extension", "netscape", "header"  # the forms, as `form_of` names them


def form_of(text: str) -> str | None:
    """Which accepted form `text` is in: JSON (an object), EXTENSION (a JSON list of cookie objects), NETSCAPE,
    HEADER; None for none of them (JSON that does not parse, text without `=`)."""
    stripped = text.strip().lstrip("\ufeff")
    if stripped[:1] in "[{":
        try:
            data = json.loads(stripped)
        except ValueError:
            return None
        return EXTENSION if isinstance(data, list) or isinstance(data.get("cookies"), list) else JSON
    if "\t" in stripped or stripped.startswith("# Netscape") or stripped.startswith("# HTTP Cookie File"):
        return NETSCAPE
    return HEADER if "=" in stripped else None


def jar_of(text: str, form: str | None) -> dict[str, str]:
    """{name: value} of `text` read as `form` (see `form_of`); {} for None. Empty names and values are left out."""
    stripped = text.strip().lstrip("\ufeff")
    if form in (JSON, EXTENSION):
        jar = _from_json(json.loads(stripped))
    elif form == NETSCAPE:
        jar = _netscape(stripped)
    elif form == HEADER:
        jar = parse_header(stripped)
    else:
        jar = {}
    return {k: v for k, v in jar.items() if k and v}


def parse_cookies(text: str) -> dict[str, str]:
    """{name: value} from any accepted form (see the module docstring). Raises CookieFormatError when nothing
    is found or `__Secure-1PSID` is missing."""
    jar = jar_of(text, form_of(text))
    if not jar:
        raise CookieFormatError(
            "no cookies found: give a JSON {\"cookie\": \"<Cookie header>\"}, a Netscape cookies.txt, a browser "
            "extension's JSON export, a Cookie header string, or __Secure-1PSID and __Secure-1PSIDTS"
        )
    if not jar.get(PSID):
        raise CookieFormatError(
            f"the cookies lack {PSID}, without which Google serves a signed-out page: export the cookies of "
            "gemini.google.com from a browser that is signed in"
        )
    return jar


def header(jar: dict[str, str]) -> str:
    """The Cookie header for a jar."""
    return "; ".join(f"{name}={value}" for name, value in jar.items())


def merge_set_cookies(jar: dict[str, str], set_cookies: list[str], host: str,
                      expires: dict[str, float] | None = None, now: float | None = None) -> bool:
    """Apply `Set-Cookie` header values to `jar` in place (a value replaced; Max-Age=0 or an empty value
    removes it); only cookies for google.com or for `host` itself (a fake, a mirror) are taken, each of at most
    MAX_COOKIE_BYTES, and no new one once the jar holds MAX_COOKIES. With
    `expires` ({name: epoch seconds}), each taken cookie's `Max-Age` (from `now`) or `Expires` is recorded there
    (RFC 6265 §5.2.2: Max-Age wins) and a session cookie's entry dropped. Returns whether the jar changed."""
    changed = False
    now = time.time() if now is None else now
    for line in set_cookies:
        first, *attrs = line.split(";")
        name, sep, value = first.strip().partition("=")
        if not sep or not name:
            continue
        options = {}
        for attr in attrs:
            key, _, val = attr.strip().partition("=")
            options[key.strip().lower()] = val.strip()
        if not google_domain(options.get("domain"), host) or len(line.encode()) > MAX_COOKIE_BYTES:
            continue
        gone = options.get("max-age") == "0" or not value.strip()
        if not gone and name not in jar and len(jar) >= MAX_COOKIES:
            continue
        if expires is not None:
            until = None if gone else _expiry(options, now)
            if until is None:
                expires.pop(name, None)
            else:
                expires[name] = until
        if gone:
            changed |= jar.pop(name, None) is not None
        elif jar.get(name) != value.strip():
            jar[name] = value.strip()
            changed = True
    return changed


def _expiry(options: dict[str, str], now: float) -> float | None:
    """Epoch seconds a Set-Cookie's attributes say it ends at (Max-Age over Expires, RFC 6265 §5.2.2); None for
    a session cookie or unreadable attributes."""
    try:
        if options.get("max-age"):
            return now + int(options["max-age"])
        if options.get("expires"):
            return parsedate_to_datetime(options["expires"]).timestamp()
    except (ValueError, TypeError, OverflowError):
        return None
    return None
