"""SSRF test kit: a loopback tripwire that must never be connected to, a "public" media server on 127.0.0.2
that redirects anywhere, the URL forms and generators that try to reach inward, and sample media bytes.

The media server stands for a public host: `allow_media_server` lets the guard pass its one address
(127.0.0.2), so redirects from it to inward forms exercise the per-hop check.
"""

from __future__ import annotations

import base64
import selectors
import socket
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from hypothesis import strategies as st

from gemgate.http import addresses
from tests.support.canned import serving

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
HTML = b"<!doctype html><html><body>internal admin page</body></html>"
MEDIA_HOST = "127.0.0.2"
GENERIC = "URL not allowed or not reachable"


class Tripwire:
    """Listeners on 127.0.0.1 and [::1] (one port) recording every connection accepted in `hits`."""

    def __init__(self) -> None:
        self.v4 = socket.create_server(("127.0.0.1", 0))
        self.port = self.v4.getsockname()[1]
        self.listeners = [self.v4]
        try:
            self.listeners.append(socket.create_server(("::1", self.port), family=socket.AF_INET6))
        except OSError:  # no IPv6 loopback here: the v4 listener still catches mapped forms
            pass
        self.hits: list = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        with selectors.DefaultSelector() as sel:
            for s in self.listeners:
                sel.register(s, selectors.EVENT_READ)
            while not self._stop.is_set():
                for key, _ in sel.select(0.05):
                    conn, peer = key.fileobj.accept()
                    self.hits.append(peer)
                    conn.close()

    def __enter__(self) -> Tripwire:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for s in self.listeners:
            s.close()


