"""Re-stamp a work's image files when its consent record (or the credit in it) changes.

Renditions carry the record as XMP inside the file; headers and JSON follow a change at once, the files
need new bytes. The originals are kept, so each rendition is derived again with the new packet, stored
under its new content address, the old files are released, and followers get an Update with the new URLs.
Works whose files already carry the current packet are left alone. An as-uploaded image (Glaze-safe) gets the
new packet inserted into the artist's own file again (imaging/lossless.py), never a re-encode.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.activitypub.render_works import render_update
from fediverse.db import works as work_db
from fediverse.federation.outbox import publish
from fediverse.imaging import ImageRejected, probe
from fediverse.jobs.kinds import Restamp
from fediverse.jobs.queue import enqueue
from fediverse.models import Work
from fediverse.services import consent
from fediverse.services.accounts import require_local_user
from fediverse.services.works import derive_renditions, next_edit_time, release_files, store_for

if TYPE_CHECKING:
    from fediverse.runtime import Runtime

MAX_RESTAMP_BYTES = 1 << 40  # a file accepted once is not refused for a byte limit lowered since


async def schedule_for_account(session: AsyncSession, account_id: int) -> int:
    """Queue a re-stamp of every live work of an artist (in the caller's transaction)."""
    ids = list(await session.scalars(select(Work.id).where(Work.account_id == account_id, Work.deleted_at.is_(None))))
    for work_id in ids:
        enqueue(session, Restamp(work_id))
    return len(ids)


async def live_work_ids(rt: Runtime, username: str | None = None) -> list[int]:
    """Every live work of the instance, or of one local artist (NotFound when there is none by that name)."""
    async with rt.sessions() as session:
        where = [Work.deleted_at.is_(None)]
        if username is not None:
            where.append(Work.account_id == (await require_local_user(session, username)).account_id)
        return list(await session.scalars(select(Work.id).where(*where).order_by(Work.id)))


RESTAMPED = "files re-stamped"


async def restamp_work(rt: Runtime, work_id: int) -> str:
    store = store_for(rt)
    media = rt.settings.media
    async with rt.sessions() as session:
        work = await session.get(Work, work_id)
        if work is None or work.deleted_at is not None:
            return "work is gone"
        packet = consent.image_xmp(rt.settings, rt.uris, work)
        old_keys: list[tuple[str, str]] = []
        changed = False
        for image in work.images:
            current = store.open_public(image.large_key)
            if current is not None and packet in current.read_bytes():
                continue  # already carries this record
            original_path = store.open_private(image.original_key)
            if original_path is None:
                continue  # nothing to derive from
            data = original_path.read_bytes()
            probed = await rt.run_image_work(
                partial(probe, data, max_bytes=max(media.max_upload_bytes, len(data)), max_pixels=media.max_pixels))
            try:  # an as-uploaded file gets the new packet inserted losslessly again, never a re-encode
                derived = await rt.run_image_work(partial(derive_renditions, data, probed, rt, packet,
                                                          image.as_uploaded, max_bytes=MAX_RESTAMP_BYTES))
            except ImageRejected:
                continue  # [media] large_max shrank since it was accepted: keep the artist's file as published
            saved = store.put_upload(work.account.username, data, probed.ext, derived.renditions)
            old_keys += [("public", image.large_key), ("public", image.display_key), ("public", image.thumbnail_key)]
            image.large_key = saved.renditions["large"]
            image.display_key = saved.renditions["display"]
            image.thumbnail_key = saved.renditions["thumbnail"]
            changed = True
        if not changed:
            return "files already carry the current record"
        work.updated_at = next_edit_time(work)
        await session.flush()
        properties = consent.local_note_consent(rt.settings, rt.uris, work)
        inboxes = await work_db.mention_inboxes(session, work)
        await publish(session, work.account, render_update(work, rt.uris, instance_name=rt.settings.instance.name,
                                                           consent=properties), inboxes=inboxes, followers=True)
        await session.commit()
        await release_files(rt, session, old_keys)
    return RESTAMPED
