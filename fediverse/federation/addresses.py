"""Refuse private, loopback and link-local targets: remote servers must not steer us into our own network."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from fediverse.errors import RemoteError, UnsafeAddress


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


async def check_url(url: str, *, allow_private: bool) -> str:
    """Validate scheme and host of `url`; resolve it and refuse non-public addresses. Returns the host."""
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
        if not _is_public(literal):
            raise UnsafeAddress(f"{host} is a non-public address; refused")
        return host
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, parts.port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise RemoteError(f"cannot resolve {host}: {exc}") from None
    for *_rest, sockaddr in infos:
        if not _is_public(str(sockaddr[0])):
            raise UnsafeAddress(f"{host} resolves to non-public address {sockaddr[0]}; refused")
    return host


def _address_literal(host: str) -> str | None:
    """The host as an IP address string when it is one, else None (it is a name to resolve)."""
    candidate = host.strip("[]")
    try:
        ipaddress.ip_address(candidate.split("%", 1)[0])
    except ValueError:
        return None
    return candidate
