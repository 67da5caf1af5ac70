"""Inbox POSTs through the aiohttp poster (SafeClient without an injected transport) against real loopback servers.

Each server (tests/loopback.py) is a few lines of asyncio on 127.0.0.1 that records the raw bytes it receives
and how many connections it accepted, so the tests see exactly what goes over the wire.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator

import pytest

from fediverse.activitypub.signatures.cavage import sign_cavage
from fediverse.activitypub.signatures.keys import generate_private_key
from fediverse.activitypub.signatures.verify import read_signature, verify_request
from fediverse.config import Settings
from fediverse.errors import RemoteError, UnsafeAddress
from fediverse.federation.client import Delivered, SafeClient, Unreachable
from tests.loopback import Request, answer

AP_JSON = "application/activity+json"
CONNECT_TIMEOUT = 0.2
READ_TIMEOUT = 0.3
DEADLINE = CONNECT_TIMEOUT + 3 * READ_TIMEOUT  # SafeClient's deadline: connect + 3 x read
MAX_BYTES = 100_000


def settings(**federation: object) -> Settings:
    return Settings().replace(federation={"connect_timeout": CONNECT_TIMEOUT, "read_timeout": READ_TIMEOUT,
                                          "max_response_bytes": MAX_BYTES, "allow_private_addresses": True,
                                          **federation})


@pytest.fixture
async def client() -> AsyncIterator[SafeClient]:
    c = SafeClient(settings())
    assert c._poster is not None, "these tests are about the aiohttp poster; is a proxy configured?"
    yield c
    await c.aclose()


async def test_an_accepted_delivery_returns_202(client: SafeClient, serve) -> None:  # type: ignore[no-untyped-def]
    server = await serve(answer("202 Accepted"))
    assert await client.post(server.url(), b"{}", {"Content-Type": AP_JSON}) == Delivered(202, None)


async def test_429_and_its_retry_after_are_passed_through(client: SafeClient, serve) -> None:  # type: ignore[no-untyped-def]
    server = await serve(answer("429 Too Many Requests", "Retry-After: 120\r\n", b"slow down"))
    assert await client.post(server.url(), b"{}", {}) == Delivered(429, "120")


@pytest.mark.parametrize("framing", ["content-length", "chunked", "until-close"])
async def test_a_huge_answer_is_cut_off_and_dropped(client: SafeClient, serve, framing: str) -> None:  # type: ignore[no-untyped-def]
    chunk = b"x" * 65_536
    count = 80  # 5 MiB, 50 x max_response_bytes

    async def reply(_request: Request, writer: asyncio.StreamWriter) -> None:
        if framing == "content-length":
            writer.write(f"HTTP/1.1 200 OK\r\nContent-Length: {count * len(chunk)}\r\n\r\n".encode())
        elif framing == "chunked":
            writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        else:
            writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
        for _ in range(count):
            writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if framing == "chunked" else chunk)
            await writer.drain()

    server = await serve(reply)
    started = time.monotonic()
    assert await client.post(server.url(), b"{}", {}) == Delivered(200, None)
    assert time.monotonic() - started < DEADLINE
    # The cut-off connection is not reused: the next POST opens a new one and still gets its answer.
    assert await client.post(server.url(), b"{}", {}) == Delivered(200, None)
    assert server.connections == 2


async def test_a_server_that_never_answers_is_unreachable_within_the_deadline(client: SafeClient, serve) -> None:  # type: ignore[no-untyped-def]
    async def hang(_request: Request, _writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(30)

    server = await serve(hang)
    started = time.monotonic()
    with pytest.raises(Unreachable):
        await client.post(server.url(), b"{}", {})
    assert time.monotonic() - started < DEADLINE + 0.5


async def test_a_server_that_drips_its_answer_is_cut_at_the_total_deadline(client: SafeClient, serve) -> None:  # type: ignore[no-untyped-def]
    async def drip(_request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        for _ in range(1000):  # a byte every 0.1 s: never idle for read_timeout, so only the deadline stops it
            writer.write(b"x")
            await writer.drain()
            await asyncio.sleep(0.1)

    server = await serve(drip)
    started = time.monotonic()
    with pytest.raises(Unreachable, match="did not answer"):
        await client.post(server.url(), b"{}", {})
    assert DEADLINE - 0.1 < time.monotonic() - started < DEADLINE + 0.5


async def test_connection_refused_is_unreachable(client: SafeClient) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago and has no listener now
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(Unreachable):
        await client.post(f"http://127.0.0.1:{port}/inbox", b"{}", {})


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_a_private_address_is_refused_before_any_connection(serve, host: str) -> None:  # type: ignore[no-untyped-def]
    server = await serve(answer("202 Accepted"))
    strict = SafeClient(settings(allow_private_addresses=False))
    try:
        with pytest.raises(UnsafeAddress):
            await strict.post(server.url().replace("127.0.0.1", host), b"{}", {})
    finally:
        await strict.aclose()
    assert server.connections == 0 and not server.requests


async def test_body_and_signed_headers_arrive_exactly_as_sent_and_verify(client: SafeClient, serve) -> None:  # type: ignore[no-untyped-def]
    server = await serve(answer("202 Accepted"))
    key = generate_private_key()
    key_id = "https://art.example/users/ana#main-key"
    url = server.url("/users/bob/inbox?x=1&y=%2F")
    body = '{"type":"Create","content":"caf\u00e9 \u2014 \U0001f3a8"}'.encode() + b" " * 3000
    headers = sign_cavage("POST", url, {"Content-Type": AP_JSON}, body, key_id, key)
    headers["Content-Type"] = AP_JSON

    assert await client.post(url, body, headers) == Delivered(202, None)

    [received] = server.requests
    assert received.request_line == "POST /users/bob/inbox?x=1&y=%2F HTTP/1.1"
    assert received.body == body
    got = dict(received.headers)
    for name in ("Signature", "Digest", "Date", "Host", "Content-Type"):
        assert got[name] == headers[name], name
    assert got["Host"] == f"127.0.0.1:{server.port}"
    assert got["Content-Length"] == str(len(body))
    assert got["User-Agent"] == client.user_agent
    # Nothing else is added: no Accept, no compression, no cookies.
    assert set(got) == {"Signature", "Digest", "Date", "Host", "Content-Type", "Content-Length", "User-Agent"}

    target = "/users/bob/inbox?x=1&y=%2F"
    info = read_signature("POST", target, url, got)
    verify_request(info, "POST", target, url, got, received.body, key.public_key())


async def test_kept_alive_connection_is_reused(client: SafeClient, serve) -> None:  # type: ignore[no-untyped-def]
    server = await serve(answer("202 Accepted", body=b'{"ok":true}'))
    for _ in range(3):
        assert (await client.post(server.url(), b"{}", {})).status == 202
    assert len(server.requests) == 3 and server.connections == 1


async def test_a_line_break_in_a_header_is_refused(client: SafeClient, serve) -> None:  # type: ignore[no-untyped-def]
    server = await serve(answer("202 Accepted"))
    with pytest.raises(RemoteError):
        await client.post(server.url(), b"{}", {"X-Evil": "a\r\nInjected: yes"})
    assert not server.requests


async def test_the_session_is_made_on_first_use_and_closed_with_the_client(serve) -> None:  # type: ignore[no-untyped-def]
    server = await serve(answer("202 Accepted"))
    c = SafeClient(settings())
    assert c._poster is not None and c._poster._session is None
    await c.post(server.url(), b"{}", {})
    session = c._poster._session
    assert session is not None and not session.closed
    await c.aclose()
    assert session.closed
    await c.aclose()  # twice is harmless


async def test_a_kept_alive_connection_closed_by_the_server_is_replaced_once(client: SafeClient, serve) -> None:  # type: ignore[no-untyped-def]
    answered: set[int] = set()

    async def once_per_connection(_request: Request, writer: asyncio.StreamWriter) -> None:
        if id(writer) in answered:  # the server gave up on this idle connection just as we reused it
            writer.transport.abort()
            return
        answered.add(id(writer))
        writer.write(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")

    server = await serve(once_per_connection)
    assert await client.post(server.url(), b"{}", {}) == Delivered(202, None)
    assert await client.post(server.url(), b"{}", {}) == Delivered(202, None)
    assert server.connections == 2 and len(server.requests) == 3


async def test_a_server_that_always_hangs_up_is_unreachable(client: SafeClient, serve) -> None:  # type: ignore[no-untyped-def]
    async def hang_up(_request: Request, writer: asyncio.StreamWriter) -> None:
        writer.transport.abort()

    server = await serve(hang_up)
    with pytest.raises(Unreachable, match="Disconnected|closed|reset"):
        await client.post(server.url(), b"{}", {})
    assert len(server.requests) == 2  # sent once more, not forever
