"""The audit's HTTP: one bounded GET/HEAD through the address guard, unsigned, as a scraper's requests are."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Mapping
from urllib.parse import urljoin

import httpx

from fediverse.errors import FediverseError
from fediverse.federation.addresses import check_url
from fediverse.services.consent_audit.report import AuditLimits

REDIRECTS = (301, 302, 303, 307, 308)


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    status: int
    headers: httpx.Headers
    body: bytes
    truncated: bool  # the body was longer than the cap and was cut there

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


class FetchFailed(Exception):
    pass


class Fetcher:
    """GET/HEAD with the address guard on every hop, bounded redirects, a per-request time-out and a size cap."""

    def __init__(self, client: httpx.AsyncClient, limits: AuditLimits, *, allow_private: bool,
                 resolve_first: bool = True) -> None:
        self.client = client
        self.limits = limits
        self.allow_private = allow_private
        self.resolve_first = resolve_first  # False over the pinned transport, which checks at connect time
        self.requests = 0

    async def get(self, url: str, *, accept: str, method: str = "GET", max_bytes: int | None = None,
                  cut: bool = False, headers: Mapping[str, str] | None = None) -> Fetched:
        """``cut``: a body over the cap is cut there (media); otherwise it is an error (documents)."""
        cap = self.limits.max_bytes if max_bytes is None else max_bytes
        for _hop in range(self.limits.max_redirects + 1):
            try:
                await check_url(url, allow_private=self.allow_private, resolve=self.resolve_first)
            except FediverseError as exc:
                raise FetchFailed(str(exc)) from None
            self.requests += 1
            try:
                async with asyncio.timeout(self.limits.timeout):
                    async with self.client.stream(method, url, headers={"Accept": accept, **(headers or {})}) as resp:
                        if resp.status_code in REDIRECTS and "location" in resp.headers:
                            url = urljoin(url, resp.headers["location"])
                            continue
                        body, truncated = b"", False
                        if method != "HEAD":
                            body, truncated = await _read(resp, cap)
                            if truncated and not cut:
                                raise FetchFailed(f"{url[:200]}: body over the {cap}-byte cap")
                        return Fetched(url, resp.status_code, resp.headers, body, truncated)
            except TimeoutError:
                raise FetchFailed(f"{url[:200]}: no answer within {self.limits.timeout:g}s") from None
            except httpx.HTTPError as exc:
                raise FetchFailed(f"{url[:200]}: {type(exc).__name__}: {exc}") from None
            except FediverseError as exc:  # the pinned transport refused the address it resolved
                raise FetchFailed(str(exc)) from None
        raise FetchFailed(f"{url[:200]}: more than {self.limits.max_redirects} redirects")


async def _read(response: httpx.Response, cap: int) -> tuple[bytes, bool]:
    declared = response.headers.get("content-length", "")
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size > cap:
            return b"".join(chunks)[:cap], True
    return b"".join(chunks), declared.isdigit() and int(declared) > cap
