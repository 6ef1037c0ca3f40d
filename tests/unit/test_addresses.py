"""The SSRF guard's address verdicts: every non-public range and every IPv6 form carrying one is refused."""

from __future__ import annotations

import socket

import pytest

from gemgate.http.addresses import forbidden_reason, guarded_socket

REFUSED = [
    "127.0.0.1", "127.255.255.254", "0.0.0.0", "10.1.2.3", "100.64.0.1", "100.127.255.255", "169.254.169.254",
    "172.16.0.1", "172.31.255.255", "192.0.0.8", "192.0.0.170", "192.0.2.1", "192.88.99.1", "192.168.0.1",
    "198.18.0.1", "198.19.255.255", "198.51.100.7", "203.0.113.7", "224.0.0.1", "239.255.255.250",
    "240.0.0.1", "255.255.255.255",
    "::", "::1", "::127.0.0.1", "::8.8.8.8", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::ffff:0:7f00:1",
    "64:ff9b::127.0.0.1", "64:ff9b::a00:1", "64:ff9b:1::808:808", "2002:7f00:1::1", "2002:a9fe:a9fe::",
    "2001::1", "2001:0:4136:e378:8000:63bf:80ff:fffe", "2001:2::1", "2001:db8::1", "3fff::1",
    "fc00::1", "fd00:ec2::254", "fe80::1", "fe80::1%eth0", "fec0::1", "ff02::1", "100::1", "5f00::1",
    "not-an-ip", "",
]
ALLOWED = ["8.8.8.8", "1.1.1.1", "100.63.255.255", "100.128.0.0", "172.32.0.1", "2a00:1450:4001:80b::200e",
           "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"]


@pytest.mark.parametrize("address", REFUSED)
def test_refused(address):
    assert forbidden_reason(address) is not None


@pytest.mark.parametrize("address", ALLOWED)
def test_allowed(address):
    assert forbidden_reason(address) is None


def test_socket_factory_refuses_before_connecting_and_checks_the_scope_id():
    stream = socket.SOCK_STREAM
    with pytest.raises(OSError, match="SSRF guard"):
        guarded_socket((socket.AF_INET, stream, 6, "", ("127.0.0.1", 80)))
    with pytest.raises(OSError, match="zone id"):
        guarded_socket((socket.AF_INET6, stream, 6, "", ("2606:4700:4700::1111", 80, 0, 2)))
    with guarded_socket((socket.AF_INET, stream, 6, "", ("8.8.8.8", 80))) as sock:
        assert sock.family == socket.AF_INET
