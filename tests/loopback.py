"""Real HTTP/1.1 servers on 127.0.0.1 for client tests: each records the raw bytes it receives, how many
connections it accepted and (with TLS) the SNI names clients sent, and lets each test choose the answer."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest


@dataclass
class Request:
    head: bytes
    body: bytes

    @property
    def request_line(self) -> str:
        return self.head.split(b"\r\n", 1)[0].decode("ascii")

    @property
    def headers(self) -> list[tuple[str, str]]:
        lines = self.head.decode("latin-1").split("\r\n")[1:]
        return [(name, value.strip()) for name, _, value in (line.partition(":") for line in lines if line)]


Reply = Callable[[Request, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class Server:
    """An HTTP/1.1 server on 127.0.0.1 that keeps connections alive and lets each test choose the answer."""

    reply: Reply
    tls: ssl.SSLContext | None = None
    connections: int = 0
    server_names: list[str | None] = field(default_factory=list)  # SNI of each TLS handshake
    requests: list[Request] = field(default_factory=list)
    port: int = 0
    _server: asyncio.AbstractServer | None = None
    _handlers: set[asyncio.Task[None]] = field(default_factory=set)

    async def start(self) -> Server:
        if self.tls is not None:
            self.tls.sni_callback = lambda _sock, name, _ctx: self.server_names.append(name)  # type: ignore[assignment,misc,func-returns-value]
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.tls)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in self._handlers:  # a hanging handler would otherwise outlive the test
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._server.wait_closed()

    def url(self, path: str = "/users/bob/inbox") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                request = Request(head, b"")
                length = next((int(v) for k, v in request.headers if k.lower() == "content-length"), 0)
                request.body = await reader.readexactly(length)
                self.requests.append(request)
                await self.reply(request, writer)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
            self._handlers.discard(task)


def answer(status: str, extra: str = "", body: bytes = b"") -> Reply:
    async def reply(_request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\n{extra}\r\n".encode() + body)

    return reply



@pytest.fixture
async def serve() -> AsyncIterator[Callable[..., Awaitable[Server]]]:
    """start(reply, tls=None): a started Server, closed after the test."""
    servers: list[Server] = []

    async def start(reply: Reply, tls: ssl.SSLContext | None = None) -> Server:
        servers.append(await Server(reply, tls).start())
        return servers[-1]

    yield start
    for server in servers:
        await server.close()


