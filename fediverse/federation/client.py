"""The one HTTP client for talking to other servers: time-outs, size caps, address guard, bounded redirects."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import httpx
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from fediverse import __version__
from fediverse.activitypub.jsonsafe import load_json
from fediverse.activitypub.signatures.cavage import sign_cavage
from fediverse.activitypub.vocab import ParseError
from fediverse.config import Settings
from fediverse.errors import RemoteError
from fediverse.federation.addresses import check_url

ACCEPT_AP = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
AP_CONTENT_TYPES = ("application/activity+json", "application/ld+json")
REDIRECTS = (301, 302, 303, 307, 308)


class Gone(RemoteError):
    """The remote object answered 410: it was deleted for good."""


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


class SafeClient:
    """Wraps one httpx.AsyncClient; every remote URL passes the address guard first."""

    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        fed = settings.federation
        self.allow_private = fed.allow_private_addresses
        self.max_redirects = fed.max_redirects
        self.max_bytes = fed.max_response_bytes
        self.deadline = fed.connect_timeout + 3 * fed.read_timeout
        self.user_agent = f"fediverse/{__version__} (httpx; +{settings.base_url}/)"
        self._http = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(fed.read_timeout, connect=fed.connect_timeout),
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
            follow_redirects=False,
            headers={"User-Agent": self.user_agent},
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def fetch_json(
        self, url: str, *, signer: Signer | None = None, accept: str = ACCEPT_AP, activitypub: bool = True
    ) -> tuple[str, dict[str, Any]]:
        """GET a JSON document (signed when a signer is given); returns (final URL, document)."""
        try:
            async with asyncio.timeout(self.deadline):
                return await self._fetch_json(url, signer, accept, activitypub)
        except TimeoutError:
            raise Unreachable(f"{url[:200]} did not answer within {self.deadline:.0f}s") from None
        except httpx.HTTPError as exc:
            raise Unreachable(f"{url[:200]}: {type(exc).__name__}: {exc}") from None

    async def _fetch_json(self, url: str, signer: Signer | None, accept: str, activitypub: bool) -> tuple[str, dict[str, Any]]:
        for _hop in range(self.max_redirects + 1):
            await check_url(url, allow_private=self.allow_private)
            headers = {"Accept": accept}
            if signer is not None:
                headers.update(sign_cavage("GET", url, headers, None, signer.key_id, signer.private_key))
            async with self._http.stream("GET", url, headers=headers) as response:
                if response.status_code in REDIRECTS and "location" in response.headers:
                    url = urljoin(url, response.headers["location"])
                    continue
                if response.status_code == 410:
                    raise Gone(f"{url[:200]} is gone (410)")
                if response.status_code != 200:
                    raise RemoteStatus(url, response.status_code)
                content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
                if activitypub and content_type not in AP_CONTENT_TYPES:
                    raise RemoteError(f"{url[:200]} answered {content_type or 'no content type'}, not ActivityPub JSON")
                body = await self._read_capped(response)
            try:
                return url, load_json(body, max_bytes=self.max_bytes, max_depth=64)
            except ParseError as exc:
                raise RemoteError(f"{url[:200]}: {exc}") from None
        raise RemoteError(f"{url[:200]}: more than {self.max_redirects} redirects")

    async def _read_capped(self, response: httpx.Response) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise RemoteError(f"{response.url}: body of {declared} bytes is over the {self.max_bytes}-byte limit")
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise RemoteError(f"{response.url}: body is over the {self.max_bytes}-byte limit")
            chunks.append(chunk)
        return b"".join(chunks)

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> Delivered:
        """POST pre-signed bytes to an inbox; never follows redirects (a moved inbox is a failure to retry)."""
        await check_url(url, allow_private=self.allow_private)
        try:
            async with asyncio.timeout(self.deadline):
                async with self._http.stream("POST", url, content=body, headers=headers) as response:
                    try:
                        await self._read_capped(response)
                    except RemoteError:
                        pass  # an inbox's answer body is not used; a huge one is just cut off
        except TimeoutError:
            raise Unreachable(f"{url[:200]} did not answer within {self.deadline:.0f}s") from None
        except httpx.HTTPError as exc:
            raise Unreachable(f"{url[:200]}: {type(exc).__name__}: {exc}") from None
        return Delivered(response.status_code, response.headers.get("retry-after"))
