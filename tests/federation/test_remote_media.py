"""The remote media cache: a remote image's consent (headers + XMP) is read, combined, and re-served intact.

Two in-process instances: art.test's artist refuses AI training and search on a work that mentions bob on
social.test (whose own instance default *allows* training, so every refusal seen there came from art.test).
social.test fetches the image in the background, stores the combined record, and serves its own stamped copy
with the headers and the XMP intact. Hostile files end in a recorded error; purging removes files and a purged
item is fetched again when asked for.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from datetime import timedelta
from typing import Any

import httpx
import pytest
from PIL import Image, PngImagePlugin
from sqlalchemy import select, update
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from fediverse.consent import ConsentRecord, read_xmp, signals_from_headers, vocab, xmp_packet
from fediverse.db import works as work_db
from fediverse.models import DomainBlock, RemoteMedia, utcnow
from fediverse.services import consent, remote_media
from fediverse.services.works import WorkInput, edit_work
from tests import imagecorpus
from tests.conftest import FIXTURES
from tests.federation.helpers import act, make_user, user
from tests.federation.peer import PEER, FixturePeer
from tests.federation.test_consent_inbound import reply_to
from tests.federation.test_works_federation import post_work
from tests.support import Instance, Network

EXIFTOOL = shutil.which("exiftool")
PLUS = "http://ns.useplus.org/ldf/vocab/"
CC_BY_NC_ND = "https://creativecommons.org/licenses/by-nc-nd/4.0/"
ALLOWING = {"ai_training": "allowed", "tdm_reserved": False, "ai_input": True, "search": True}
REFUSING_WORK = {"ai_training": "none", "search": False}


async def refusing_mention(network: Network, **art: dict[str, Any]) -> tuple[Instance, Instance, RemoteMedia]:
    """art.test's alice posts a refusing work mentioning bob@social.test; social.test caches its image."""
    a = await network.add("art.test", **art)
    b = await network.add("social.test", consent=ALLOWING)
    await make_user(a, "alice", display_name="Alice Ink")
    await make_user(b, "bob")
    await act(b, "follow", "bob", "alice@art.test")
    await network.drain()
    await post_work(a, "alice", 1, title="Harbour", description="For @bob@social.test",
                    license_url=CC_BY_NC_ND, consent=REFUSING_WORK)
    await network.drain()
    async with b.rt.sessions() as session:
        rows = list(await session.scalars(select(RemoteMedia)))
    assert len(rows) == 1, "the mention's image got a cache row"
    return a, b, rows[0]


def scopes(consent: dict[str, Any]) -> set[str]:
    return {p["scope"] for p in consent["provenance"]}


def assert_refusal_headers(headers: httpx.Headers) -> None:
    robots = {d.strip() for line in headers.get_list("x-robots-tag") for d in line.split(",")}
    assert {"noai", "noimageai", "noindex"} <= robots
    assert headers["tdm-reservation"] == "1"
    assert "train-ai=n" in headers["content-usage"] and "search=n" in headers["content-usage"]
    assert f'<{CC_BY_NC_ND}>; rel="license"' in headers.get("link", "")


async def test_a_refusing_remote_image_is_cached_and_re_served_with_headers_and_xmp(network: Network) -> None:
    a, b, row = await refusing_mention(network)
    assert row.fetch_error is None and row.storage_key and row.storage_key.startswith("remote/")
    assert row.content_type == "image/jpeg" and row.size > 0
    # the signals came from the file's headers and XMP, combined with the note's, with provenance
    assert {"media http", "media xmp", "note"} <= scopes(row.consent)
    http_signals = {p["signal"] for p in row.consent["provenance"] if p["scope"] == "media http"}
    assert {vocab.X_ROBOTS_TAG, vocab.CONTENT_USAGE, vocab.TDM_RESERVATION, vocab.LINK} <= http_signals
    assert any(p["scope"] == "media xmp" and p["signal"] == "plus:DataMining" for p in row.consent["provenance"])
    assert row.consent["ai_training"] == "none" and row.consent["search"] is False
    assert row.consent["licence_url"] == CC_BY_NC_ND

    url = remote_media.local_url(b.rt.uris, row)
    assert url == f"https://social.test/media/remote/{row.token}/file.jpg"
    async with b.client() as client:
        got = await client.get(url)
        head = await client.head(url)
        not_modified = await client.get(url, headers={"If-None-Match": got.headers["etag"]})
        crawler = await client.get(url, headers={"User-Agent": "Mozilla/5.0 (compatible; GPTBot/1.2)"})
    assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"
    for response in (got, head, not_modified):
        assert_refusal_headers(response.headers)
    assert head.status_code == 200 and head.content == b""
    assert not_modified.status_code == 304
    assert crawler.status_code == 403  # the remote artist refuses AI crawlers: so do we, for our copy

    async with a.client() as client:
        original = await client.get(row.url)  # what art.test itself serves
    reading, theirs = xmp_of(got.content), xmp_of(original.content)
    # mining reserved (art.test's default) + no training + no search: "prohibited", as art.test stamps it
    assert reading.first("plus:DataMining") == theirs.first("plus:DataMining") == PLUS + "DMI-PROHIBITED"
    assert reading.first("cc:license") == CC_BY_NC_ND
    assert reading.first("dc:creator") == "Alice Ink"
    assert store_bytes(b, row) == got.content

    if EXIFTOOL:
        path = network.root / "copy.jpg"
        path.write_bytes(got.content)
        out = subprocess.run([EXIFTOOL, "-j", "-G1", "-XMP:all", str(path)], capture_output=True, text=True,
                             check=True, timeout=60)
        values = {k.split(":", 1)[1]: v for k, v in json.loads(out.stdout)[0].items() if ":" in k}
        assert values["DataMining"] in (PLUS + "DMI-PROHIBITED", "Prohibited")
        assert values["License"] == CC_BY_NC_ND


