"""The one plain HTTP client for tests that check exact wire behaviour (no SDK in between).

`request`/`post`/`get` take a whole URL; `Client` binds a base URL and an API key. Every call returns
a `Reply`, also for error statuses; it unpacks as `status, headers, body`.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any, NamedTuple

from .sse import parse_sse


class Headers(dict):
    """Response headers; names are stored lower-cased and looked up ignoring case."""

    def __init__(self, items) -> None:
        super().__init__((k.lower(), v) for k, v in items)

    def __getitem__(self, name: str) -> str:
        return super().__getitem__(name.lower())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and super().__contains__(name.lower())

    def get(self, name: str, default=None):
        return super().get(name.lower(), default)


class Reply(NamedTuple):
    status: int
    headers: Headers
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()

    def sse(self) -> list:
        """The data payloads of an SSE body, JSON-decoded where possible."""
        return parse_sse(self.body)


def request(method: str, url: str, body: Any = None, *, key: str | None = None, key_header: str = "Authorization",
            headers: dict | None = None, raw: bytes | None = None, timeout: float = 30) -> Reply:
    """One HTTP exchange. `key` goes in `key_header` (as a Bearer token for Authorization); `headers` win."""
    hdrs: dict[str, str] = {}
    if key is not None:
        hdrs[key_header] = f"Bearer {key}" if key_header.lower() == "authorization" else key
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    if data is not None:
        hdrs["Content-Type"] = "application/json"
    hdrs.update(headers or {})
    req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return Reply(resp.status, Headers(resp.headers.items()), resp.read())
    except urllib.error.HTTPError as err:
        return Reply(err.code, Headers(err.headers.items()), err.read())


def post(url: str, body: Any = None, **kw: Any) -> Reply:
    return request("POST", url, body, **kw)


def get(url: str, **kw: Any) -> Reply:
    return request("GET", url, **kw)


class Client:
    """`request`/`post`/`get` against one base URL with one API key."""

    def __init__(self, base_url: str, key: str | None = None, *, key_header: str = "Authorization") -> None:
        self.base_url = base_url
        self.key = key
        self.key_header = key_header

    @classmethod
    def gemini(cls, base_url: str, key: str | None = "test-key") -> Client:
        """A client that authenticates the Gemini API way, with `x-goog-api-key`."""
        return cls(base_url, key, key_header="x-goog-api-key")

    def request(self, method: str, path: str, body: Any = None, **kw: Any) -> Reply:
        return request(method, self.base_url + path, body, key=self.key, key_header=self.key_header, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.request("POST", path, body, **kw)

    def get(self, path: str, **kw: Any) -> Reply:
        return self.request("GET", path, **kw)


def wait_healthy(base_url: str, tries: int = 100) -> None:
    """Poll `GET /healthz` (0.1 s apart) until the server answers 200; a server that is not listening yet
    is waited for. Returns quietly after `tries` attempts: the test's next request then says what is wrong."""
    import time

    for _ in range(tries):
        try:
            if get(f"{base_url}/healthz").status == 200:
                return
        except OSError:
            time.sleep(0.1)
