"""The account's Google cookies: reading the forms users bring them in, and keeping the jar current.

Accepted (issue 9): a JSON object `{"cookie": "<Cookie header>", "sapisid": "…"}` (or `{name: value}`), a
Netscape `cookies.txt`, a browser-extension JSON export (a list of `{name, value, domain, …}`), a raw header
string `a=b; c=d`, or just `__Secure-1PSID` and `__Secure-1PSIDTS`. `__Secure-1PSID` is required for a signed-in
session; `__Secure-1PSIDTS` is short-lived and rotated (reference/gemini-web-protocol.md §1.3, §2).
"""

from __future__ import annotations

import json

PSID = "__Secure-1PSID"
PSIDTS = "__Secure-1PSIDTS"
SAPISID = "SAPISID"
_GOOGLE = "google.com"


class CookieFormatError(ValueError):
    """Text that is none of the accepted cookie forms, or holds no `__Secure-1PSID`; the message says what is
    accepted and never quotes a value."""


def _google_domain(domain: object) -> bool:
    """Cookies of google.com and its subdomains (a Netscape file or an export holds every site's)."""
    return not isinstance(domain, str) or not domain or domain.lstrip(".").endswith(_GOOGLE)


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


def _netscape(text: str) -> dict[str, str]:
    """A Netscape cookies.txt: tab-separated domain, flag, path, secure, expiry, name, value; `#HttpOnly_`
    marks a cookie, other `#` lines are comments."""
    jar: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("#HttpOnly_"):
            line = line[len("#HttpOnly_"):]
        elif line.startswith("#") or not line.strip():
            continue
        cols = line.rstrip("\r\n").split("\t")
        if len(cols) >= 7 and _google_domain(cols[0]):
            jar[cols[5]] = cols[6]
    return jar


def _from_json(data: object) -> dict[str, str]:
    if isinstance(data, list):  # a browser extension's export
        return {
            c["name"]: c["value"] for c in data
            if isinstance(c, dict) and isinstance(c.get("name"), str) and isinstance(c.get("value"), str)
            and _google_domain(c.get("domain"))
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


def parse_cookies(text: str) -> dict[str, str]:
    """{name: value} from any accepted form (see the module docstring). Raises CookieFormatError when nothing
    is found or `__Secure-1PSID` is missing."""
    stripped = text.strip().lstrip("\ufeff")
    jar: dict[str, str] = {}
    if stripped[:1] in "[{":
        try:
            jar = _from_json(json.loads(stripped))
        except ValueError:
            jar = {}
    elif "\t" in stripped or stripped.startswith("# Netscape") or stripped.startswith("# HTTP Cookie File"):
        jar = _netscape(stripped)
    elif "=" in stripped:
        jar = parse_header(stripped)
    jar = {k: v for k, v in jar.items() if k and v}
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


def merge_set_cookies(jar: dict[str, str], set_cookies: list[str], host: str) -> bool:
    """Apply `Set-Cookie` header values to `jar` in place (a value replaced; Max-Age=0 or an empty value
    removes it); only cookies for google.com or for `host` itself (a fake, a mirror) are taken. Returns
    whether the jar changed."""
    changed = False
    for line in set_cookies:
        first, *attrs = line.split(";")
        name, sep, value = first.strip().partition("=")
        if not sep or not name:
            continue
        options = {}
        for attr in attrs:
            key, _, val = attr.strip().partition("=")
            options[key.strip().lower()] = val.strip()
        domain = options.get("domain", "").lstrip(".")
        if domain and not (domain.endswith(_GOOGLE) or domain == host):
            continue
        gone = options.get("max-age") == "0" or not value.strip()
        if gone:
            changed |= jar.pop(name, None) is not None
        elif jar.get(name) != value.strip():
            jar[name] = value.strip()
            changed = True
    return changed