def xmp_of(data: bytes) -> Any:
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        return read_xmp(im.info.get("xmp"))


def store_bytes(instance: Instance, row: RemoteMedia) -> bytes:
    path = remote_media.store_for(instance.rt).open_remote(row.storage_key or "")
    assert path is not None
    return path.read_bytes()


async def test_purge_removes_unused_copies_and_a_purged_item_is_fetched_again(network: Network) -> None:
    _a, b, row = await refusing_mention(network)
    path = remote_media.store_for(b.rt).open_remote(row.storage_key or "")
    assert path is not None and path.exists()

    assert (await remote_media.purge_expired(b.rt)).files == 0  # used just now: kept
    async with b.rt.sessions() as session:
        await session.execute(update(RemoteMedia).values(last_used_at=utcnow() - timedelta(days=31)))
        await session.commit()
    purged = await remote_media.purge_expired(b.rt)  # retention 30 days
    assert purged.files == 1 and purged.bytes == row.size
    assert not path.exists()
    async with b.rt.sessions() as session:
        again = await session.get(RemoteMedia, row.id)
    assert again is not None and again.storage_key is None

    async with b.client() as client:  # the next need fetches it again
        got = await client.get(f"/media/remote/{row.token}/file.jpg")
    assert got.status_code == 200
    assert_refusal_headers(got.headers)
    assert path.exists()


# --- hostile remote files ------------------------------------------------------------------------------------

EVIL = "evil.test"


def png_with_xmp(xmp: bytes) -> bytes:
    buf = io.BytesIO()
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", xmp.decode("utf-8"), zip=False)
    Image.new("RGB", (64, 48), (200, 40, 40)).save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


def evil_app() -> Starlette:
    png = imagecorpus.encode(imagecorpus.photo(64, 48), "PNG")
    huge = b"<x:xmpmeta xmlns:x='adobe:ns:meta/'>" + b" " * (1024 * 1024 + 100) + b"</x:xmpmeta>"
    files: dict[str, tuple[bytes, str]] = {
        "big.png": (png + b"\0" * 300_000, "image/png"),
        "page.png": (b"<!doctype html><html><body>hello</body></html>", "text/html"),
        "liar.png": (png, "text/html"),
        "bomb.png": (imagecorpus.png_bomb(), "image/png"),
        "hugexmp.png": (png_with_xmp(huge), "image/png"),
    }

    async def serve(request: Request) -> Response:
        if request.path_params["name"] == "stream.png":  # chunked, no Content-Length: the cap applies while reading
            async def chunks() -> Any:
                for _ in range(40):
                    yield b"\0" * 10_000
            return StreamingResponse(chunks(), media_type="image/png")
        body, kind = files[request.path_params["name"]]
        return Response(body, media_type=kind)

    return Starlette(routes=[Route("/{name}", serve)])


async def fetch_row(instance: Instance, url: str) -> RemoteMedia:
    async with instance.rt.sessions() as session:
        row = RemoteMedia(url=url)
        session.add(row)
        await session.commit()
    outcome = await remote_media.fetch(instance.rt, row.id)
    assert outcome is not None
    async with instance.rt.sessions() as session:
        found = await session.get(RemoteMedia, row.id)
    assert found is not None
    return found


