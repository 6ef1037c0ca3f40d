"""The egress watch itself: it sees a contact beyond loopback by syscall and by proxy, and passes loopback."""

from __future__ import annotations

import sys
import textwrap

import pytest

from tests.clients.egress import contacts_in_trace
from tests.support.processes import base_env, run_process

pytestmark = pytest.mark.clients

# strace -xx lines as this machine printed them (a getaddrinfo and two connects; addresses hex-encoded).
TRACE = r"""
101 connect(3, {sa_family=AF_UNIX, sun_path="\x2f\x76\x61\x72\x2f\x72\x75\x6e"}, 110) = -1 ENOENT (No such file or directory)
101 connect(3, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("\x31\x30\x2e\x32\x35\x35\x2e\x32\x35\x35\x2e\x35\x33")}, 16) = 0
101 sendmmsg(3, [{msg_hdr={msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="\x0f\x4e\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03\x77\x77\x77\x0a\x67\x6f\x6f\x67\x6c\x65\x61\x70\x69\x73\x03\x63\x6f\x6d\x00\x00\x01\x00\x01", iov_len=36}], msg_iovlen=1, msg_controllen=0, msg_flags=0}, msg_len=36}], 2, MSG_NOSIGNAL) = 2
101 connect(4, {sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr("\x31\x32\x37\x2e\x30\x2e\x30\x2e\x31")}, 16) = -1 EINPROGRESS (Operation now in progress)
101 connect(5, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "\x3a\x3a\x31", &sin6_addr), sin6_scope_id=0}, 28) = 0
101 connect(6, {sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr("\x31\x34\x32\x2e\x32\x35\x30\x2e\x31\x2e\x31")}, 16) = -1 ENETUNREACH (Network is unreachable)
"""


def test_trace_contacts_are_named():
    assert contacts_in_trace(TRACE) == ["DNS query to 10.255.255.53:53", "DNS www.googleapis.com", "142.250.1.1:443"]


def _python(egress, tmp_path, code: str):
    env = base_env(tmp_path / "home", **egress.env())
    return run_process(egress.argv([sys.executable, "-c", textwrap.dedent(code)]), env=env, cwd=tmp_path, timeout=60)


def test_loopback_only_passes(egress, tmp_path, gw):
    done = _python(egress, tmp_path, f"""
        import urllib.request
        urllib.request.urlopen("{gw.url}/healthz", timeout=10).read()
    """)
    assert done.returncode == 0, done.describe()
    egress.check()


def test_a_direct_connection_is_caught(egress, tmp_path):
    if not egress.traced:
        pytest.skip("strace cannot trace here: only the proxy layer of the egress watch runs")
    done = _python(egress, tmp_path, """
        import socket
        s = socket.socket()
        s.settimeout(0.2)
        try:
            s.connect(("192.0.2.1", 443))  # TEST-NET-1 (RFC 5737): never routed anywhere
        except OSError:
            pass
    """)
    assert done.returncode == 0, done.describe()
    with pytest.raises(AssertionError, match=r"192\.0\.2\.1:443"):
        egress.check()


def test_a_lookup_is_caught(egress, tmp_path):
    if not egress.traced:
        pytest.skip("strace cannot trace here: only the proxy layer of the egress watch runs")
    _python(egress, tmp_path, """
        import socket
        try:
            socket.getaddrinfo("egress-probe.example.com", 443)
        except OSError:
            pass
    """)
    with pytest.raises(AssertionError, match="egress-probe.example.com"):
        egress.check()


def test_a_proxied_request_is_refused_and_caught(egress, tmp_path):
    done = _python(egress, tmp_path, """
        import urllib.error, urllib.request
        try:
            urllib.request.urlopen("http://egress-probe.example.com/x", timeout=10)
        except urllib.error.HTTPError as err:
            assert err.code == 403, err.code
    """)
    assert done.returncode == 0, done.describe()
    assert egress.refused == ["GET http://egress-probe.example.com/x"]
    with pytest.raises(AssertionError, match="egress-probe.example.com"):
        egress.check()
    egress.check(allow_refused=("GET http://egress-probe.example.com/",))
