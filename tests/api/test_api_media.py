"""POST /api/v1|v2/media, GET and PUT /api/v1/media/:id: an upload is checked as a work's image, stored for its
owner only, described and focused until posted; bad input is a JSON 4xx with nothing stored; stale uploads
are pruned with their files (by the jobs' housekeeping)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from fediverse.jobs.sweeper import housekeeping
from fediverse.models import IdempotencyKey, MediaUpload, utcnow
from fediverse.services import media_uploads
from tests.api.mastodon_types import assert_entity
from tests.api.posting import counts, error_of, token, upload
from tests.api.world import make_world
from tests.support import Network


async def test_an_upload_is_an_image_of_its_owner_with_alt_text_and_focus(network: Network) -> None:
    w = await make_world(network)
    alice, dave = await token(w.art, "alice"), await token(w.art, "dave")
    async with w.art.client() as client:
        answer = await upload(client, alice, description="Boats in the harbour at dawn", focus="0.5,-0.25")
        assert answer.status_code == 200, answer.text
        media = answer.json()
        assert_entity("MediaAttachment", media)
        assert media["type"] == "image" and media["description"] == "Boats in the harbour at dawn"
        assert media["meta"]["focus"] == {"x": 0.5, "y": -0.25}
        assert media["meta"]["original"]["width"] == 80 and media["meta"]["original"]["height"] == 60
        assert media["url"].startswith("https://art.test/media/alice/") and media["blurhash"]
        served = await client.get(media["url"])  # the rendition is stored and served
        assert served.status_code == 200 and served.headers["content-type"].startswith("image/")

        path = f"/api/v1/media/{media['id']}"
        mine = await client.get(path, headers=alice)
        assert mine.status_code == 200 and mine.json() == media
        assert (await client.get(path + "/", headers=alice)).status_code == 200  # trailing slash, no redirect
        for other in ((await client.get(path, headers=dave)), (await client.put(path, headers=dave,
                                                                                 data={"description": "mine"}))):
            assert other.status_code == 404 and error_of(other)
        assert (await client.get(path, headers=alice)).json()["description"] == "Boats in the harbour at dawn"

        changed = await client.put(path, headers=alice, json={"description": "Boats, at dawn", "focus": "-1,1"})
        assert changed.status_code == 200, changed.text
        assert changed.json()["description"] == "Boats, at dawn"
        assert changed.json()["meta"]["focus"] == {"x": -1.0, "y": 1.0}

        v1 = await upload(client, alice, version=1, description=None)
        assert v1.status_code == 200 and v1.json()["description"] is None  # alt text may come with PUT later
        assert_entity("MediaAttachment", v1.json())


async def test_bad_uploads_are_refused_with_nothing_stored(network: Network) -> None:
    w = await make_world(network)
    alice = await token(w.art, "alice")
    before = await counts(w.art)
    media_root = Path(w.art.rt.settings.media.root)
    files_before = sorted(p for p in media_root.rglob("*") if p.is_file())
    async with w.art.client() as client:
        assert (await upload(client, {})).status_code == 401
        assert (await upload(client, {"Authorization": "Bearer nope"})).status_code == 401
        read_only = await upload(client, await token(w.art, "alice", "read"))
        assert read_only.status_code == 403 and error_of(read_only)
        statuses_only = await upload(client, await token(w.art, "alice", "write:statuses"))
        assert statuses_only.status_code == 403
        for bad in (await upload(client, alice, data=b"GIF89a not really an image"),
                    await upload(client, alice, data=b"%PDF-1.4 a document"),
                    await upload(client, alice, focus="2,0"), await upload(client, alice, focus="left"),
                    await upload(client, alice, focus="nan,0"),
                    await upload(client, alice, description="x" * (media_uploads.MAX_DESCRIPTION + 1)),
                    await client.post("/api/v2/media", headers=alice, data={"description": "no file"},
                                      files={"other": ("a.txt", b"hello", "text/plain")})):
            assert bad.status_code == 422, bad.text
            assert error_of(bad)
        broken = await client.post("/api/v2/media", headers={**alice, "Content-Type": "multipart/form-data"},
                                   content=b"not multipart")
        assert broken.status_code == 400 and error_of(broken), broken.text
        assert (await client.get("/api/v1/media/99999999", headers=alice)).status_code == 404
        assert (await client.get("/api/v1/media/99999999999999999999", headers=alice)).status_code == 404
    assert await counts(w.art) == before
    assert sorted(p for p in media_root.rglob("*") if p.is_file()) == files_before


async def test_unattached_uploads_older_than_a_day_are_pruned_with_their_files(network: Network) -> None:
    w = await make_world(network)
    alice = await token(w.art, "alice")
    async with w.art.client() as client:
        old = (await upload(client, alice, colour=(200, 10, 10))).json()
        fresh = (await upload(client, alice, colour=(10, 200, 10))).json()
    async with w.art.rt.sessions() as session:
        row = await session.get(MediaUpload, int(old["id"]))
        assert row is not None
        row.created_at = utcnow() - timedelta(days=2)
        files = [Path(w.art.rt.settings.media.root) / "public" / row.large_key,
                 Path(w.art.rt.settings.media.root) / row.original_key]
        assert all(f.is_file() for f in files)
        await session.commit()
    async with w.art.client() as client:  # an Idempotency-Key past its hour goes with the same housekeeping
        for key in ("stale", "fresh"):
            answer = await client.post("/api/v1/statuses", headers={**alice, "Idempotency-Key": key},
                                       data={"status": f"note {key}"})
            assert answer.status_code == 200
    async with w.art.rt.sessions() as session:
        stale_key = await session.scalar(select(IdempotencyKey).where(IdempotencyKey.key == "stale"))
        assert stale_key is not None
        stale_key.created_at = utcnow() - timedelta(hours=2)
        await session.commit()
    await housekeeping(w.art.rt)  # the embedded job backend may have run it already: the outcome is the same
    async with w.art.rt.sessions() as session:
        assert await session.get(MediaUpload, int(old["id"])) is None
        assert await session.get(MediaUpload, int(fresh["id"])) is not None
        assert [k.key for k in await session.scalars(select(IdempotencyKey))] == ["fresh"]
    assert not any(f.exists() for f in files)
    async with w.art.rt.sessions() as session:
        assert await media_uploads.prune(w.art.rt, session) == 0  # nothing else is stale


async def test_deleting_a_work_keeps_the_files_an_upload_waiting_to_be_posted_shares(network: Network) -> None:
    w = await make_world(network)
    alice = await token(w.art, "alice")
    async with w.art.client() as client:
        posted_media = (await upload(client, alice, colour=(90, 90, 10))).json()
        waiting = (await upload(client, alice, colour=(90, 90, 10))).json()  # the same picture again
        assert waiting["url"] == posted_media["url"]  # content-addressed: one file for both
        status = await client.post("/api/v1/statuses", headers=alice, data={"media_ids[]": [posted_media["id"]]})
        assert status.status_code == 200, status.text
        assert (await client.delete(f"/api/v1/statuses/{status.json()['id']}", headers=alice)).status_code == 200
        assert (await client.get(waiting["url"])).status_code == 200
        again = await client.post("/api/v1/statuses", headers=alice, data={"media_ids[]": [waiting["id"]]})
        assert again.status_code == 200
        assert (await client.get(again.json()["media_attachments"][0]["url"])).status_code == 200
