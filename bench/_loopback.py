"""Shared pieces of the benchmarks: fake remote inboxes, a minimal HTTP/1.1 client, small helpers.

Everything here talks to 127.0.0.1 only.

Run as a script it is the fake-inbox process (started by `InboxFarm`, never by hand):

    python bench/_loopback.py inboxes COUNT   < {"keys": {key_id: public_key_pem}}

It listens on COUNT ports of 127.0.0.1 (each port is one "instance", so the fan-out's shared-inbox dedupe
cannot collapse them), prints the ports as one JSON line, and answers every POST after *really* checking
it with the project's own verifier (time window, Digest against the body, RSA signature against the
known public key): 202 when it verifies, 401 otherwise. `GET /_stats` on any port returns the counters.
It exits when its standard input closes (so it never outlives the benchmark).
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterable

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"


# --- process set-up ---------------------------------------------------------------------------------

def raise_nofile() -> None:
    """Thousands of listening sockets and kept-alive connections need more than the default 1,024 fds."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def new_loop() -> asyncio.AbstractEventLoop:
    """uvloop, as `fediverse serve` runs under uvicorn[standard]."""
    import uvloop

    return uvloop.new_event_loop()


def run(coro: Any) -> Any:
    loop = new_loop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


def median(values: Iterable[float]) -> float:
    values = list(values)
    return statistics.median(values) if values else float("nan")


def cpu_note() -> str:
    return f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}"


# --- the minimal HTTP/1.1 client ------------------------------------------------------------------------

class MiniClient:
    """A minimal asyncio HTTP/1.1 client: raw request bytes, Content-Length responses, keep-alive per host.

    It is what the benchmarks call "the limit of this machine" for sending: no pool scans, no header
    objects, no timeouts beyond the caller's. Idle connections are kept per (host, port).
    """

    def __init__(self) -> None:
        self.idle: dict[tuple[str, int], list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]] = {}

    async def request(self, port: int, head: bytes, body: bytes = b"", host: str = HOST) -> tuple[int, bytes]:
        """Send `head` (request line + headers, without Content-Length or the blank line) and `body`."""
        key = (host, port)
        stack = self.idle.get(key)
        if stack:
            reader, writer = stack.pop()
        else:
            reader, writer = await asyncio.open_connection(host, port)
        writer.write(b"%sContent-Length: %d\r\n\r\n%s" % (head, len(body), body))
        raw = await reader.readuntil(b"\r\n\r\n")
        status, length, close = _parse_head(raw)
        payload = await reader.readexactly(length) if length else b""
        if close:
            writer.close()
        else:
            self.idle.setdefault(key, []).append((reader, writer))
        return status, payload

    async def aclose(self) -> None:
        for stack in self.idle.values():
            for _reader, writer in stack:
                writer.close()
        self.idle.clear()


def _parse_head(raw: bytes) -> tuple[int, int, bool]:
    lines = raw.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    close = lines[0].startswith(b"HTTP/1.0")
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection":
            close = value.strip().lower() == b"close"
        elif name == b"transfer-encoding":
            raise RuntimeError("chunked responses are not expected from the benchmark servers")
    return status, length, close


def request_head(method: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n").encode("latin-1")


# --- the fake-inbox process, parent side ------------------------------------------------------------------

class InboxFarm:
    """COUNT fake remote instances in one separate process (so they do not steal our event loop)."""

    def __init__(self, count: int, keys: dict[str, str]) -> None:
        self.count = count
        self.keys = keys
        self.proc: subprocess.Popen[bytes] | None = None
        self.ports: list[int] = []

    def start(self) -> list[int]:
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__)), "inboxes", str(self.count)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"keys": self.keys}).encode() + b"\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the fake-inbox process did not start")
        self.ports = json.loads(line)["ports"]
        return self.ports

    async def stats(self, client: MiniClient | None = None) -> dict[str, Any]:
        own = client is None
        client = client or MiniClient()
        try:
            status, body = await client.request(self.ports[0], request_head("GET", "/_stats", {"Host": f"{HOST}:{self.ports[0]}"}))
        finally:
            if own:
                await client.aclose()
        assert status == 200, status
        return json.loads(body)

    def stop(self) -> None:
        if self.proc is not None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None


