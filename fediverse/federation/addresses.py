"""Refuse private, loopback and link-local targets: remote servers must not steer us into our own network.

Two halves: `check_url` vets a URL before any request (scheme, host, credentials, and, when asked to, the
addresses its name resolves to), and `resolve_public` is the one resolution a real connection uses
(federation/pinning.py connects to exactly the addresses it returned, so DNS cannot answer differently
between the check and the connect).

IPv6 addresses that carry an IPv4 address (IPv4-mapped, NAT64, 6to4, Teredo) are judged by the IPv4 inside
too: 64:ff9b::7f00:1 reaches 127.0.0.1 through a NAT64 gateway just as ::ffff:127.0.0.1 does.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from fediverse.errors import RemoteError, UnsafeAddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")  # every globally routed IPv6 address is in here (RFC 4291)
MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")  # IPv4-mapped: the socket layer connects to the IPv4 address
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052 well-known prefix: IPv4 in the last 32 bits
NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")  # RFC 8215 local-use: the operator picks /48../96
LOCAL_NAT64_LAYOUTS = (48, 56, 64, 96)  # RFC 6052 prefix lengths possible inside a /48


def is_public(address: str | IPAddress) -> bool:
    """True for a globally reachable unicast address whose embedded IPv4 address (if any) is one too."""
    ip = address if not isinstance(address, str) else ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv4Address):
        return ip.is_global and not ip.is_multicast
    wrapped = embedded_ipv4(ip)
    if ip in MAPPED or ip in NAT64 or ip in NAT64_LOCAL:
        return bool(wrapped) and all(is_public(v4) for v4 in wrapped)
    return ip in GLOBAL_UNICAST and ip.is_global and all(is_public(v4) for v4 in wrapped)


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """Every IPv4 address a translator or tunnel could reach through `ip` (all candidate layouts)."""
    if ip.ipv4_mapped is not None:
        return [ip.ipv4_mapped]
    if ip in NAT64:
        return [_rfc6052(ip, 96)]
    if ip in NAT64_LOCAL:  # the prefix length is local configuration: every possible layout must be public
        return [_rfc6052(ip, length) for length in LOCAL_NAT64_LAYOUTS]
    if ip.sixtofour is not None:  # 2002::/16
        return [ip.sixtofour]
    if ip.teredo is not None:  # 2001::/32: (server, client)
        return list(ip.teredo)
    return []


def _rfc6052(ip: ipaddress.IPv6Address, prefix_length: int) -> ipaddress.IPv4Address:
    """The IPv4 address embedded after a NAT64 prefix of this length (RFC 6052 section 2.2: bits 64-71 skipped)."""
    bits = int(ip).to_bytes(16, "big")
    start = prefix_length // 8
    octets = [b for index, b in enumerate(bits) if index >= start and index != 8][:4]
    return ipaddress.IPv4Address(bytes(octets))


async def check_url(url: str, *, allow_private: bool, resolve: bool = True) -> str:
    """Validate scheme and host of `url` and refuse a non-public address literal; with `resolve`, also
    resolve a host name and refuse it when any address is non-public. Returns the host.

    ``resolve=False`` is for requests over the pinning transport, which resolves and checks at connect time
    (resolving here too would be a second, unused answer)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise RemoteError(f"refusing {parts.scheme or 'scheme-less'} URL {url[:200]!r}: only http(s)")
    host = parts.hostname
    if not host:
        raise RemoteError(f"URL has no host: {url[:200]!r}")
    if parts.username or parts.password:
        raise RemoteError("refusing URL with credentials in it")
    if allow_private:
        return host
    literal = _address_literal(host)
    if literal is not None:
        if not is_public(literal):
            raise UnsafeAddress(f"{host} is a non-public address; refused")
        return host
    if resolve:
        await resolve_public(host, parts.port or (443 if parts.scheme == "https" else 80), allow_private=False)
    return host


async def resolve_public(host: str, port: int, *, allow_private: bool) -> list[str]:
    """Resolve `host` once and return its addresses, refusing the host when any of them is non-public
    (unless `allow_private`): the only addresses a connection to `host` may then use."""
    literal = _address_literal(host)
    if literal is not None:
        if not allow_private and not is_public(literal):
            raise UnsafeAddress(f"{host} is a non-public address; refused")
        return [literal]
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise RemoteError(f"cannot resolve {host}: {exc}") from None
    addresses = list(dict.fromkeys(str(sockaddr[0]) for *_rest, sockaddr in infos))
    if not addresses:
        raise RemoteError(f"cannot resolve {host}: no addresses")
    if not allow_private:
        for address in addresses:
            if not is_public(address):
                raise UnsafeAddress(f"{host} resolves to non-public address {address}; refused")
    return addresses


def _address_literal(host: str) -> str | None:
    """The host as an IP address string when it is one, else None (it is a name to resolve)."""
    candidate = host.strip("[]")
    try:
        ipaddress.ip_address(candidate.split("%", 1)[0])
    except ValueError:
        return None
    return candidate