@pytest.mark.parametrize(("name", "expected"), [
    ("big.png", "bytes is over the 200000-byte limit"),  # refused on its Content-Length, unread
    ("stream.png", "body is over the 200000-byte limit"),
    ("page.png", "not an image"),
    ("liar.png", "declared as text/html"),
    ("bomb.png", "over the 50 MP limit"),
    ("hugexmp.png", None),
])
async def test_hostile_files_end_in_a_recorded_error(network: Network, name: str, expected: str | None) -> None:
    cap = 200_000 if name in ("big.png", "stream.png") else 16 * 1024 * 1024
    b = await network.add("social.test", media={"max_remote_bytes": cap, "max_pixels": 50_000_000})
    network.apps[EVIL] = httpx.ASGITransport(app=evil_app())
    row = await fetch_row(b, f"https://{EVIL}/{name}")
    if expected is None:  # a readable image whose XMP is too large to read: cached, the refusal to read recorded
        assert row.storage_key is not None
        problems = [p for p in row.consent["provenance"] if p["scope"] == "media xmp"]
        assert problems and problems[0]["meaning"].startswith("refused:")
        return
    assert row.storage_key is None and row.fetch_error and expected in row.fetch_error, row.fetch_error
    assert row.fetched_at is not None
    async with b.client() as client:  # asking for it does not crash either, nor fetch again at once
        assert (await client.get(f"/media/remote/{row.token}/file.png")).status_code == 404


async def test_private_addresses_are_refused(network: Network) -> None:
    b = await network.add("social.test", federation={"allow_private_addresses": False})
    row = await fetch_row(b, "http://127.0.0.1:8080/secret.png")
    assert row.storage_key is None and row.fetch_error and "non-public address" in row.fetch_error


async def test_header_signals_reader_sees_every_line() -> None:
    """The reader the cache uses gets every X-Robots-Tag line of a response (not only the last)."""
    headers = httpx.Headers([("X-Robots-Tag", "noindex"), ("x-robots-tag", "noai")])
    signals = signals_from_headers(headers)
    assert signals.ai_training == "none" and signals.search is False



# --- a Mastodon-shaped reply whose refusal is only in its image's headers and XMP --------------------------------

class MediaPeer(FixturePeer):
    """The re-hosted Mastodon peer, also serving one image with refusal headers and a refusing XMP stamp."""

    def __init__(self, image: bytes) -> None:
        super().__init__()
        self.image = image

    def app(self) -> Starlette:
        app = super().app()

        async def media(request: Request) -> Response:
            return Response(self.image, media_type="image/jpeg", headers={
                "X-Robots-Tag": "noai, noimageai", "Content-Usage": "train-ai=n"})

        async def avatar(request: Request) -> Response:
            return Response(imagecorpus.encode(imagecorpus.photo(96, 96, seed=3), "PNG"), media_type="image/png")

        app.router.routes.append(Route("/media/art.jpg", media))
        app.router.routes.append(Route("/media/avatar.png", avatar))
        return app


