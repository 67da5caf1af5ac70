"""The one bounded GET both the federation client and the consent audit use: every hop guarded and given its own
headers, redirects bounded, bodies capped (cut or refused), HEAD unread, slow hops timed out."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from fediverse.errors import UnsafeAddress
from fediverse.federation.bounded_get import BodyTooLarge, TooManyRedirects, bounded_get


async def echo(request: Request) -> Response:
    return JSONResponse({"url": str(request.url), "hop": request.headers.get("x-hop")})


async def slow(request: Request) -> Response:
    await asyncio.sleep(5)
    return Response(b"late")


server = Starlette(routes=[
    Route("/echo", echo),
    Route("/a", lambda r: RedirectResponse("/b")),
    Route("/b", lambda r: RedirectResponse("/echo")),
    Route("/loop", lambda r: RedirectResponse("/loop")),
    Route("/big", lambda r: Response(b"x" * 5000, media_type="image/png"), methods=["GET", "HEAD"]),
    Route("/slow", slow),
])


@pytest.fixture
async def http() -> httpx.AsyncClient:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=server), follow_redirects=False) as client:
        yield client  # type: ignore[misc]


def get(http: httpx.AsyncClient, url: str, hops: list[str] | None = None, **options: object):  # type: ignore[no-untyped-def]
    async def guard(hop: str) -> None:
        if hops is not None:
            hops.append(hop)
        if "refused" in hop:
            raise UnsafeAddress(f"{hop} is refused")

    options = {"max_redirects": 3, "max_bytes": 1000, **options}
    return bounded_get(http, url, guard=guard, headers=lambda hop: {"X-Hop": hop}, **options)  # type: ignore[arg-type]


async def test_every_hop_is_guarded_and_gets_headers_made_for_its_own_url(http: httpx.AsyncClient) -> None:
    hops: list[str] = []
    fetched = await get(http, "https://remote.test/a", hops)
    assert hops == ["https://remote.test/a", "https://remote.test/b", "https://remote.test/echo"]
    assert fetched.url == "https://remote.test/echo" and fetched.status == 200
    assert b'"hop":"https://remote.test/echo"' in fetched.body


async def test_a_refused_hop_stops_the_get_before_it_is_sent(http: httpx.AsyncClient) -> None:
    with pytest.raises(UnsafeAddress):
        await get(http, "https://refused.test/echo")


async def test_redirects_are_bounded(http: httpx.AsyncClient) -> None:
    with pytest.raises(TooManyRedirects, match="more than 2 redirects"):
        await get(http, "https://remote.test/loop", max_redirects=2)
    with pytest.raises(TooManyRedirects):
        await get(http, "https://remote.test/a", max_redirects=1)


async def test_a_body_over_the_cap_is_refused_or_cut(http: httpx.AsyncClient) -> None:
    with pytest.raises(BodyTooLarge, match="over the 1000-byte limit"):
        await get(http, "https://remote.test/big")
    cut = await get(http, "https://remote.test/big", cut=True)
    assert cut.body == b"x" * 1000 and cut.truncated and cut.content_type == "image/png"


async def test_a_head_reads_no_body(http: httpx.AsyncClient) -> None:
    head = await get(http, "https://remote.test/big", method="HEAD", max_bytes=10)
    assert head.status == 200 and head.body == b"" and not head.truncated


async def test_a_slow_hop_times_out_and_the_deadline_bounds_the_whole_get(http: httpx.AsyncClient) -> None:
    with pytest.raises(TimeoutError):
        await get(http, "https://remote.test/slow", hop_timeout=0.2)
    with pytest.raises(TimeoutError):
        await get(http, "https://remote.test/slow", deadline=0.2)


async def test_the_check_may_refuse_the_answer_before_its_body_is_read(http: httpx.AsyncClient) -> None:
    def only_json(url: str, response: httpx.Response) -> None:
        if not response.headers["content-type"].startswith("application/json"):
            raise ValueError(f"{url} is not JSON")

    assert (await get(http, "https://remote.test/echo", check=only_json)).status == 200
    with pytest.raises(ValueError, match="remote.test/big is not JSON"):
        await get(http, "https://remote.test/big", check=only_json)
