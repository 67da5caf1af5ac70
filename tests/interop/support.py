"""Plumbing for interop tests: a throwaway CA, a TLS terminator, our real server as a subprocess.

Third-party servers look accounts up by `acct:user@host`, and WebFinger for an acct:
resource is always https (Fedify has no http fallback), so our server is reached
through a small TLS terminator on loopback: it forwards the decrypted bytes unchanged,
so Host, paths and signatures are exactly what the peer sent. Our config says
scheme = "https" and domain = "127.0.0.1:<terminator port>".
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import json
import socket
import ssl
import subprocess
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.backing import Backing, backing, clean_env, fediverse, job_worker, stop

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


# ------------------------------------------------------------------ certificates


@dataclass(frozen=True)
class Certs:
    ca: Path        # trust anchor for clients (NODE_EXTRA_CA_CERTS, httpx verify=)
    cert: Path      # server certificate for 127.0.0.1 / localhost
    key: Path


def make_certs(directory: Path, names: tuple[str, ...] = (LOOPBACK, "localhost")) -> Certs:
    """A one-off CA and a leaf certificate for `names` (IP addresses or host names) signed by it."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fediverse interop test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca_name)
        .public_key(leaf_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([_alt_name(name) for name in names]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    certs = Certs(directory / "ca.pem", directory / "server.pem", directory / "server.key")
    certs.ca.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    certs.cert.write_bytes(leaf_cert.public_bytes(serialization.Encoding.PEM))
    certs.key.write_bytes(leaf_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption()))
    return certs


def _alt_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


# ------------------------------------------------------------------ TLS terminator


class TlsTerminator:
    """Accept TLS on a loopback port and pipe the plaintext to a backend port, byte for byte."""

    def __init__(self, certs: Certs, backend_port: int) -> None:
        self.backend_port = backend_port
        self._ssl = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._ssl.load_cert_chain(certs.cert, certs.key)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tls-terminator", daemon=True)
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self.port = 0

    def start(self) -> int:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._handle, LOOPBACK, 0, ssl=self._ssl, ssl_handshake_timeout=10),
            self._loop).result(timeout=10)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            await self._relay(reader, writer)
        finally:
            self._handlers.discard(task)

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            back_reader, back_writer = await asyncio.wait_for(
                asyncio.open_connection(LOOPBACK, self.backend_port), timeout=10)
        except (OSError, TimeoutError, asyncio.CancelledError):
            writer.close()
            return

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while chunk := await src.read(65536):
                    dst.write(chunk)
                    await dst.drain()
            except (OSError, ConnectionError, ssl.SSLError):
                pass
            finally:
                try:
                    if dst.can_write_eof():
                        dst.write_eof()
                    else:
                        dst.close()
                except (OSError, RuntimeError):
                    pass

        try:
            await asyncio.gather(pipe(reader, back_writer), pipe(back_reader, writer))
        finally:  # also when stop() cancels a connection still open: no writer left for the GC to warn about
            for w in (writer, back_writer):
                w.close()

    def stop(self) -> None:
        async def close() -> None:
            if self._server is not None:
                self._server.close()
                self._server.close_clients()
            handlers = list(self._handlers)
            for task in handlers:
                task.cancel()
            await asyncio.gather(*handlers, return_exceptions=True)
        try:
            asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout=5)
        except Exception:  # noqa: BLE001 - best effort at teardown
            pass
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        if not self._thread.is_alive():
            self._loop.close()


# ------------------------------------------------------------------ our server


@dataclass
class OurServer:
    """`fediverse serve` in a subprocess, reachable as https://127.0.0.1:<port> through the terminator; in the
    PostgreSQL pass on a PostgreSQL database of its own, its deliveries sent by a `fediverse worker` via Redis."""

    workdir: Path
    certs: Certs
    backend_port: int = field(default_factory=free_port)
    terminator: TlsTerminator | None = None
    process: subprocess.Popen[bytes] | None = None
    config: Path | None = None
    log_path: Path | None = None
    backing: Backing | None = None
    _log: IO[bytes] | None = None
    _stack: ExitStack = field(default_factory=ExitStack)

    @property
    def domain(self) -> str:
        assert self.terminator is not None
        return f"{LOOPBACK}:{self.terminator.port}"

    @property
    def base_url(self) -> str:
        return f"https://{self.domain}"

    def start(self) -> None:
        self.terminator = TlsTerminator(self.certs, self.backend_port)
        self.terminator.start()
        self.backing = self._stack.enter_context(backing(self.workdir))
        self.config = self.workdir / "instance.toml"
        self.config.write_text(
            "[instance]\n"
            f'domain = "{self.domain}"\n'
            'scheme = "https"\n'
            'name = "interop test"\n'
            "[server]\n"
            f'host = "{LOOPBACK}"\n'
            f"port = {self.backend_port}\n"
            "[media]\n"
            f'root = "{self.workdir / "media"}"\n'
            f"{self.backing.toml(jobs='embedded_workers = 4')}"
            "[federation]\n"
            "allow_private_addresses = true\n"
            "connect_timeout = 3.0\n"
            "read_timeout = 10.0\n",
            encoding="utf-8",
        )
        self.log_path = self.workdir / "server.log"
        self._log = self.log_path.open("wb")
        self.cli("migrate", timeout=60)
        self._stack.enter_context(job_worker(self.config, self.workdir))
        self.process = subprocess.Popen(
            fediverse(self.config, "-v", "serve", "--port", str(self.backend_port)),
            stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=clean_env())
        deadline = time.monotonic() + 30
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"fediverse serve exited with {self.process.returncode}:\n{self.log()}")
            try:
                if httpx.get(f"http://{LOOPBACK}:{self.backend_port}/.well-known/nodeinfo", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"fediverse serve did not answer within 30 s:\n{self.log()}")
            time.sleep(0.2)

    def cli(self, *args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
        """Run a `fediverse` CLI command against this instance; raises with its output if it fails."""
        assert self.config is not None
        done = subprocess.run(fediverse(self.config, *args), capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, env=clean_env())
        if done.returncode != 0:
            raise AssertionError(f"fediverse {' '.join(args)} exited {done.returncode}:\n"
                                 f"{done.stdout}\n{done.stderr}\n--- server log ---\n{self.log()}")
        return done

    def client(self) -> httpx.Client:
        """An HTTP client that reaches us the way peers do: https, through the terminator."""
        return httpx.Client(base_url=self.base_url, verify=ssl.create_default_context(cafile=str(self.certs.ca)),
                            timeout=10)

    def get_json(self, path: str) -> Any:
        with self.client() as client:
            response = client.get(path, headers={"Accept": "application/activity+json"})
        response.raise_for_status()
        return response.json()

    def log(self) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-20000:]

    def stop(self) -> None:
        try:
            if self.process is not None and self.process.poll() is None:
                stop(self.process, timeout=10)
        finally:
            if self.terminator is not None:
                self.terminator.stop()
            if self._log is not None:
                self._log.close()
            self._stack.close()  # the worker stops, Redis keys and the PostgreSQL database go


def wait_until(check: Any, *, timeout: float, interval: float = 0.25, what: str = "condition") -> Any:
    """Poll `check()` until it returns something truthy; AssertionError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}; last value: {json.dumps(last, default=str)[:2000]}")