async def test_a_reply_image_refusing_only_in_its_file_is_shown_from_our_cache_with_the_refusal(
        network: Network) -> None:
    stamp = xmp_packet(ConsentRecord(ai_training="no_generative"), creator="Brauca")
    source = io.BytesIO()
    imagecorpus.photo(320, 240).save(source, "JPEG", xmp=stamp)
    peer = MediaPeer(source.getvalue()).install(network)
    a = await network.add("art.test", consent=ALLOWING)  # our artist allows training: the refusal is the reply's
    await make_user(a, "alice")
    work = await post_work(a, "alice", 1, title="Harbour")
    peer.actor["indexable"] = True
    peer.actor["icon"] = {"type": "Image", "mediaType": "image/png", "url": f"https://{PEER}/media/avatar.png"}
    create = reply_to(work.uri, 7)
    create["object"]["attachment"] = [{"type": "Document", "mediaType": "image/jpeg", "name": "A gull",
                                       "url": f"https://{PEER}/media/art.jpg"}]
    assert await peer.post(a, "/users/alice/inbox", create) == 202
    await network.drain()

    async with a.rt.sessions() as session:
        row, icon = list(await session.scalars(select(RemoteMedia).order_by(RemoteMedia.id)))
    assert row.note_id is not None and icon.note_id is None and icon.url.endswith("/avatar.png")
    assert row.fetch_error is None and row.storage_key and icon.storage_key
    assert "ai_training" not in icon.consent  # the avatar says nothing; the reply's image refuses
    assert row.consent["ai_training"] == "none"  # the header's noai wins over the file's generative-only stamp
    assert row.consent["tdm_reserved"] is True and row.consent["ai_input"] is False  # from the XMP only
    assert {(p["scope"], p["signal"]) for p in row.consent["provenance"]} >= {
        ("media http", "X-Robots-Tag"), ("media http", "Content-Usage"), ("media xmp", "plus:DataMining")}
    local = f"https://art.test/media/remote/{row.token}/file.jpg"
    async with a.client() as client:
        page = await client.get(f"/@alice/{work.public_id}", headers={"Accept": "text/html"})
        copy = await client.get(local)
    assert page.status_code == 200
    assert f'<img src="{local}" alt="A gull"' in page.text  # our cached copy, not the remote URL
    assert f'<img class="avatar" src="https://art.test/media/remote/{icon.token}/file.png"' in page.text
    assert f"https://{PEER}/media/" not in page.text
    assert "noai" in copy.headers["x-robots-tag"] and "train-ai=n" in copy.headers["content-usage"]
    assert copy.headers["tdm-reservation"] == "1"
    # no training, mining reserved, no AI input, search allowed (the author is indexable): so our stamp says
    assert xmp_of(copy.content).first("plus:DataMining") == PLUS + "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING"

    # the author deletes the reply: our copy of its image goes too (the avatar stays with the actor)
    files = [remote_media.store_for(a.rt).open_remote(r.storage_key or "") for r in (row, icon)]
    assert all(files)
    delete = {"@context": "https://www.w3.org/ns/activitystreams", "id": create["object"]["id"] + "#delete",
              "type": "Delete", "actor": create["actor"], "object": create["object"]["id"]}
    assert await peer.post(a, "/users/alice/inbox", delete) == 202
    await network.drain()
    async with a.rt.sessions() as session:
        assert [r.id for r in await session.scalars(select(RemoteMedia))] == [icon.id]
    assert not files[0].exists() and files[1].exists()
    async with a.client() as client:
        assert (await client.get(local)).status_code == 404


async def test_an_edit_that_restamps_the_files_replaces_our_copies(network: Network) -> None:
    """alice (whose own record allows, so only the work refused) changes the work's consent to allow: her files
    are re-stamped at new URLs and an Update(Note) follows; we drop the old copy and cache the new file with the
    new record."""
    a, b, old = await refusing_mention(network, consent=ALLOWING)
    assert old.consent["ai_training"] == "none"
    old_path = remote_media.store_for(b.rt).open_remote(old.storage_key or "")
    assert old_path is not None
    async with a.rt.sessions() as session:
        me = await session.merge(await user(a, "alice"))
        [work] = await work_db.newest(session, me.account_id, limit=1, offset=0, public_only=False)
        consent.set_work_consent(work, {"ai_training": None, "search": None})  # back to alice's (allowing)
        same = WorkInput(title=work.title, description=work.description, license_url=work.license_url,
                         visibility=work.visibility)
        await edit_work(a.rt, session, me, work.public_id, same, alt_texts=["Study number 0"],
                        focal_points=[(0.0, 0.0)])
    await network.drain()
    async with b.rt.sessions() as session:
        rows = list(await session.scalars(select(RemoteMedia)))
    [new] = [r for r in rows if r.note_id is not None]
    assert new.url != old.url and new.storage_key and not old_path.exists()
    assert new.consent["ai_training"] == "allowed"
    async with b.client() as client:
        got = await client.get(remote_media.local_url(b.rt.uris, new) or "")
    assert "noai" not in got.headers.get("x-robots-tag", "") and "train-ai=y" in got.headers["content-usage"]
    assert xmp_of(got.content).first("plus:DataMining") == PLUS + "DMI-ALLOWED"



async def test_a_reject_media_domain_block_stops_the_fetch(network: Network) -> None:
    """The media of a domain blocked with reject_media is never fetched, and the refusal is recorded."""
    home = await network.add("home.test")
    async with home.rt.sessions() as session:
        session.add(DomainBlock(domain="pics.test", severity="noop", reject_media=True))
        row = RemoteMedia(url="https://cdn.pics.test/a.jpg")
        session.add(row)
        await session.commit()
        media_id = row.id
    outcome = await remote_media.fetch(home.rt, media_id)
    assert "rejected" in str(outcome)
    async with home.rt.sessions() as session:
        stored = await session.get(RemoteMedia, media_id)
    assert stored is not None and stored.storage_key is None and "domain block" in (stored.fetch_error or "")
