"""Which IP addresses the media fetcher may connect to, decided on the socket address itself.

The decision is made on the address a socket is about to connect to (see `guarded_socket`), so it holds
whatever spelling the URL used: IDNA/UTS 46 (full-width digits, ideographic full stops, circled digits),
trailing dots, IPv4 shorthand (127.1, decimal, octal, hex), names that resolve inwards, DNS rebinding,
and every redirect hop.
"""

from __future__ import annotations

import errno
import ipaddress
import socket

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Not globally reachable, per the IANA IPv4 Special-Purpose Address Registry (RFC 6890 and its updates),
# plus multicast (RFC 5771). Listed here rather than trusting `is_global`, whose table varies by Python.
_V4_FORBIDDEN = tuple(
    ipaddress.IPv4Network(n)
    for n in (
        "0.0.0.0/8",  # "this network", unspecified
        "10.0.0.0/8",  # private (RFC 1918)
        "100.64.0.0/10",  # carrier-grade NAT (RFC 6598)
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local, cloud metadata endpoints
        "172.16.0.0/12",  # private
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation TEST-NET-1
        "192.88.99.0/24",  # 6to4 relay anycast (deprecated, RFC 7526)
        "192.168.0.0/16",  # private
        "198.18.0.0/15",  # benchmarking (RFC 2544)
        "198.51.100.0/24",  # documentation TEST-NET-2
        "203.0.113.0/24",  # documentation TEST-NET-3
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and 255.255.255.255 broadcast
    )
)

# IPv6 unicast on the Internet is 2000::/3 (IANA IPv6 Address Space registry); everything outside it is
# refused except NAT64's well-known prefix, whose embedded IPv4 address is checked instead.
_V6_GLOBAL = ipaddress.IPv6Network("2000::/3")
_V6_FORBIDDEN = tuple(
    ipaddress.IPv6Network(n)
    for n in (
        "2001::/23",  # IETF protocol assignments, including Teredo 2001::/32 and benchmarking 2001:2::/48
        "2001:db8::/32",  # documentation
        "3fff::/20",  # documentation (RFC 9637)
    )
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052 well-known prefix; 64:ff9b:1::/48 (local use) is refused
_SIX_TO_FOUR = ipaddress.IPv6Network("2002::/16")  # RFC 3056: the IPv4 address is bits 16-47


def forbidden_reason(address: str) -> str | None:
    """Why the media fetcher must not connect to `address` (an IPv4 or IPv6 literal, possibly with a
    `%zone`), or None when it is a public unicast address. IPv4-mapped, NAT64 and 6to4 IPv6 addresses are
    judged by the IPv4 address they carry; IPv4-compatible (::a.b.c.d), Teredo, ULA (fc00::/7), site-local
    (fec0::/10), link-local (fe80::/10), multicast and any address with a zone id are refused outright.
    A string that is not an IP address is refused too."""
    if "%" in address:
        return "an address with a zone id"
    try:
        ip: IPAddress = ipaddress.ip_address(address)
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_v4(ip)
        if embedded is not None:
            return forbidden_reason(str(embedded))
        if ip not in _V6_GLOBAL or any(ip in net for net in _V6_FORBIDDEN):
            return f"a non-public IPv6 address ({ip})"
        return None
    if any(ip in net for net in _V4_FORBIDDEN) or not ip.is_global:
        return f"a non-public IPv4 address ({ip})"
    return None


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for on the wire (mapped, NAT64, 6to4), else None."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in _SIX_TO_FOUR:
        return ip.sixtofour
    return None


def guarded_socket(addr_info: tuple) -> socket.socket:
    """Socket factory for aiohttp's `TCPConnector(socket_factory=…)`: called with the getaddrinfo-style
    `(family, type, proto, canonname, sockaddr)` of each address about to be connected to, IP literals in
    URLs included (they skip the resolver). Returns a new socket, or raises OSError before any packet is
    sent when `forbidden_reason` refuses the address or an IPv6 sockaddr carries a scope id."""
    family, type_, proto, _, sockaddr = addr_info
    reason = forbidden_reason(sockaddr[0])
    if reason is None and family == socket.AF_INET6 and len(sockaddr) > 3 and sockaddr[3]:
        reason = "an address with a zone id"
    if reason is not None:
        raise OSError(errno.EACCES, f"refused by the SSRF guard: {reason}")  # strerror shows in aiohttp's message
    return socket.socket(family=family, type=type_, proto=proto)


def loopback_socket(addr_info: tuple) -> socket.socket:
    """Socket factory like `guarded_socket`, for a fetcher kept on this machine (`fetch_loopback_only`): a new
    socket for a loopback address (127.0.0.0/8, ::1, and IPv6 forms carrying 127/8), else OSError before any
    packet is sent."""
    family, type_, proto, _, sockaddr = addr_info
    try:
        ip: IPAddress = ipaddress.ip_address(sockaddr[0])
    except ValueError:
        ip = ipaddress.IPv4Address(0)
    embedded = _embedded_v4(ip) if isinstance(ip, ipaddress.IPv6Address) else None
    if not (embedded or ip).is_loopback:
        raise OSError(errno.EACCES, f"refused: media URLs reach only this machine here, not {sockaddr[0]}")
    return socket.socket(family=family, type=type_, proto=proto)
