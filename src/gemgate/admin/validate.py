"""Input checks shared by the admin operations. Each raises AdminError and never echoes a secret."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from ..upstreams import UPSTREAM_KINDS, kind_names
from .errors import AdminError

NAME_MAX = 64
_NAME = re.compile(r"[A-Za-z0-9._-]+")
PROXY_SCHEMES = ("http", "https", "socks5")


def check_name(name: object, what: str = "name") -> str:
    """Return `name` if it is 1-64 ASCII letters, digits, '.', '_' or '-'; raise AdminError otherwise.

    `what` ("account name", "key name") starts the message. The name itself is not echoed.
    """
    if not isinstance(name, str) or not name:
        raise AdminError(f"{what} must not be empty")
    if len(name) > NAME_MAX:
        raise AdminError(f"{what} is {len(name)} characters long; at most {NAME_MAX} are allowed")
    if not _NAME.fullmatch(name):
        raise AdminError(f"{what} may contain only letters, digits, '.', '_' and '-'")
    return name


def check_kind(kind: object) -> str:
    """Return `kind` if it is a registered upstream kind (gemgate.upstreams.kind_names()); else AdminError."""
    known = kind_names()
    if kind not in known:
        raise AdminError(f"unknown account kind; use one of: {', '.join(known)}")
    return kind  # type: ignore[return-value]


def check_secret(kind: str, secret: object) -> dict:
    """Return `secret` if it is a dict holding every field the kind declares (`Upstream.secret_fields`) as a
    non-empty string; for "gemini-api" that is {"api_key": "..."}. Raises AdminError naming the field,
    never its value.
    """
    if not isinstance(secret, dict):
        raise AdminError(f"the credential for a {kind} account must be an object of fields")
    cls = UPSTREAM_KINDS.get(kind)
    for field in cls.secret_fields if cls is not None else ():
        value = secret.get(field)
        if not isinstance(value, str) or not value.strip():
            raise AdminError(f"the credential for a {kind} account needs a non-empty '{field}'")
    return secret


def check_proxy(proxy: object) -> str | None:
    """Return the proxy URL, or None for no proxy (None or a blank string).

    Accepted: http://, https:// or socks5:// URLs with a host and, if given, a valid port, e.g.
    "http://user:pass@127.0.0.1:3128". Raises AdminError; the message never contains the URL.
    """
    if proxy is None or (isinstance(proxy, str) and not proxy.strip()):
        return None
    if not isinstance(proxy, str):
        raise AdminError("proxy must be a URL string")
    proxy = proxy.strip()
    hint = f"proxy must be an {', '.join(PROXY_SCHEMES[:-1])} or {PROXY_SCHEMES[-1]} URL with a host, e.g. http://127.0.0.1:3128"
    try:
        parts = urlsplit(proxy)
        _ = parts.port  # raises ValueError for a port that is not a number in 0-65535
    except ValueError:
        raise AdminError(hint + " (its port is not valid)") from None
    if parts.scheme.lower() not in PROXY_SCHEMES or not parts.hostname:
        raise AdminError(hint)
    if any(c.isspace() for c in proxy):
        raise AdminError(hint + " (it must not contain spaces)")
    return proxy


def redact_proxy(proxy: str | None) -> str | None:
    """The proxy URL fit for listings: `scheme://user:***@host:port` with a password, `scheme://***@host:port`
    with a user name alone (some proxies take a token there), unchanged without either; None stays None."""
    if not proxy:
        return proxy
    try:
        parts = urlsplit(proxy)
        password, user = parts.password, parts.username
    except ValueError:
        return "***"
    if password is None and not user:
        return proxy
    user_info, _, host = parts.netloc.rpartition("@")
    shown = f"{user_info.partition(':')[0]}:***" if password is not None else "***"
    return parts._replace(netloc=f"{shown}@{host}").geturl()
