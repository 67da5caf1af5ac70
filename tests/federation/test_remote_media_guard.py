"""`/media/remote/<token>/<name>` as an attacker would use it: floods, stampedes, made-up names, hostile files.

A request can make us fetch from another server (a purged or never-fetched copy), so: the name is checked
before any fetch, one fetch per id runs at a time however many requests wait for it, every client address has
a budget ([spam] remote_media_per_minute_per_ip), and decoding a hostile file never stalls other requests.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fediverse.clock import SYSTEM_CLOCK, Clock
from fediverse.models import RemoteMedia
from tests import imagecorpus
from tests.support import Instance, Network, StepClock
from tests.unit.test_imaging_hostile import NOT_XML, png_with_xmp

ORIGIN = "origin.test"


class Origin:
    """Another server's media host: counts every request and answers slowly, so requests overlap."""

    def __init__(self, delay: float = 0.3) -> None:
        self.hits: Counter[str] = Counter()
        self.delay = delay
        self.hit = asyncio.Event()
        self.files = {
            "photo.jpg": (imagecorpus.encode(imagecorpus.photo(64, 48), "JPEG"), "image/jpeg"),
            "hostile.png": (png_with_xmp(NOT_XML), "image/png"),
        }

    def app(self) -> Starlette:
        async def serve(request: Request) -> Response:
            name = request.path_params["name"]
            self.hits[name] += 1
            self.hit.set()
            await asyncio.sleep(self.delay)
            body, kind = self.files[name]
            return Response(body, media_type=kind)

        return Starlette(routes=[Route("/{name}", serve)])


async def uncached(network: Network, name: str, clock: Clock = SYSTEM_CLOCK,
                   **sections: dict) -> tuple[Instance, Origin, str]:  # type: ignore[type-arg]
    """social.test with a remote media row for origin.test/<name> that was never fetched."""
    b = await network.add("social.test", clock=clock, **sections)
    origin = Origin()
    network.apps[ORIGIN] = httpx.ASGITransport(app=origin.app())
    async with b.rt.sessions() as session:
        row = RemoteMedia(url=f"https://{ORIGIN}/{name}")
        session.add(row)
        await session.commit()
        return b, origin, row.token


def client_from(instance: Instance, address: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=instance.app, client=(address, 40000)),
                             base_url=instance.base)


async def test_concurrent_requests_for_an_uncached_file_cause_one_fetch(network: Network) -> None:
    b, origin, token = await uncached(network, "photo.jpg")
    async with b.client() as client:
        answers = await asyncio.gather(*(client.get(f"/media/remote/{token}/file.jpg") for _ in range(20)))
    assert [a.status_code for a in answers] == [200] * 20
    assert len({a.content for a in answers}) == 1
    assert origin.hits["photo.jpg"] == 1


async def test_a_name_that_is_not_the_stored_one_is_404_without_contacting_the_origin(network: Network) -> None:
    b, origin, token = await uncached(network, "photo.jpg")
    async with b.client() as client:
        for name in ("anything.html", "file.svg", "file.jpg.php", "x"):
            assert (await client.get(f"/media/remote/{token}/{name}")).status_code == 404
        assert origin.hits["photo.jpg"] == 0, "a made-up name made us fetch"
        assert (await client.get(f"/media/remote/{token}/file.jpg")).status_code == 200
        assert origin.hits["photo.jpg"] == 1
        assert (await client.get(f"/media/remote/{token}/file.webp")).status_code == 404  # not the stored name
    assert origin.hits["photo.jpg"] == 1


async def test_remote_media_requests_are_rate_limited_per_client_address(network: Network) -> None:
    b, _origin, token = await uncached(network, "photo.jpg", clock=StepClock(),
                                         spam={"remote_media_per_minute_per_ip": 3})
    path = f"/media/remote/{token}/file.jpg"
    async with client_from(b, "203.0.113.7") as client:
        codes = [(await client.get(path)).status_code for _ in range(3)]
        refused = await client.get(path)
    assert codes == [200, 200, 200]
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    async with client_from(b, "198.51.100.9") as other:  # someone else still gets the file
        assert (await other.get(path)).status_code == 200


async def test_requests_stay_responsive_while_a_hostile_file_is_decoded(network: Network) -> None:
    b, origin, token = await uncached(network, "hostile.png")
    origin.delay = 0.0
    async with b.client() as client:
        answered = [time.perf_counter()]  # when each plain request got its answer, while the file is processed
        fetching = asyncio.create_task(client.get(f"/media/remote/{token}/file.png"))
        while not fetching.done():
            assert (await client.get("/.well-known/nodeinfo")).status_code == 200
            answered.append(time.perf_counter())
            await asyncio.sleep(0.02)
        await fetching
    assert origin.hits["hostile.png"] == 1
    gaps = [later - earlier for earlier, later in zip(answered, answered[1:])]
    assert gaps and max(gaps) < 0.5, f"a plain request waited {max(gaps):.2f} s behind the hostile file"
