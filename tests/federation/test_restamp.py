"""When an artist changes their consent record, the image files themselves follow (new XMP, new URLs)."""

from __future__ import annotations

from sqlalchemy import select

from fediverse.models import InboundActivity, Work
from fediverse.services import consent
from fediverse.services.consent import set_account_consent
from fediverse.services.profile import update_profile
from fediverse.services.works import ImageUpload, WorkInput, create_work
from tests import imagecorpus
from tests.federation.helpers import act, make_user, user
from tests.support import Instance, Network


async def allow_ai_and_restamp(network: Network, a: Instance, work: Work) -> tuple[Work, bytes]:
    """alice allows AI training (her record changes), the re-stamp job runs; her work as stored now and the
    XMP packet its files must carry."""
    async with a.rt.sessions() as session:
        me = await session.merge(await user(a, "alice"))
        set_account_consent(me.account, {"ai_training": "allowed", "tdm_reserved": False})
        await update_profile(a.rt, session, me)
        await session.commit()
    await network.drain()
    async with a.rt.sessions() as session:
        fresh = await session.scalar(select(Work).where(Work.id == work.id))
        assert fresh is not None
        return fresh, consent.image_xmp(a.rt.settings, a.rt.uris, fresh)


async def test_opting_in_restamps_every_rendition_and_tells_followers(network: Network) -> None:
    a = await network.add("art.test")
    b = await network.add("social.test")
    await make_user(a, "alice")
    await make_user(b, "bob")
    await act(b, "follow", "bob", "alice@art.test")
    async with a.rt.sessions() as session:
        me = await session.merge(await user(a, "alice"))
        work = await create_work(a.rt, session, me, WorkInput(title="Fox"),
                                 [ImageUpload(data=imagecorpus.plain_jpeg(), alt_text="A fox")])
    await network.drain()
    old_key = work.images[0].large_key
    async with a.client() as client:
        before = (await client.get(a.rt.uris.media(old_key))).content
    assert consent.instance_record(a.rt.settings).data_mining.encode() in before

    fresh, packet = await allow_ai_and_restamp(network, a, work)
    new_key = fresh.images[0].large_key
    assert new_key != old_key
    async with a.client() as client:
        after = await client.get(a.rt.uris.media(new_key))
        gone = await client.get(a.rt.uris.media(old_key))
    assert after.status_code == 200 and packet in after.content
    assert packet not in before  # the record inside the file really changed
    record = consent.for_work(a.rt.settings, fresh)
    assert record.ai_training == "allowed" and record.data_mining.encode() in after.content
    assert gone.status_code == 404  # the old file, with the old record in it, is no longer served
    async with b.rt.sessions() as session:
        updates = [row.raw for row in await session.scalars(select(InboundActivity).where(InboundActivity.type == "Update"))]
    notes = [u["object"] for u in updates if u["object"].get("type") == "Note"]
    assert notes and notes[-1]["attachment"][0]["url"] == a.rt.uris.media(new_key)


async def test_an_as_uploaded_file_is_restamped_without_re_encoding(network: Network) -> None:
    """Glaze-safe publishing: a new consent record goes into the artist's own file again, pixels untouched."""
    import io

    from PIL import Image

    from fediverse.imaging.lossless import jpeg_image_data

    a = await network.add("art.test")
    await make_user(a, "alice")
    glazed = imagecorpus.gps_jpeg()
    async with a.rt.sessions() as session:
        me = await session.merge(await user(a, "alice"))
        work = await create_work(a.rt, session, me, WorkInput(title="Glazed fox", as_uploaded=True),
                                 [ImageUpload(data=glazed, alt_text="A glazed fox")])
    old_key = work.images[0].large_key
    fresh, packet = await allow_ai_and_restamp(network, a, work)
    image = fresh.images[0]
    assert image.as_uploaded and image.large_key != old_key
    async with a.client() as client:
        after = (await client.get(a.rt.uris.media(image.large_key))).content
    assert packet in after and jpeg_image_data(after) == jpeg_image_data(glazed)
    with Image.open(io.BytesIO(after)) as served, Image.open(io.BytesIO(glazed)) as uploaded:
        assert served.tobytes() == uploaded.tobytes() and not served.getexif()
