"""One GET (or HEAD) to another server, bounded: redirects followed by hand, every hop through the caller's
guard, a deadline, a per-hop time-out, and a cap on the body.

Shared by the federation client (signed fetches of documents, media files) and the consent audit's fetcher
(unsigned, as a scraper's requests are). Redirects are followed here rather than by httpx so that each hop
passes the guard (the private-address check, and for the client the domain policy) before anything is sent to
it, and gets its headers made for its own URL (a signature covers the URL it is sent to).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Awaitable, Callable, Mapping
from urllib.parse import urljoin

import httpx

from fediverse.errors import RemoteError

REDIRECTS = (301, 302, 303, 307, 308)


@dataclass(frozen=True)
class Fetched:
    """Where a GET ended up (after redirects), the answer's status and header lines, and its capped body."""

    url: str
    status: int
    headers: httpx.Headers
    body: bytes
    truncated: bool = False  # longer than the cap and cut there (only when the caller takes a cut body)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


class TooManyRedirects(RemoteError):
    def __init__(self, url: str, max_redirects: int) -> None:
        super().__init__(f"{url[:200]}: more than {max_redirects} redirects")


class BodyTooLarge(RemoteError):
    """The body is over the cap and the caller will not take it cut: a document cut short is not the document."""

    def __init__(self, response: httpx.Response, limit: int, declared: str | None = None) -> None:
        size = f"body of {declared} bytes is" if declared else "body is"
        super().__init__(f"{response.url}: {size} over the {limit}-byte limit")
        self.limit = limit


async def read_capped(response: httpx.Response, limit: int, *, cut: bool = False) -> tuple[bytes, bool]:
    """The body, at most ``limit`` bytes, and whether it was longer. Over the cap it is cut there when ``cut``
    (a media file read for its metadata), else refused with BodyTooLarge (a declared length over the cap
    before a byte is read)."""
    declared = response.headers.get("content-length", "")
    declared_over = declared.isdigit() and int(declared) > limit
    if declared_over and not cut:
        raise BodyTooLarge(response, limit, declared)
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            if not cut:
                raise BodyTooLarge(response, limit)
            chunks.append(chunk)
            return b"".join(chunks)[:limit], True
        chunks.append(chunk)
    return b"".join(chunks), declared_over


async def bounded_get(
    client: httpx.AsyncClient,
    url: str,
    *,
    guard: Callable[[str], Awaitable[None]],
    headers: Callable[[str], Mapping[str, str]],
    max_redirects: int,
    max_bytes: int,
    cut: bool = False,
    method: str = "GET",
    deadline: float | None = None,
    hop_timeout: float | None = None,
    check: Callable[[str, httpx.Response], None] | None = None,
) -> Fetched:
    """GET ``url`` through ``client`` (which must not follow redirects itself), following at most
    ``max_redirects`` of them.

    ``guard(hop)`` runs before each hop is sent and raises to refuse it; ``headers(hop)`` makes that hop's
    request headers. ``deadline`` bounds the whole GET and ``hop_timeout`` each hop, in seconds (TimeoutError).
    ``check(final URL, response)`` may refuse the answer before its body is read; a HEAD's body is not read.
    Raises TooManyRedirects, BodyTooLarge, httpx.HTTPError, and whatever the guard and the check raise."""
    async with asyncio.timeout(deadline):
        for _hop in range(max_redirects + 1):
            await guard(url)
            async with asyncio.timeout(hop_timeout):
                async with client.stream(method, url, headers=dict(headers(url))) as response:
                    if response.status_code in REDIRECTS and "location" in response.headers:
                        url = urljoin(url, response.headers["location"])
                        continue
                    if check is not None:
                        check(url, response)
                    body, truncated = (b"", False) if method == "HEAD" else await read_capped(
                        response, max_bytes, cut=cut)
                    return Fetched(url, response.status_code, response.headers, body, truncated)
        raise TooManyRedirects(url, max_redirects)
