"""Connect only to addresses the guard checked: resolve once, check, and pin the connection to that answer.

Checking a host name and then letting the HTTP library resolve it again leaves a DNS-rebinding window: the
second answer (short TTL, attacker's DNS) can be 127.0.0.1. Here the name is resolved exactly once per
connection, by `addresses.resolve_public`, and the socket is opened to one of the addresses it returned.
The URL keeps its host name, so the Host header, TLS SNI and certificate verification all use the name.

- httpx: `PinnedTransport`, an httpx transport whose httpcore pool uses `PinnedBackend` for every
  connect_tcp (httpcore passes the URL host to connect_tcp and, separately, as server_hostname to start_tls).
- aiohttp (the inbox poster): `CheckedResolver`, so the connector only ever sees checked addresses.

With HTTP(S)_PROXY set, requests go through the operator's proxy, which resolves names itself: then no
pinning is possible here, and the client falls back to checking before the request (`proxies_configured`).
"""

from __future__ import annotations

import asyncio
import socket
import urllib.request
from typing import Iterable

import httpcore
import httpx
from aiohttp.abc import AbstractResolver, ResolveResult

from fediverse.federation.addresses import resolve_public


def proxies_configured() -> bool:
    """True when proxy environment variables are set (httpx honours them; then httpx carries every request)."""
    return any(name in ("http", "https", "all") for name in urllib.request.getproxies())


def interleave_families(addresses: list[str]) -> list[str]:
    """The resolver's order, alternating IPv6 and IPv4 from the first one on (RFC 8305 section 4), so a
    broken family costs one attempt, not all of them."""
    first = [a for a in addresses if (":" in a) == (":" in addresses[0])]
    other = [a for a in addresses if (":" in a) != (":" in addresses[0])]
    mixed = [a for pair in zip(first, other) for a in pair]
    return mixed + first[len(other):] + other[len(first):]


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """httpcore network backend: connect_tcp(host) resolves `host` once, refuses it when any address is
    non-public (unless `allow_private`), and connects to those addresses only, in the resolver's order."""

    def __init__(self, *, allow_private: bool, backend: httpcore.AsyncNetworkBackend | None = None) -> None:
        self.allow_private = allow_private
        self._backend = backend or httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                          socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        try:
            async with asyncio.timeout_at(deadline):  # the connect time-out covers the lookup too
                addresses = await resolve_public(host, port, allow_private=self.allow_private)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} took longer than {timeout}s") from None
        failure: Exception | None = None
        candidates = interleave_families(addresses)
        for index, address in enumerate(candidates):
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0:
                break
            # A silent address (say, a dead IPv6 route) gets its share of the time, not all of it; refusals
            # come back at once and leave the rest to the next address.
            share = None if left is None else left / (len(candidates) - index)
            try:
                return await self._backend.connect_tcp(address, port, timeout=share, local_address=local_address,
                                                       socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc  # try the next checked address
        raise failure or httpcore.ConnectTimeout(f"no address of {host} answered within {timeout}s")

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None
                                  ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not remote servers")

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


class PinnedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport (TLS verification, pooling, error mapping) over a pool that connects through
    `PinnedBackend`. httpx has no public parameter for the network backend (encode/httpx#3749 is open), so
    the pool is built here with httpcore's public API and put in place of the default one."""

    def __init__(self, *, allow_private: bool, limits: httpx.Limits | None = None) -> None:
        limits = limits or httpx.Limits(max_connections=100, max_keepalive_connections=20)  # httpx's defaults
        tls = httpx.create_ssl_context()  # verification on, certifi or SSL_CERT_FILE/DIR, as httpx's default
        super().__init__(verify=tls, limits=limits)
        if not isinstance(getattr(self, "_pool", None), httpcore.AsyncConnectionPool):
            raise RuntimeError("httpx changed its transport internals: cannot pin outbound connections")
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=tls,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=PinnedBackend(allow_private=allow_private),
        )


def http_transport(*, allow_private: bool, limits: httpx.Limits | None = None) -> PinnedTransport | None:
    """The transport for a client that talks to remote servers: pinned, or None (httpx's default, which routes
    through the configured proxy) when proxy environment variables are set."""
    return None if proxies_configured() else PinnedTransport(allow_private=allow_private, limits=limits)


class CheckedResolver(AbstractResolver):
    """aiohttp resolver: the one lookup per host (aiohttp caches it) returns only checked addresses, so the
    connector can connect nowhere else; a host with any non-public address raises UnsafeAddress."""

    def __init__(self, *, allow_private: bool) -> None:
        self.allow_private = allow_private

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
                      ) -> list[ResolveResult]:
        addresses = await resolve_public(host, port, allow_private=self.allow_private)
        results = [ResolveResult(hostname=host, host=address, port=port,
                                 family=socket.AF_INET6 if ":" in address else socket.AF_INET, proto=0,
                                 flags=socket.AI_NUMERICHOST | socket.AI_NUMERICSERV)
                   for address in addresses]
        if family in (socket.AF_INET, socket.AF_INET6):  # the connector asked for one family only
            results = [result for result in results if result["family"] == family]
        if not results:
            raise OSError(f"{host} has no address of family {family!r}")
        return results

    async def close(self) -> None:
        return None
