"""An egress check for client programs: while a CLI runs, nothing but loopback may be contacted.

Two layers (reference/client-harness.md, "General harness rules"):
- every socket address the program and its children connect or send to is read from `strace -f` (connect,
  sendto, sendmsg, sendmmsg): one that is not loopback, and any DNS query (port 53, even to a loopback
  resolver: the name asked is the host the program wanted), is a contact;
- HTTP(S)_PROXY point at a loopback refuser, with NO_PROXY for loopback, so a program that honours proxies
  never reaches the outside even when it tries (the Gemini CLI fetches Google's userinfo at start in Code
  Assist mode); each refused request is recorded by target (`CONNECT host:443`, `GET http://host/...`).

Without a usable strace (scripts/test installs it) only the refuser layer runs, and `traced` is False.
"""

from __future__ import annotations

import ipaddress
import re
import shutil
import subprocess
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.support.canned import serving

LOOPBACK_NAMES = "127.0.0.1,localhost,::1"
# The Gemini CLI's userinfo lookup at start in Code Assist mode (code_assist/oauth2.js `fetchAndCacheUserInfo`,
# 0.61), made through the proxy: what `check(allow_refused=...)` lets pass for it.
GEMINI_CLI_USERINFO = "CONNECT www.googleapis.com:443"
_SYSCALLS = "connect,sendto,sendmsg,sendmmsg"
_INET = re.compile(r'sa_family=AF_INET, sin_port=htons\((\d+)\), sin_addr=inet_addr\("([^"]+)"\)')
_INET6 = re.compile(r'sa_family=AF_INET6, sin6_port=htons\((\d+)\).*?inet_pton\(AF_INET6, "([^"]+)"')
_PAYLOAD = re.compile(r'"((?:\\x[0-9a-f]{2})+)"')


def _strace_prefix() -> list[str] | None:
    """The strace command line to run a program under, or None when strace is missing or cannot trace here
    (no ptrace permission). `--seccomp-bpf` (strace >= 5.3) stops the program only on the traced calls."""
    if shutil.which("strace") is None:
        return None
    for extra in (["--seccomp-bpf"], []):
        argv = ["strace", "-f", "-qq", *extra, "-e", f"trace={_SYSCALLS}", "-e", "signal=none", "-xx", "-s", "512"]
        try:
            probe = subprocess.run([*argv, "-o", "/dev/null", "true"], capture_output=True, timeout=20)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if probe.returncode == 0:
            return argv
    return None


def _unhex(text: str) -> str:
    """A string as strace `-xx` prints it (every byte as \\xNN) decoded."""
    return bytes.fromhex(text.replace("\\x", "")).decode("ascii", "replace") if text.startswith("\\x") else text


def _is_local(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    mapped = getattr(ip, "ipv4_mapped", None)
    ip = mapped or ip
    return ip.is_loopback or ip.is_unspecified


def _dns_names(line: str) -> list[str]:
    """The names asked by DNS queries in a traced line's payloads (hex bytes, `-xx`)."""
    names = []
    for hexed in _PAYLOAD.findall(line):
        data = bytes.fromhex(hexed.replace("\\x", ""))
        if len(data) < 17 or data[2] & 0x80 or data[4:6] != b"\x00\x01":  # a response, or not one question
            continue
        labels, i = [], 12
        while i < len(data) and data[i] and len(labels) < 64:
            labels.append(data[i + 1 : i + 1 + data[i]].decode("ascii", "replace"))
            i += 1 + data[i]
        names.append(".".join(labels))
    return names


def contacts_in_trace(text: str) -> list[str]:
    """Every contact in strace output that is not loopback: `<addr>:<port>`, and `DNS <name>` for each query
    (a DNS socket, port 53, counts whatever its server's address)."""
    found: list[str] = []
    for line in text.splitlines():
        for port, address in [*_INET.findall(line), *_INET6.findall(line)]:
            address = _unhex(address)
            if port == "53":
                found += [f"DNS {name}" for name in _dns_names(line)] or [f"DNS query to {address}:53"]
            elif not _is_local(address):
                found.append(f"{address}:{port}")
        call = line.split("(", 1)[0].split()[-1:]
        if call and call[0] in ("sendto", "sendmsg", "sendmmsg") and "htons(53)" not in line:
            found += [f"DNS {name}" for name in _dns_names(line)]  # a connected DNS socket's queries name no address
    return list(dict.fromkeys(found))


class _Refuser(BaseHTTPRequestHandler):
    """A forward proxy that forwards nothing: records the request's target and answers 403."""

    def refuse(self) -> None:
        with self.server.lock:
            self.server.seen.append(f"{self.command} {self.path}")
        self.send_response(403, "egress refused by the test harness")
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    do_CONNECT = do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = refuse

    def log_message(self, *args) -> None:
        pass


class EgressWatch:
    """Watches client programs run through `argv(...)` with `env()`; `check()` fails the test on any contact
    beyond loopback. `refused` lists what went to the refusing proxy; `allow_refused` in `check` names the
    targets a client is known to try on its own (they were refused, so nothing left the machine)."""

    def __init__(self, tmp: Path, proxy_url: str, seen: list[str]) -> None:
        self.tmp = tmp
        self.proxy_url = proxy_url
        self.refused = seen
        self.prefix = _strace_prefix()
        self.traced = self.prefix is not None
        self.traces: list[Path] = []
        self.checked = False

    def env(self) -> dict[str, str]:
        """Proxy variables (both spellings) pointing at the refuser, loopback exempted."""
        out = {}
        for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"):
            out[name] = out[name.lower()] = self.proxy_url
        out["NO_PROXY"] = out["no_proxy"] = LOOPBACK_NAMES
        return out

    def argv(self, argv: list[str]) -> list[str]:
        """`argv` run under strace (when usable), its trace written to a fresh file."""
        if self.prefix is None:
            return list(argv)
        trace = self.tmp / f"egress-{len(self.traces)}.trace"
        self.traces.append(trace)
        return [*self.prefix, "-o", str(trace), *argv]

    def contacts(self) -> list[str]:
        """Non-loopback contacts in every trace so far."""
        found: list[str] = []
        for trace in self.traces:
            if trace.exists():
                found += contacts_in_trace(trace.read_text(errors="replace"))
        return list(dict.fromkeys(found))

    def check(self, allow_refused: Iterable[str] = ()) -> None:
        """AssertionError naming every contact beyond loopback, and every refused proxy request whose target
        does not start with one of `allow_refused` (e.g. "CONNECT www.googleapis.com:443")."""
        self.checked = True
        contacts = self.contacts()
        assert not contacts, f"a client contacted more than loopback: {contacts}"
        allowed = tuple(allow_refused)
        unexpected = [r for r in self.refused if not r.startswith(allowed)] if allowed else list(self.refused)
        assert not unexpected, f"a client tried to reach beyond loopback through the proxy: {unexpected}"


@contextmanager
def refusing_proxy() -> Iterator[tuple[str, list[str]]]:
    """A loopback forward proxy that refuses every request: yields (its URL, the targets it was asked for)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Refuser)
    server.seen, server.lock = [], threading.Lock()
    with serving(server) as url:
        yield url, server.seen
