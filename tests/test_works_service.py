"""Posting rules: alt text, limits, bad images; a refused work leaves no file and no row behind."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from fediverse.errors import Invalid
from fediverse.models import OutboundActivity, Work, WorkImage
from fediverse.services.works import ImageUpload, WorkInput, arrange, create_work, delete_work, set_pinned
from tests import imagecorpus
from tests.federation.helpers import make_user, user
from tests.support import Instance, Network


def good(alt: str = "A heron in ink") -> ImageUpload:
    return ImageUpload(data=imagecorpus.plain_jpeg(), alt_text=alt)


async def post(instance: Instance, images: list[ImageUpload], **fields: object) -> Work:
    async with instance.rt.sessions() as session:
        me = await session.merge(await user(instance, "alice"))
        return await create_work(instance.rt, session, me, WorkInput(**fields), images)  # type: ignore[arg-type]


async def nothing_stored(instance: Instance) -> None:
    async with instance.rt.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Work)) == 0
        assert await session.scalar(select(func.count()).select_from(WorkImage)) == 0
        assert await session.scalar(select(func.count()).select_from(OutboundActivity)) == 0
    media = Path(instance.rt.settings.media.root)
    assert not [p for p in media.rglob("*") if p.is_file()], "files were left in the media store"


@pytest.fixture
async def art(network: Network) -> Instance:
    a = await network.add("art.test", media={"images_per_work": 3, "min_alt_length": 3})
    await make_user(a, "alice")
    return a


@pytest.mark.parametrize(("images", "fields", "message"), [
    ([], {}, "at least one image"),
    ([good()] * 4, {}, "at most 3 images"),
    ([good(alt="")], {}, "alt text is required"),
    ([good(alt="ab")], {}, "at least 3 characters"),
    ([good()], {"visibility": "secret"}, "visibility must be one of"),
    ([good()], {"license_url": "javascript:alert(1)"}, "licence must be an http(s) URL"),
    ([good()], {"title": "x" * 301}, "title must be at most"),
    ([ImageUpload(data=b"", alt_text="empty file")], {}, "image 1: file is empty"),
    ([ImageUpload(data=imagecorpus.html_as_jpeg(), alt_text="not an image", filename="cat.jpg")], {}, "(cat.jpg)"),
    ([ImageUpload(data=imagecorpus.png_bomb(), alt_text="a bomb")], {}, "MP"),
    ([ImageUpload(data=imagecorpus.truncated_jpeg(), alt_text="cut off")], {}, "truncated"),
    ([good(), ImageUpload(data=imagecorpus.tiff(), alt_text="a tiff")], {}, "image 2"),
])
async def test_refused_works_say_why_and_store_nothing(art: Instance, images: list[ImageUpload],
                                                       fields: dict[str, object], message: str) -> None:
    with pytest.raises(Invalid, match=message.replace("(", r"\(").replace(")", r"\)")):
        await post(art, images, **fields)
    await nothing_stored(art)


async def test_delete_removes_files_but_keeps_those_another_work_uses(art: Instance) -> None:
    first = await post(art, [good()])
    second = await post(art, [good()])  # the same picture again: same content-addressed files
    async with art.rt.sessions() as session:
        me = await session.merge(await user(art, "alice"))
        await delete_work(art.rt, session, me, first.public_id)
    media = Path(art.rt.settings.media.root)
    assert (media / "public" / second.images[0].large_key).exists()
    async with art.rt.sessions() as session:
        me = await session.merge(await user(art, "alice"))
        await delete_work(art.rt, session, me, second.public_id)
    assert not [p for p in media.rglob("*") if p.is_file()]


async def test_arrange_and_pin(art: Instance) -> None:
    works = [await post(art, [good()], title=f"Work {n}") for n in range(3)]
    async with art.rt.sessions() as session:
        me = await session.merge(await user(art, "alice"))
        await arrange(session, me, [works[0].public_id, works[2].public_id])
        pinned = await set_pinned(art.rt, session, me, works[1].public_id, True)
        from fediverse.db import works as work_db

        order = [w.title for w in await work_db.portfolio(session, me.account_id, limit=10, offset=0)]
        featured = [w.title for w in await work_db.pinned(session, me.account_id)]
        with pytest.raises(Exception, match="no such work"):
            await arrange(session, me, ["nope"])
    assert order == ["Work 0", "Work 2", "Work 1"] and featured == ["Work 1"] and pinned.pinned_at is not None
