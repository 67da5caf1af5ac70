"""The private-address guard: IPv6 addresses that wrap an IPv4 address are judged by the address inside."""

from __future__ import annotations

import ipaddress

import pytest

from fediverse.errors import RemoteError, UnsafeAddress
from fediverse.federation.addresses import check_url, is_public, resolve_public

PRIVATE_WRAPPED = [
    "64:ff9b::a00:1",  # NAT64 well-known prefix -> 10.0.0.1
    "64:ff9b::7f00:1",  # -> 127.0.0.1
    "64:ff9b::c0a8:101",  # -> 192.168.1.1
    "64:ff9b::a9fe:a9fe",  # -> 169.254.169.254 (cloud metadata)
    "64:ff9b:1::a00:1",  # RFC 8215 local-use NAT64, /96 layout -> 10.0.0.1
    "64:ff9b:1:7f00:1::",  # local-use NAT64, /48 layout (bits 64-71 skipped) -> 127.0.0.1
    "2002:a00:1::1",  # 6to4 -> 10.0.0.1
    "2002:7f00:1::1",  # -> 127.0.0.1
    "2002:c0a8:101::1",  # -> 192.168.1.1
    "::ffff:10.0.0.1",  # IPv4-mapped
    "::ffff:127.0.0.1",
    "::ffff:0:a00:1",  # IPv4-translated (SIIT)
    "::10.0.0.1",  # deprecated IPv4-compatible
    "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo (client 10.0.0.1)
]
PUBLIC_WRAPPED = [
    "64:ff9b::808:808",  # NAT64 -> 8.8.8.8
    "64:ff9b::5db8:d822",  # -> 93.184.216.34
    "2002:808:808::1",  # 6to4 -> 8.8.8.8
    "::ffff:8.8.8.8",
]


@pytest.mark.parametrize("address", PRIVATE_WRAPPED)
async def test_an_ipv6_address_wrapping_a_private_ipv4_is_refused(address: str) -> None:
    assert not is_public(address)
    with pytest.raises(UnsafeAddress, match="non-public"):
        await check_url(f"https://[{address}]/users/alice", allow_private=False)


@pytest.mark.parametrize("address", PUBLIC_WRAPPED)
async def test_an_ipv6_address_wrapping_a_public_ipv4_is_public(address: str) -> None:
    assert is_public(address)
    assert await check_url(f"https://[{address}]/users/alice", allow_private=False) == address


@pytest.mark.parametrize("address", ["2606:4700::1111", "2a00:1450:4001:80b::200e", "8.8.8.8", "93.184.216.34"])
def test_plain_public_addresses_stay_public(address: str) -> None:
    assert is_public(address)


@pytest.mark.parametrize("address", ["::1", "::", "fe80::1", "fc00::1", "fd12::1", "ff02::1", "2001:db8::1",
                                     "100::1", "127.0.0.1", "10.1.2.3", "100.64.0.1", "224.0.0.1", "0.0.0.0"])
def test_plain_private_addresses_stay_private(address: str) -> None:
    assert not is_public(address)


def _local_nat64(layout: int, first_octet: int) -> str:
    """A local-use NAT64 address (64:ff9b:1::/48) whose IPv4 address, read with this prefix length, starts
    with `first_octet`; read with any other length it is made of 8s (public)."""
    octets = [0x00, 0x64, 0xFF, 0x9B, 0x00, 0x01] + [8] * 10
    octets[layout // 8 + (layout == 64)] = first_octet  # RFC 6052 skips bits 64-71
    return str(ipaddress.IPv6Address(bytes(octets)))


@pytest.mark.parametrize("layout", [48, 56, 64, 96])
def test_local_use_nat64_is_refused_when_any_prefix_length_reaches_a_private_address(layout: int) -> None:
    assert is_public(_local_nat64(layout, 8))
    assert not is_public(_local_nat64(layout, 10)), "reaches 10.8.8.8 through a NAT64 gateway of this prefix length"


@pytest.mark.parametrize("address", ["fe80::1%eth0", "fe80::1%1"])
async def test_a_scoped_link_local_address_is_refused(address: str) -> None:
    assert not is_public(address)
    with pytest.raises(UnsafeAddress):
        await check_url(f"https://[{address.replace('%', '%25')}]/inbox", allow_private=False)


@pytest.mark.parametrize("url", ["https://user@example.com/", "https://:secret@example.com/",
                                 "https://user:secret@example.com/"])
async def test_a_url_with_credentials_is_refused(url: str) -> None:
    with pytest.raises(RemoteError, match="credentials"):
        await check_url(url, allow_private=True)


async def test_a_url_without_http_is_refused_with_its_scheme_named() -> None:
    with pytest.raises(RemoteError, match=r"^refusing scheme-less URL"):
        await check_url("//example.com/inbox", allow_private=True)
    with pytest.raises(RemoteError, match=r"^refusing ftp URL"):
        await check_url("ftp://example.com/inbox", allow_private=True)
    with pytest.raises(RemoteError, match="has no host"):
        await check_url("https:///inbox", allow_private=True)


async def test_a_name_is_resolved_and_refused_when_it_leads_inside() -> None:
    with pytest.raises(UnsafeAddress, match="localhost resolves to non-public address"):
        await check_url("https://localhost/inbox", allow_private=False)
    with pytest.raises(UnsafeAddress):
        await check_url("http://localhost:8080/inbox", allow_private=False)
    assert await check_url("https://localhost/inbox", allow_private=False, resolve=False) == "localhost"
    assert await check_url("https://localhost/inbox", allow_private=True) == "localhost"


async def test_resolution_returns_the_addresses_a_connection_may_use() -> None:
    addresses = await resolve_public("localhost", 443, allow_private=True)
    assert "127.0.0.1" in addresses and len(addresses) == len(set(addresses))
    assert await resolve_public("[::1]", 443, allow_private=True) == ["::1"]
    assert await resolve_public("8.8.8.8", 443, allow_private=False) == ["8.8.8.8"]
    with pytest.raises(UnsafeAddress, match="127.0.0.1 is a non-public address"):
        await resolve_public("127.0.0.1", 443, allow_private=False)
    with pytest.raises(UnsafeAddress):
        await resolve_public("localhost", 443, allow_private=False)


async def test_a_name_that_does_not_resolve_is_a_remote_error() -> None:
    for host in ("no-such-host.invalid", "a" * 64 + ".example"):  # the second is not even a valid DNS label
        with pytest.raises(RemoteError, match=f"cannot resolve {host[:20]}"):
            await resolve_public(host, 443, allow_private=False)


async def test_a_private_ipv4_literal_with_a_zone_suffix_is_refused_as_non_public() -> None:
    with pytest.raises(UnsafeAddress, match="non-public"):  # not a crash, nor a name sent to the resolver
        await check_url("https://10.0.0.1%25eth0/inbox", allow_private=False)
