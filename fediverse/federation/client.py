"""The one HTTP client for talking to other servers: time-outs, size caps, address guard, bounded redirects.

GETs (fetches) go through httpx, hop by hop in federation/bounded_get.py (the consent audit's loop too). Inbox
POSTs, the bulk of our traffic (one per follower instance per activity), go through `InboxPoster`, one aiohttp
session: httpx's pool scans every pooled connection on each request, which made a fan-out cost ~1.5 ms of
event-loop CPU per delivery (bench/fanout.py). httpx still
carries the POSTs when a transport is injected (tests) or when proxy environment variables are set (httpx
honours them; the poster is not configured for proxies).

Both connect only to addresses the guard checked (federation/pinning.py): a host name is resolved once per
connection and the socket pinned to that answer, so DNS cannot rebind it to a private address in between.
With an injected transport or a proxy, the guard resolves and checks before each request instead.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Awaitable, Callable
from urllib.parse import urlsplit

import aiohttp
import httpx
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from yarl import URL

from fediverse import __version__
from fediverse.activitypub.jsonsafe import load_json
from fediverse.activitypub.signatures.cavage import sign_cavage
from fediverse.activitypub.signatures.http_parts import path_and_query
from fediverse.activitypub.vocab import ParseError
from fediverse.config import Settings
from fediverse.errors import RemoteError
from fediverse.federation.addresses import check_url
from fediverse.federation.bounded_get import Fetched, bounded_get, read_capped
from fediverse.federation.pinning import CheckedResolver, http_transport

ACCEPT_AP = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
AP_CONTENT_TYPES = ("application/activity+json", "application/ld+json")


class Gone(RemoteError):
    """The remote object answered 410: it was deleted for good."""


class DomainBlocked(RemoteError):
    """The host is under a suspend domain block: we send it nothing and fetch nothing from it."""


class Unreachable(RemoteError):
    """Time-out or connection failure: worth trying again later (inbox answers 503, not 401)."""


class RemoteStatus(RemoteError):
    """The remote server answered with an HTTP error status."""

    def __init__(self, url: str, status: int) -> None:
        super().__init__(f"{url[:200]} answered HTTP {status}")
        self.status = status


@dataclass(frozen=True)
class Signer:
    """Whose key signs a request: the keyId that verifiers will fetch, and the loaded private key."""

    key_id: str
    private_key: RSAPrivateKey


@dataclass(frozen=True)
class Delivered:
    status: int
    retry_after: str | None


MAX_CONNECTIONS = 200  # connections in use at once over all hosts (as httpx's max_connections was)
MAX_PER_HOST = 16  # in use at once to one (scheme, host, port): a busy shared inbox is not flooded
KEEPALIVE_SECONDS = 5.0  # an idle connection is closed after this (httpx's keepalive_expiry)
DNS_CACHE_SECONDS = 60  # aiohttp caches the checked answers of CheckedResolver this long


class InboxPoster:
    """POSTs of pre-signed bodies through one aiohttp.ClientSession, made on first use in the running loop.

    Headers go out as given (aiohttp adds Host when missing, Content-Length, and our User-Agent; nothing
    else); no cookies, no redirects, no decompression. The answer body is never used: at most `max_bytes`
    of it is read and dropped, so the connection can be kept alive (a longer one closes the connection).
    """

    def __init__(self, user_agent: str, *, deadline: float, connect_timeout: float, read_timeout: float,
                 max_bytes: int, allow_private: bool) -> None:
        self.user_agent = user_agent
        self.allow_private = allow_private
        self.max_bytes = max_bytes
        # sock_connect, not connect: aiohttp's `connect` also counts the wait for a free pool slot, which
        # under a big fan-out is not the remote's fault; the total deadline bounds that wait.
        self.timeout = aiohttp.ClientTimeout(total=deadline, sock_connect=connect_timeout, sock_read=read_timeout)
        self._session: aiohttp.ClientSession | None = None
        self._closed = False

    def _open(self) -> aiohttp.ClientSession:
        tls = httpx.create_ssl_context()  # verification on, the trust store httpx uses (certifi, or SSL_CERT_FILE/DIR)
        tls.set_alpn_protocols(["http/1.1"])
        connector = aiohttp.TCPConnector(limit=MAX_CONNECTIONS, limit_per_host=MAX_PER_HOST,
                                         keepalive_timeout=KEEPALIVE_SECONDS, ttl_dns_cache=DNS_CACHE_SECONDS, ssl=tls,
                                         resolver=CheckedResolver(allow_private=self.allow_private))
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=self.timeout,
            headers={"User-Agent": self.user_agent},
            skip_auto_headers=("Accept", "Accept-Encoding", "Content-Type", "User-Agent"),
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,
            trust_env=False,
        )
        return self._session

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> Delivered:
        if self._closed:
            raise RuntimeError("the inbox poster is closed")
        target = path_and_query(url)  # exactly what the signature's (request-target) covers
        if not target.isascii() or not target.isprintable() or " " in target:
            raise RemoteError(f"inbox URL {url[:200]!r} has characters that cannot go in a request line")
        session = self._session or self._open()
        address = URL(url, encoded=True)
        started = asyncio.get_running_loop().time()
        try:
            try:
                return await self._exchange(session, address, body, headers, self.timeout)
            except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as exc:
                if isinstance(exc, aiohttp.ClientConnectorError):
                    raise
                # Closed before any answer: most often a kept-alive connection the server shut while we took
                # it from the pool. aiohttp resends only idempotent methods; an inbox POST is safe to send
                # again (the activity id makes a duplicate harmless), once, within what is left of the deadline.
                left = self.timeout.total - (asyncio.get_running_loop().time() - started)  # type: ignore[operator]
                if left <= 0:
                    raise
                retry = aiohttp.ClientTimeout(total=left, sock_connect=self.timeout.sock_connect,
                                              sock_read=self.timeout.sock_read)
                return await self._exchange(session, address, body, headers, retry)
        except aiohttp.InvalidURL as exc:
            raise RemoteError(f"cannot POST to {url[:200]!r}: {exc}") from None
        except (aiohttp.ClientError, TimeoutError, OSError):
            raise
        except ValueError as exc:  # e.g. a line break in a header value, refused before sending
            raise RemoteError(f"refusing to POST to {url[:200]!r}: {exc}") from None

    async def _exchange(self, session: aiohttp.ClientSession, url: URL, body: bytes, headers: dict[str, str],
                        timeout: aiohttp.ClientTimeout) -> Delivered:
        request = session.post(url, data=body, headers=headers, allow_redirects=False, timeout=timeout)
        async with request as response:
            declared = response.content_length
            if declared is None or declared <= self.max_bytes:
                size = 0
                async for chunk in response.content.iter_any():
                    size += len(chunk)
                    if size > self.max_bytes:
                        break  # an inbox's answer body is not used; a huge one is cut off (and not reused)
            return Delivered(response.status, response.headers.get("Retry-After"))

    async def aclose(self) -> None:
        self._closed = True
        session, self._session = self._session, None
        if session is not None:
            await session.close()


class SafeClient:
    """Wraps one httpx.AsyncClient (and the inbox poster); every remote URL passes the address guard first."""

    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        fed = settings.federation
        self.allow_private = fed.allow_private_addresses
        self.max_redirects = fed.max_redirects
        self.max_bytes = fed.max_response_bytes
        self.deadline = fed.connect_timeout + 3 * fed.read_timeout
        self.user_agent = f"fediverse/{__version__} (httpx; +{settings.base_url}/)"
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)
        pinned = None if transport is not None else http_transport(allow_private=self.allow_private, limits=limits)
        # Pinned: the transport resolves and checks each host once, at connect time; otherwise (an injected
        # transport, or a proxy) every hop is resolved and checked before it is sent.
        self.resolve_first = pinned is None
        self._http = httpx.AsyncClient(
            transport=transport or pinned,
            timeout=httpx.Timeout(fed.read_timeout, connect=fed.connect_timeout),
            limits=limits,
            follow_redirects=False,
            headers={"User-Agent": self.user_agent},
        )
        # Set by the runtime: raises DomainBlocked for a host under a suspend block (db/domain_policy.py).
        self.host_guard: Callable[[str], Awaitable[None]] | None = None
        self._poster = None if self.resolve_first else InboxPoster(
            self.user_agent, deadline=self.deadline, connect_timeout=fed.connect_timeout,
            read_timeout=fed.read_timeout, max_bytes=self.max_bytes, allow_private=self.allow_private)

    async def aclose(self) -> None:
        if self._poster is not None:
            await self._poster.aclose()
        await self._http.aclose()

    async def fetch_json(
        self, url: str, *, signer: Signer | None = None, accept: str = ACCEPT_AP, activitypub: bool = True,
        deadline: float | None = None,
    ) -> tuple[str, dict[str, Any]]:
        """GET a JSON document (signed when a signer is given); returns (final URL, document).

        `deadline` (event-loop time) ends the fetch earlier than our own deadline: several fetches made for one
        inbox request share it, so a key host that never answers cannot hold the request open."""
        loop_now = asyncio.get_running_loop().time()
        allowed = self.deadline if deadline is None else max(0.0, min(self.deadline, deadline - loop_now))

        def check(final_url: str, response: httpx.Response) -> None:
            _check_ok(final_url, response)
            content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if activitypub and content_type not in AP_CONTENT_TYPES:
                raise RemoteError(f"{url[:200]} answered {content_type or 'no content type'}, not ActivityPub JSON")

        try:
            fetched = await self._get(url, accept=accept, signer=signer, limit=self.max_bytes, deadline=allowed,
                                      check=check)
        except TimeoutError:
            raise Unreachable(f"{url[:200]} did not answer within {allowed:.1f}s") from None
        except httpx.HTTPError as exc:
            raise Unreachable(f"{url[:200]}: {type(exc).__name__}: {exc}") from None
        try:
            return fetched.url, load_json(fetched.body, max_bytes=self.max_bytes, max_depth=64)
        except ParseError as exc:
            raise RemoteError(f"{fetched.url[:200]}: {exc}") from None

    async def fetch_file(self, url: str, *, max_bytes: int, accept: str = "image/*") -> Fetched:
        """GET a media file (unsigned, as Mastodon fetches media): at most ``max_bytes`` read (a longer body
        is refused, not cut)."""
        try:
            return await self._get(url, accept=accept, signer=None, limit=max_bytes, deadline=self.deadline,
                                   check=_check_ok)
        except TimeoutError:
            raise Unreachable(f"{url[:200]} did not answer within {self.deadline:.0f}s") from None
        except httpx.HTTPError as exc:
            raise Unreachable(f"{url[:200]}: {type(exc).__name__}: {exc}") from None

    async def _get(self, url: str, *, accept: str, signer: Signer | None, limit: int, deadline: float,
                   check: Callable[[str, httpx.Response], None]) -> Fetched:
        """One GET through the shared bounded loop: every hop passes the domain policy and the address guard
        and is signed again for its own URL."""

        def headers(hop: str) -> dict[str, str]:
            sent = {"Accept": accept}
            if signer is not None:
                sent.update(sign_cavage("GET", hop, sent, None, signer.key_id, signer.private_key))
            return sent

        return await bounded_get(self._http, url, guard=self._guard, headers=headers, max_redirects=self.max_redirects,
                                 max_bytes=limit, deadline=deadline, check=check)

    async def _guard(self, url: str) -> None:
        """Every hop of every request asks the domain policy first (no request at all to a suspended host),
        then the address guard (the pinned transport does the resolving part itself, at connect time)."""
        if self.host_guard is not None:
            await self.host_guard(urlsplit(url).hostname or "")
        await check_url(url, allow_private=self.allow_private, resolve=self.resolve_first)

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> Delivered:
        """POST pre-signed bytes to an inbox; never follows redirects (a moved inbox is a failure to retry)."""
        await self._guard(url)
        if self._poster is not None:
            try:
                return await self._poster.post(url, body, headers)  # its ClientTimeout(total=) is the deadline
            except TimeoutError as exc:  # aiohttp names the stage: ConnectionTimeoutError, SocketTimeoutError
                stage = "" if type(exc) is TimeoutError else f" ({type(exc).__name__})"
                raise Unreachable(f"{url[:200]} did not answer within {self.deadline:.0f}s{stage}") from None
            except (aiohttp.ClientError, OSError) as exc:
                raise Unreachable(f"{url[:200]}: {type(exc).__name__}: {exc}") from None
        try:
            async with asyncio.timeout(self.deadline):
                async with self._http.stream("POST", url, content=body, headers=headers) as response:
                    try:
                        await read_capped(response, self.max_bytes)
                    except RemoteError:
                        pass  # an inbox's answer body is not used; a huge one is just cut off
        except TimeoutError:
            raise Unreachable(f"{url[:200]} did not answer within {self.deadline:.0f}s") from None
        except httpx.HTTPError as exc:
            raise Unreachable(f"{url[:200]}: {type(exc).__name__}: {exc}") from None
        return Delivered(response.status_code, response.headers.get("retry-after"))


def _check_ok(url: str, response: httpx.Response) -> None:
    """Only a 200 is a document: 410 is Gone, anything else a RemoteStatus."""
    if response.status_code == 410:
        raise Gone(f"{url[:200]} is gone (410)")
    if response.status_code != 200:
        raise RemoteStatus(url, response.status_code)
