"""An app's images before they are posted (POST /api/v2/media): validated and stored as a work's image would be,
owned by the uploader, described (alt text) and focused until a status uses them.

The image checks are services.works' own (``prepare_image``: probe limits, renditions, consent XMP, alt text
limits), never a second validator; a status then hands the uploads to ``works.create_work`` as prepared images.
An upload is seen and changed by its owner only (anyone else gets NotFound, as for an unknown id).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.errors import Invalid, NotFound
from fediverse.models import LocalUser, MediaUpload, WorkImage, utcnow
from fediverse.services import works
from fediverse.snowflake import new_id

if TYPE_CHECKING:
    from fediverse.runtime import Runtime

KEEP_UNATTACHED = timedelta(days=1)
MAX_DESCRIPTION = 1_500  # the instance entity's description_limit (what apps let people type)


def parse_focus(raw: str | None) -> tuple[float, float]:
    """Mastodon's ``focus`` "x,y", each within -1..1 ("" or None: the centre)."""
    if raw is None or not raw.strip():
        return (0.0, 0.0)
    parts = raw.split(",")
    try:
        x, y = (float(part) for part in parts) if len(parts) == 2 else (float("nan"), 0.0)
    except ValueError:
        raise Invalid("focus must be two numbers x,y within -1..1") from None
    if not (-1.0 <= x <= 1.0 and -1.0 <= y <= 1.0):  # NaN fails both comparisons
        raise Invalid("focus must be two numbers x,y within -1..1")
    return (x, y)


def _check_description(description: str) -> None:
    if len(description) > MAX_DESCRIPTION:
        raise Invalid(f"description must be at most {MAX_DESCRIPTION} characters")


async def upload(rt: Runtime, session: AsyncSession, user: LocalUser, data: bytes, *, description: str,
                 focus: tuple[float, float], filename: str = "", declared_mime: str | None = None) -> MediaUpload:
    """Store an image for a later post, and commit. Raises Invalid (works.ImagesRefused) naming the reason."""
    _check_description(description)
    image = works.ImageUpload(data=data, alt_text=description, filename=filename[:200],
                              declared_mime=declared_mime, focal_point=focus)
    row, stored = await works.prepare_image(rt, user.account, image)
    media = MediaUpload(id=new_id(), account_id=user.account_id, description=description.strip(),
                        focal_x=focus[0], focal_y=focus[1], original_key=row.original_key,
                        original_mime=row.original_mime, large_key=row.large_key, large_mime=row.large_mime,
                        display_key=row.display_key, thumbnail_key=row.thumbnail_key, width=row.width,
                        height=row.height, large_width=row.large_width, large_height=row.large_height,
                        blurhash=row.blurhash, ai_generated=row.ai_generated,
                        digital_source_type=row.digital_source_type, created_at=utcnow())
    try:
        session.add(media)
        await session.commit()
    except BaseException:
        await session.rollback()
        await _release(rt, session, stored)
        raise
    return media


async def own(session: AsyncSession, user: LocalUser, media_id: int) -> MediaUpload:
    """The upload if ``user`` made it; NotFound otherwise (someone else's is as unknown as a missing one)."""
    media = await session.get(MediaUpload, media_id)
    if media is None or media.account_id != user.account_id:
        raise NotFound("Record not found")
    return media


async def update(rt: Runtime, session: AsyncSession, user: LocalUser, media_id: int, *,
                 description: str | None, focus: tuple[float, float] | None) -> MediaUpload:
    """Change the description or focus of an upload not posted yet, and commit."""
    media = await own(session, user, media_id)
    if media.status_id is not None:
        raise Invalid("this media is attached to a status already: edit the status instead")
    if description is not None:
        _check_description(description)
        media.description = description.strip()
    if focus is not None:
        media.focal_x, media.focal_y = focus
    await session.commit()
    return media


async def for_post(session: AsyncSession, user: LocalUser, media_ids: list[int]) -> list[MediaUpload]:
    """The uploads a new post names, in its order: each must be the poster's and not used by another post."""
    if len(set(media_ids)) != len(media_ids):
        raise Invalid("media_ids names the same media twice")
    found = []
    for media_id in media_ids:
        media = await session.get(MediaUpload, media_id)
        if media is None or media.account_id != user.account_id:
            raise Invalid(f"media {media_id} is unknown (upload it first with POST /api/v2/media)")
        if media.status_id is not None:
            raise Invalid(f"media {media_id} is attached to another status already")
        found.append(media)
    return found


def as_image(media: MediaUpload) -> works.ImageUpload:
    """The upload as a work's image, stored already (create_work uses its files as they are)."""
    prepared = WorkImage(original_key=media.original_key, original_mime=media.original_mime,
                         large_key=media.large_key, large_mime=media.large_mime, display_key=media.display_key,
                         thumbnail_key=media.thumbnail_key, width=media.width, height=media.height,
                         large_width=media.large_width, large_height=media.large_height, blurhash=media.blurhash,
                         ai_generated=media.ai_generated, digital_source_type=media.digital_source_type)
    return works.ImageUpload(data=b"", alt_text=media.description, focal_point=(media.focal_x, media.focal_y),
                             prepared=prepared)


async def prune(rt: Runtime, session: AsyncSession, now: datetime | None = None) -> int:
    """Forget uploads no post used within a day and remove their files (unless a work or another upload uses
    the same content-addressed file), and commit; returns how many were pruned."""
    cutoff = (now or utcnow()) - KEEP_UNATTACHED
    stale = list(await session.scalars(select(MediaUpload).where(
        MediaUpload.status_id.is_(None), MediaUpload.created_at < cutoff)))
    if not stale:
        return 0
    keys = [(kind, key) for media in stale for kind, key in (
        ("private", media.original_key), ("public", media.large_key), ("public", media.display_key),
        ("public", media.thumbnail_key))]
    await session.execute(delete(MediaUpload).where(MediaUpload.id.in_([media.id for media in stale])))
    await session.commit()
    await _release(rt, session, keys)
    return len(stale)


async def _release(rt: Runtime, session: AsyncSession, keys: list[tuple[str, str]]) -> None:
    """Files of uploads, removed when no work and no upload waiting to be posted uses them (works.release_files
    checks both)."""
    await works.release_files(rt, session, list(dict.fromkeys(keys)))
