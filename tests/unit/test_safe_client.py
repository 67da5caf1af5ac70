"""The outbound client against hostile servers: size caps, redirects, private targets, slowness, wrong types."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from fediverse.config import Settings
from fediverse.errors import RemoteError, UnsafeAddress
from fediverse.federation.client import Gone, RemoteStatus, SafeClient, Unreachable

AP = "application/activity+json"
PUBLIC_IP = "93.184.216.34"


async def doc(request: Request) -> Response:
    return JSONResponse({"id": str(request.url)}, media_type=AP)


async def huge(request: Request) -> Response:
    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(100):
            yield b" " * 10_000

    return StreamingResponse(chunks(), media_type=AP)


async def slow(request: Request) -> Response:
    await asyncio.sleep(5)
    return JSONResponse({}, media_type=AP)


server = Starlette(routes=[
    Route("/doc", doc),
    Route("/huge", huge),
    Route("/declared-huge", lambda r: Response(b"{}", media_type=AP, headers={"Content-Length": "999999999"})),
    Route("/html", lambda r: Response("<html></html>", media_type="text/html")),
    Route("/gone", lambda r: Response(status_code=410)),
    Route("/error", lambda r: Response(status_code=500)),
    Route("/loop", lambda r: RedirectResponse("/loop")),
    Route("/hop", lambda r: RedirectResponse("/doc")),
    Route("/to-private", lambda r: RedirectResponse("http://127.0.0.1/doc")),
    Route("/to-metadata", lambda r: RedirectResponse("http://169.254.169.254/latest/meta-data")),
    Route("/slow", slow),
    Route("/nested", lambda r: Response(b'{"a":' * 100 + b"1" + b"}" * 100, media_type=AP)),
    Route("/inbox", lambda r: Response(status_code=202), methods=["POST"]),
])


def client(**federation: object) -> SafeClient:
    settings = Settings().replace(federation={"max_response_bytes": 100_000, "read_timeout": 0.2,
                                              "connect_timeout": 0.1, **federation})
    return SafeClient(settings, transport=httpx.ASGITransport(app=server))


@pytest.fixture
async def safe() -> SafeClient:
    c = client(allow_private_addresses=True)
    yield c  # type: ignore[misc]
    await c.aclose()


async def test_fetches_a_document_and_follows_one_redirect(safe: SafeClient) -> None:
    final, body = await safe.fetch_json("https://remote.test/hop")
    assert final == "https://remote.test/doc" and body["id"] == final


@pytest.mark.parametrize(("path", "error", "message"), [
    ("/huge", RemoteError, "limit"),
    ("/declared-huge", RemoteError, "limit"),
    ("/html", RemoteError, "not ActivityPub"),
    ("/gone", Gone, "410"),
    ("/error", RemoteStatus, "500"),
    ("/loop", RemoteError, "redirects"),
    ("/slow", Unreachable, "did not answer"),
    ("/nested", RemoteError, "nesting"),
])
async def test_hostile_answers_raise_clear_errors(safe: SafeClient, path: str, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        await safe.fetch_json(f"https://remote.test{path}")


@pytest.mark.parametrize("url", ["ftp://remote.test/doc", "file:///etc/passwd", "https://user:pw@remote.test/doc", "/doc"])
async def test_only_plain_http_urls_are_fetched(safe: SafeClient, url: str) -> None:
    with pytest.raises(RemoteError):
        await safe.fetch_json(url)


@pytest.mark.parametrize("url", ["http://127.0.0.1/doc", "http://[::1]/doc", "http://10.1.2.3/doc", "http://192.168.0.1/doc",
                                 "http://169.254.169.254/doc", "http://localhost/doc", "http://[::ffff:127.0.0.1]/doc"])
async def test_private_addresses_are_refused_by_default(url: str) -> None:
    strict = client()
    try:
        with pytest.raises(UnsafeAddress):
            await strict.fetch_json(url)
        with pytest.raises(UnsafeAddress):
            await strict.post(url.replace("/doc", "/inbox"), b"{}", {})
    finally:
        await strict.aclose()


@pytest.mark.parametrize("path", ["/to-private", "/to-metadata"])
async def test_a_redirect_into_the_private_network_is_refused(path: str) -> None:
    strict = client()
    try:
        with pytest.raises(UnsafeAddress):
            await strict.fetch_json(f"http://{PUBLIC_IP}{path}")
    finally:
        await strict.aclose()