class _MediaHandler(BaseHTTPRequestHandler):
    """/r/<hex> → 302 to the hex-decoded raw Location bytes; /png, /jpeg-as-png, /html-as-png, /octet; /slow."""

    bodies = {"/png": (PNG, "image/png"), "/jpeg-as-png": (JPEG, "image/png"),
              "/html-as-png": (HTML, "image/png"), "/octet": (PNG, "application/octet-stream")}

    def do_GET(self) -> None:
        if self.path == "/slow":  # headers never come: the fetch must time out
            time.sleep(1.5)
            return
        if self.path.startswith("/r/"):
            self.wfile.write(b"HTTP/1.1 302 Found\r\nLocation: " + bytes.fromhex(self.path[3:]))
            self.wfile.write(b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        body, ctype = self.bodies.get(self.path, (b"", ""))
        self.send_response(200 if ctype else 404)
        self.send_header("Content-Type", ctype or "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@contextmanager
def media_server():
    """A media server on 127.0.0.2 (see `_MediaHandler`); yields its base URL."""
    with serving(ThreadingHTTPServer((MEDIA_HOST, 0), _MediaHandler)) as url:
        yield url


def redirect(base: str, location: str) -> str:
    """A media-server URL answering 302 with `location` as its raw (UTF-8) Location header."""
    return f"{base}/r/{location.encode().hex()}"


class GuardSpy:
    """Wraps `addresses.forbidden_reason` (monkeypatched): passes the media server and records every other
    verdict, so a test can assert the guard, not some timeout, stopped a fetch, and that it let nothing through."""

    def __init__(self, monkeypatch) -> None:
        self.verdicts: list[tuple[str, str | None]] = []
        real = addresses.forbidden_reason

        def spy(address: str) -> str | None:
            if address == MEDIA_HOST:
                return None
            verdict = real(address)
            self.verdicts.append((address, verdict))
            return verdict

        monkeypatch.setattr(addresses, "forbidden_reason", spy)

    def passed(self) -> list[str]:
        """Addresses (other than the media server) the guard let a socket connect to."""
        return [a for a, v in self.verdicts if v is None]


# Hand-picked forms of the tripwire's loopback address; "{p}" is its port.
LOOPBACK_FORMS = [
    "http://127.0.0.1:{p}/x",
    "http://１２７.０.０.１:{p}/x",  # full-width digits
    "http://127。0。0。1:{p}/x",  # ideographic full stops
    "http://127．0．0．1:{p}/x",  # full-width full stops
    "http://127｡0｡0｡1:{p}/x",  # half-width ideographic full stops
    "http://①②⑦.⓪.⓪.①:{p}/x",  # circled digits
    "http://𝟏𝟐𝟕.𝟎.𝟎.𝟏:{p}/x",  # mathematical bold digits
    "http://127.0.0.1.:{p}/x",  # trailing dot
    "http://127.1:{p}/x",
    "http://2130706433:{p}/x",
    "http://0x7f000001:{p}/x",
    "http://0x7f.0.0.1:{p}/x",
    "http://0177.0.0.1:{p}/x",
    "http://017700000001:{p}/x",
    "http://127.000.000.001:{p}/x",
    "http://localhost:{p}/x",
    "http://LOCALHOST.:{p}/x",
    "http://ｌｏｃａｌｈｏｓｔ:{p}/x",  # full-width letters
    "http://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ:{p}/x",  # circled letters
    "http://locａlhost:{p}/x",  # mixed ASCII and full-width
    "http://user:pw@127.0.0.1:{p}/x",
    "http://[::1]:{p}/x",
    "http://[0:0:0:0:0:0:0:1]:{p}/x",
    "http://[::ffff:127.0.0.1]:{p}/x",  # IPv4-mapped
    "http://[::ffff:7f00:1]:{p}/x",
    "http://[0:0:0:0:0:ffff:127.0.0.1]:{p}/x",
    "http://[::127.0.0.1]:{p}/x",  # IPv4-compatible
    "http://[64:ff9b::127.0.0.1]:{p}/x",  # NAT64
    "http://[64:ff9b:1::7f00:1]:{p}/x",  # local-use NAT64
    "http://[2002:7f00:1::1]:{p}/x",  # 6to4
    "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]:{p}/x",  # Teredo (client 127.0.0.1)
    "http://[::1%25lo]:{p}/x",  # zone id
    "https://127.0.0.1:{p}/x",
]
# Forbidden addresses elsewhere: the guard must refuse them before any packet (GuardSpy shows it did).
OTHER_FORMS = [
    "http://169.254.169.254/latest/meta-data",
    "http://１６９。２５４。１６９。２５４/latest/meta-data",
    "http://⑯⑨.②⑤④.⑯⑨.②⑤④/latest",
    "http://[fd00:ec2::254]/latest",  # ULA (AWS IMDS over IPv6)
    "http://[::ffff:169.254.169.254]/",
    "http://[fe80::a9fe:a9fe%25eth0]/",  # link-local with a zone
    "http://[fec0::1]/",  # site-local
    "http://[ff02::1]/",  # multicast
    "http://[::]/",
    "http://0.0.0.0/",
    "http://10.0.0.1/",
    "http://100.64.0.1/",  # carrier-grade NAT
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://192.0.0.8/",
    "http://192.0.2.1/",
    "http://198.18.0.1/",  # benchmarking
    "http://203.0.113.9/",
    "http://224.0.0.1/",
    "http://240.0.0.1/",
    "http://255.255.255.255/",
    "http://[2001:db8::1]/",
    "http://[2001:2::1]/",  # IPv6 benchmarking
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 of the metadata address
    "http://[2002:a9fe:a9fe::1]/",  # 6to4 of the metadata address
]

_DIGITS = {d: [d, chr(0xFF10 + int(d)), chr(0x1D7CE + int(d)), "⓪" if d == "0" else chr(0x245F + int(d))] for d in "0123456789"}
_DOTS = [".", "。", "．", "｡"]
_LOOPBACK = 0x7F000001
_FORBIDDEN_V4 = [_LOOPBACK, 0xA9FEA9FE, 0x0A000001, 0x64400001, 0xC0A80001, 0xAC100001, 0x00000000, 0xC6120001, 0xE0000001]


def _octet(draw, value: int) -> str:
    # no zero-padded decimal: inet_aton reads "010" as octal 8, a different (public) address
    return draw(st.sampled_from([str(value), f"0{value:o}", f"0x{value:x}", f"0X{value:X}"]))


@st.composite
def _v4_text(draw, value: int) -> str:
    """One spelling of an IPv4 address: dotted (octets decimal, octal, hex), shorthand, or one number."""
    octets = value.to_bytes(4, "big")
    shape = draw(st.sampled_from(["dotted", "three", "two", "number"]))
    if shape == "dotted":
        return ".".join(_octet(draw, o) for o in octets)
    if shape == "three":
        return f"{_octet(draw, octets[0])}.{_octet(draw, octets[1])}.{int.from_bytes(octets[2:], 'big')}"
    if shape == "two":
        return f"{_octet(draw, octets[0])}.{int.from_bytes(octets[1:], 'big')}"
    return draw(st.sampled_from([str(value), hex(value), f"0{value:o}"]))


@st.composite
def _disguised(draw, text: str) -> str:
    """`text` with each digit, dot and x drawn from forms that NFKC/IDNA map back to ASCII."""
    out = []
    for ch in text:
        if ch in _DIGITS:
            out.append(draw(st.sampled_from(_DIGITS[ch])))
        elif ch == ".":
            out.append(draw(st.sampled_from(_DOTS)))
        elif ch in "xX":
            out.append(draw(st.sampled_from(["x", "X", "ｘ", "Ｘ"])))
        else:
            out.append(ch)
    return "".join(out) + draw(st.sampled_from(["", ".", "。"]))


@st.composite
def _v6_text(draw, value: int) -> str:
    """An IPv6 literal that carries or translates to the IPv4 `value`, or another non-public IPv6 form."""
    v4 = ".".join(str(o) for o in value.to_bytes(4, "big"))
    hi, lo = f"{value >> 16:x}", f"{value & 0xFFFF:x}"
    form = draw(st.sampled_from([
        f"::ffff:{v4}", f"::ffff:{hi}:{lo}", f"0:0:0:0:0:ffff:{hi}:{lo}", f"::{v4}", f"64:ff9b::{v4}",
        f"64:ff9b::{hi}:{lo}", f"2002:{hi}:{lo}::1", f"64:ff9b:1::{hi}:{lo}", "::1", "::", "fe80::1", "fc00::1",
        "fd12:3456::1", "fec0::1", "ff02::1", f"fe80::{hi}:{lo}%25eth0",
    ]))
    return draw(st.sampled_from([form, form.upper()]))


@st.composite
def forbidden_urls(draw, port: int) -> str:
    """URLs whose host is a disguised forbidden address; loopback ones point at the tripwire's `port`."""
    value = draw(st.sampled_from(_FORBIDDEN_V4))
    if draw(st.booleans()):
        host = draw(_disguised(draw(_v4_text(value))))
    else:
        host = f"[{draw(_v6_text(value))}]"
    scheme = draw(st.sampled_from(["http", "https", "HTTP"]))
    return f"{scheme}://{host}:{port}/x"
