"""Plain HTTP helpers for tests that check exact wire behaviour (no SDK in between)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass


@dataclass
class Reply:
    status: int
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()

    def sse(self) -> list:
        """The data payloads of an SSE body, JSON-decoded where possible."""
        out = []
        for block in self.text.replace("\r\n", "\n").split("\n\n"):
            for line in block.split("\n"):
                if line.startswith("data: "):
                    data = line[6:]
                    out.append(data if data == "[DONE]" else json.loads(data))
        return out


def request(method: str, url: str, body=None, *, key: str | None = None, headers=None, raw: bytes | None = None, timeout=30) -> Reply:
    hdrs = dict(headers or {})
    if key is not None:
        hdrs.setdefault("Authorization", f"Bearer {key}")
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    if data is not None:
        hdrs.setdefault("Content-Type", "application/json")
    req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return Reply(resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read())
    except urllib.error.HTTPError as err:
        return Reply(err.code, {k.lower(): v for k, v in err.headers.items()}, err.read())


def post(url, body=None, **kw) -> Reply:
    return request("POST", url, body, **kw)


def get(url, **kw) -> Reply:
    return request("GET", url, **kw)
