"""The private-address guard: IPv6 addresses that wrap an IPv4 address are judged by the address inside."""

from __future__ import annotations

import pytest

from fediverse.errors import UnsafeAddress
from fediverse.federation.addresses import check_url, is_public

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
