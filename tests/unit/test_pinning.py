"""Outbound connections go only to the address the guard checked: DNS cannot rebind a name in between.

The resolver is the system boundary here: `socket.getaddrinfo` is replaced (asyncio's loop.getaddrinfo, anyio
and aiohttp all call it) by one that answers from a script per name and counts the lookups. The servers are
real ones on 127.0.0.1 (tests/loopback.py); every client is the one the app uses (SafeClient: httpx for
fetches, the aiohttp poster for inbox POSTs; the consent audit's crawler), with no injected transport.
"""

from __future__ import annotations

import socket
import ssl
from collections import Counter
from pathlib import Path

import pytest

from fediverse.config import Settings
from fediverse.errors import RemoteError, UnsafeAddress
from fediverse.federation.client import Delivered, SafeClient, Unreachable
from fediverse.services.consent_audit import audit
from tests.interop.support import make_certs
from tests.loopback import Server, answer

PUBLIC_IP = "93.184.216.34"  # public, and nothing of ours listens there: connecting fails or times out
AP_JSON = "application/activity+json"
DOC = answer("200 OK", f"Content-Type: {AP_JSON}\r\n", b'{"id": "https://pinned.test/doc"}')


class ScriptedDNS:
    """socket.getaddrinfo that answers scripted names with the next scripted address list (the last one
    repeats), and passes everything else (address literals, real names) to the real resolver."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, script: dict[str, list[list[str]]]) -> None:
        self.script = script
        self.lookups: Counter[str] = Counter()
        self._real = socket.getaddrinfo
        monkeypatch.setattr(socket, "getaddrinfo", self)

    def __call__(self, host, port, family=0, type=0, proto=0, flags=0):  # type: ignore[no-untyped-def]
        name = host.decode() if isinstance(host, bytes) else host
        name = name.rstrip(".") if isinstance(name, str) else name
        if name not in self.script:
            return self._real(host, port, family, type, proto, flags)
        answers = self.script[name]
        addresses = answers[min(self.lookups[name], len(answers) - 1)]
        self.lookups[name] += 1
        port = int(port or 0)
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "",
                 (a, port) if ":" not in a else (a, port, 0, 0)) for a in addresses]


def settings(**federation: object) -> Settings:
    return Settings().replace(federation={"connect_timeout": 0.3, "read_timeout": 0.5, **federation})


async def fetch(client: SafeClient, url: str) -> None:
    await client.fetch_json(f"{url}/doc")


async def post(client: SafeClient, url: str) -> None:
    await client.post(f"{url}/inbox", b"{}", {"Content-Type": AP_JSON})


@pytest.mark.parametrize("send", [fetch, post])
async def test_a_name_rebound_to_loopback_after_the_check_never_reaches_loopback(monkeypatch, serve, send) -> None:  # type: ignore[no-untyped-def]
    """rebind.test answers a public address, then 127.0.0.1: a fetch (httpx) and an inbox POST (aiohttp)
    connect to the public address that was checked (and fail there); the loopback server gets nothing."""
    server: Server = await serve(DOC)
    dns = ScriptedDNS(monkeypatch, {"rebind.test": [[PUBLIC_IP], ["127.0.0.1"]]})
    client = SafeClient(settings(allow_private_addresses=False))
    assert client._poster is not None, "a proxy is configured in the environment: nothing to pin"
    try:
        with pytest.raises(Unreachable):
            await send(client, f"http://rebind.test:{server.port}")
    finally:
        await client.aclose()
    assert server.requests == [] and server.connections == 0
    assert dns.lookups["rebind.test"] == 1  # one lookup: the address checked is the address connected to


async def test_the_consent_audit_cannot_be_rebound_to_loopback_either(monkeypatch, serve) -> None:  # type: ignore[no-untyped-def]
    server: Server = await serve(DOC)
    dns = ScriptedDNS(monkeypatch, {"rebind.test": [[PUBLIC_IP], ["127.0.0.1"]]})
    report = await audit(f"http://rebind.test:{server.port}/users/alice", allow_private=False)
    assert report.exit_code() == 2 and "Connect" in (report.items[0].error or "")
    assert server.requests == [] and server.connections == 0
    assert dns.lookups["rebind.test"] == 1


@pytest.mark.parametrize("answers", [["127.0.0.1"], [PUBLIC_IP, "127.0.0.1"], ["64:ff9b::7f00:1"]])
async def test_a_name_with_any_private_address_is_refused_at_connect_time(monkeypatch, serve, answers) -> None:  # type: ignore[no-untyped-def]
    server: Server = await serve(DOC)
    ScriptedDNS(monkeypatch, {"inside.test": [answers]})
    client = SafeClient(settings(allow_private_addresses=False))
    try:
        with pytest.raises(UnsafeAddress, match="non-public address"):
            await client.fetch_json(f"http://inside.test:{server.port}/doc")
        with pytest.raises(UnsafeAddress, match="non-public address"):
            await client.post(f"http://inside.test:{server.port}/inbox", b"{}", {})
    finally:
        await client.aclose()
    report = await audit(f"http://inside.test:{server.port}/users/alice", allow_private=False)
    assert report.exit_code() == 2 and "non-public address" in (report.items[0].error or "")
    assert server.connections == 0


async def test_with_private_addresses_allowed_a_named_loopback_server_answers_under_its_name(monkeypatch, serve) -> None:  # type: ignore[no-untyped-def]
    """The test config (allow_private_addresses = true): loopback is reached, still pinned to the one lookup,
    and the request carries the host name, not the address."""
    server: Server = await serve(DOC)
    dns = ScriptedDNS(monkeypatch, {"pinned.test": [["127.0.0.1"]]})
    client = SafeClient(settings(allow_private_addresses=True))
    try:
        final, body = await client.fetch_json(f"http://pinned.test:{server.port}/doc")
        assert body["id"] == "https://pinned.test/doc" and final == f"http://pinned.test:{server.port}/doc"
        poster_server: Server = await serve(answer("202 Accepted"))
        assert await client.post(f"http://pinned.test:{poster_server.port}/inbox", b"{}", {}) == Delivered(202, None)
    finally:
        await client.aclose()
    assert dns.lookups["pinned.test"] == 2  # one per connection: the fetch's and the POST's
    assert ("Host", f"pinned.test:{server.port}") in server.requests[0].headers
    assert ("Host", f"pinned.test:{poster_server.port}") in poster_server.requests[0].headers


async def test_tls_verifies_the_certificate_and_sends_sni_for_the_host_name(monkeypatch, serve, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The connection goes to 127.0.0.1, but the handshake names pinned.test (SNI), the certificate is checked
    for pinned.test (it has no IP address in it), and Host says pinned.test."""
    certs = make_certs(tmp_path, names=("pinned.test",))
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(certs.cert, certs.key)
    server: Server = await serve(DOC, tls)
    monkeypatch.setenv("SSL_CERT_FILE", str(certs.ca))  # our trust store: the test CA only
    ScriptedDNS(monkeypatch, {"pinned.test": [["127.0.0.1"]], "wrong.test": [["127.0.0.1"]]})
    client = SafeClient(settings(allow_private_addresses=True))
    try:
        _final, body = await client.fetch_json(f"https://pinned.test:{server.port}/doc")
        assert body["id"] == "https://pinned.test/doc"
        assert await client.post(f"https://pinned.test:{server.port}/inbox", b"{}", {}) == Delivered(200, None)
        with pytest.raises(Unreachable, match="CERTIFICATE_VERIFY_FAILED"):  # the same server under another name
            await client.fetch_json(f"https://wrong.test:{server.port}/doc")
        with pytest.raises(RemoteError, match="(?i)certificate"):
            await client.post(f"https://wrong.test:{server.port}/inbox", b"{}", {})
    finally:
        await client.aclose()
    assert server.server_names[:2] == ["pinned.test", "pinned.test"]
    assert all(("Host", f"pinned.test:{server.port}") in request.headers for request in server.requests)
    assert len(server.requests) == 2


async def test_when_the_first_checked_address_refuses_the_next_one_is_tried(monkeypatch, serve) -> None:  # type: ignore[no-untyped-def]
    """Nothing listens on 127.0.0.2 (the server is bound to 127.0.0.1): a peer with one dead address is still
    reached, over the addresses of the one lookup."""
    server: Server = await serve(DOC)
    dns = ScriptedDNS(monkeypatch, {"twohomes.test": [["127.0.0.2", "127.0.0.1"]]})
    client = SafeClient(settings(allow_private_addresses=True))
    try:
        _final, body = await client.fetch_json(f"http://twohomes.test:{server.port}/doc")
        assert await client.post(f"http://twohomes.test:{server.port}/inbox", b"{}", {}) == Delivered(200, None)
    finally:
        await client.aclose()
    assert body["id"] == "https://pinned.test/doc" and len(server.requests) == 2
    assert dns.lookups["twohomes.test"] == 2  # one per client (httpx, aiohttp), none in between