# --- the fake-inbox process, server side -----------------------------------------------------------------

class _Stats:
    def __init__(self) -> None:
        self.ok = 0
        self.bad = 0
        self.errors: dict[str, int] = {}
        self.ports_hit: set[int] = set()


_ACCEPTED = b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"
_ACCEPTED_CLOSE = b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


class _InboxProtocol(asyncio.Protocol):
    def __init__(self, port: int, keys: dict[str, Any], stats: _Stats) -> None:
        import httptools

        self.port = port
        self.keys = keys
        self.stats = stats
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.url = b""
        self.headers: dict[str, str] = {}
        self.body: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        import httptools

        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            assert self.transport is not None
            self.transport.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            self.transport.close()

    def on_message_begin(self) -> None:
        self.url = b""
        self.headers = {}
        self.body = []

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        assert self.transport is not None
        method = self.parser.get_method().decode()
        path = self.url.decode("latin-1")
        keep_alive = self.parser.should_keep_alive()
        if method == "GET" and path == "/_stats":
            doc = json.dumps({"ok": self.stats.ok, "bad": self.stats.bad, "errors": self.stats.errors,
                              "ports_hit": len(self.stats.ports_hit)}).encode()
            self.transport.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                                 % (len(doc), doc))
            return
        error = self._verify(method, path, b"".join(self.body))
        if error is None:
            self.stats.ok += 1
            self.stats.ports_hit.add(self.port)
            self.transport.write(_ACCEPTED if keep_alive else _ACCEPTED_CLOSE)
        else:
            self.stats.bad += 1
            if len(self.stats.errors) < 20:
                self.stats.errors[error] = self.stats.errors.get(error, 0) + 1
            msg = error.encode()[:500]
            self.transport.write(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: %d\r\n\r\n%s" % (len(msg), msg))
        if not keep_alive:
            self.transport.close()

    def _verify(self, method: str, path: str, body: bytes) -> str | None:
        """The project's own verifier: freshness, Digest over these exact bytes, RSA signature."""
        from fediverse.activitypub.signatures.errors import SignatureError
        from fediverse.activitypub.signatures.verify import read_signature, verify_request

        if method != "POST":
            return f"unexpected {method}"
        if self.headers.get("content-type", "").split(";")[0].strip() != "application/activity+json":
            return "wrong content type"
        url = f"http://{self.headers.get('host', '')}{path}"
        try:
            info = read_signature(method, path, url, self.headers)
            key = self.keys.get(info.key_id)
            if key is None:
                return f"unknown keyId {info.key_id}"
            if self.headers.get("host") != f"{HOST}:{self.port}":
                return "Host does not name this instance"
            verify_request(info, method, path, url, self.headers, body, key)
        except SignatureError as exc:
            return f"signature: {exc}"
        return None


async def _serve_inboxes(count: int, pems: dict[str, str]) -> None:
    from fediverse.activitypub.signatures.keys import load_public_key

    keys = {key_id: load_public_key(pem) for key_id, pem in pems.items()}
    stats = _Stats()
    loop = asyncio.get_running_loop()
    servers = []
    ports: list[int] = []
    for _ in range(count):
        holder: dict[str, int] = {}
        server = await loop.create_server(lambda h=holder: _InboxProtocol(h["port"], keys, stats), HOST, 0, backlog=1024)
        holder["port"] = server.sockets[0].getsockname()[1]
        ports.append(holder["port"])
        servers.append(server)
    sys.stdout.write(json.dumps({"ports": ports}) + "\n")
    sys.stdout.flush()
    # Exit when the parent closes our stdin (or dies).
    await loop.run_in_executor(None, sys.stdin.read)
    for server in servers:
        server.close()


def _main(argv: list[str]) -> None:
    if len(argv) != 2 or argv[0] != "inboxes":
        raise SystemExit(__doc__)
    sys.path.insert(0, str(ROOT))
    raise_nofile()
    config = json.loads(sys.stdin.readline())
    run(_serve_inboxes(int(argv[1]), config["keys"]))


if __name__ == "__main__":
    _main(sys.argv[1:])
