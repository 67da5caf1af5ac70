"""Posting from the client API: a status with images is a work, one without is a text note.

A status naming uploaded media (services.media_uploads) becomes a work on the artist's portfolio through
``works.create_work`` (her default licence and consent, alt text from each upload's description, focus from its
focus), so it is stored, indexed and federated exactly as a studio upload; a status without media goes through
``notes.post_note``. Deleting goes through ``works.delete_work`` / ``notes.delete_note`` (the Delete federates),
editing a work through ``works.edit_work``. Text notes have no edit service yet, so editing one is refused.

``Idempotency-Key``: the status a key made is remembered for an hour per person in the database (every process
sees it), so an app retrying after a timeout gets the same status instead of a second post; the key is reserved
in the posting transaction, so a refused post leaves it free and two parallel requests never both post.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.db import statuses as status_db
from fediverse.errors import Conflict, Invalid, NotFound
from fediverse.models import IdempotencyKey, LocalUser, MediaUpload, Work
from fediverse.services import media_uploads, notes, threads, works

if TYPE_CHECKING:
    from fediverse.runtime import Runtime

IDEMPOTENCY_WINDOW = timedelta(hours=1)
MAX_KEY = 200
# Mastodon's visibilities -> ours (a work has no direct audience)
NOTE_VISIBILITY = {"public": "public", "unlisted": "unlisted", "private": "followers", "direct": "direct"}
POSTING = 0  # media_uploads.status_id while the post using it is being made (set with the work, atomically)
RESERVED = 0  # api_idempotency_keys.status_id while the post of the key is being made
RESERVATION = timedelta(minutes=5)  # a reservation older than this was abandoned (a crashed process)


@dataclass(frozen=True)
class StatusInput:
    """What an app sends with POST /api/v1/statuses (Mastodon's names)."""

    text: str = ""
    media_ids: list[int] = field(default_factory=list)
    in_reply_to_id: int | None = None
    sensitive: bool = False
    spoiler_text: str = ""
    visibility: str = "public"


async def _key_row(session: AsyncSession, account_id: int, key: str) -> IdempotencyKey | None:
    return await session.scalar(select(IdempotencyKey).where(
        IdempotencyKey.account_id == account_id, IdempotencyKey.key == key))


async def post_status(rt: Runtime, session: AsyncSession, user: LocalUser, data: StatusInput,
                      idempotency_key: str | None = None) -> int:
    """Post the status (a work with media, else a note), commit; the new status id. With an idempotency key:
    the status the key made within the hour, else the key is reserved in the posting transaction (a parallel
    request with it, in any process, waits on the unique index and is then refused, never posting twice)."""
    if data.visibility not in NOTE_VISIBILITY:
        raise Invalid(f"visibility must be one of {', '.join(NOTE_VISIBILITY)}")
    account_id = user.account_id
    key = idempotency_key[:MAX_KEY] if idempotency_key else None
    if key is not None:
        earlier = await _reserve(session, account_id, key, rt.clock.now())
        if earlier is not None:
            return earlier
    # the posting services commit the reservation with the post, or roll both back
    status_id = await (_post_work(rt, session, user, data) if data.media_ids else _post_note(rt, session, user, data))
    if key is not None:
        await session.execute(update(IdempotencyKey).where(
            IdempotencyKey.account_id == account_id, IdempotencyKey.key == key).values(status_id=status_id))
    await session.commit()
    return status_id


async def _reserve(session: AsyncSession, account_id: int, key: str, now: datetime) -> int | None:
    """The status an earlier request with this key made (within the hour, still there); else None, the key
    reserved (flushed, not committed) for this request. A reservation left by a crashed request expires."""
    row = await _key_row(session, account_id, key)
    if row is not None:
        if row.status_id == RESERVED and row.created_at >= now - RESERVATION:
            raise Conflict("a post with this Idempotency-Key is being made: try again in a moment")
        if row.status_id != RESERVED and row.created_at >= now - IDEMPOTENCY_WINDOW \
                and await status_db.by_id(session, row.status_id) is not None:
            return row.status_id
        row.status_id, row.created_at = RESERVED, now  # expired, abandoned or deleted: the key starts again
    else:
        session.add(IdempotencyKey(account_id=account_id, key=key, status_id=RESERVED, created_at=now))
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise Conflict("a post with this Idempotency-Key is being made: try again in a moment") from None
    return None


async def _post_note(rt: Runtime, session: AsyncSession, user: LocalUser, data: StatusInput) -> int:
    note = await notes.post_note(rt, session, user, data.text, in_reply_to=data.in_reply_to_id,
                                 visibility=NOTE_VISIBILITY[data.visibility], cw=data.spoiler_text,
                                 sensitive=data.sensitive)
    found = await status_db.for_local_note(session, note.id)
    assert found is not None
    return found.id


async def _post_work(rt: Runtime, session: AsyncSession, user: LocalUser, data: StatusInput) -> int:
    limit = rt.settings.media.images_per_work
    if len(data.media_ids) > limit:
        raise Invalid(f"a post has at most {limit} images, not {len(data.media_ids)}")
    if data.in_reply_to_id is not None:
        raise Invalid("a post with images is a work on your portfolio and cannot be a reply: reply in text")
    if data.visibility == "direct":
        raise Invalid("a post with images is a work and cannot be direct: choose public, unlisted or private")
    uploads = await media_uploads.for_post(session, user, data.media_ids)
    images = [media_uploads.as_image(media) for media in uploads]
    for media in uploads:  # committed with the work by create_work, or rolled back with it
        media.status_id = POSTING
    work = await works.create_work(rt, session, user, works.WorkInput(
        description=data.text, content_warning=data.spoiler_text, sensitive=data.sensitive,
        visibility=NOTE_VISIBILITY[data.visibility]), images)
    found = await status_db.for_work_id(session, work.id)
    assert found is not None
    for media in await session.scalars(select(MediaUpload).where(MediaUpload.id.in_(data.media_ids))):
        media.status_id = found.id  # post_status commits
    return found.id


async def prune_keys(session: AsyncSession, now: datetime) -> None:
    """Forget keys past their hour (housekeeping; the caller commits)."""
    await session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < now - IDEMPOTENCY_WINDOW))


async def own_post(session: AsyncSession, user: LocalUser, status_id: int) -> threads.Post:
    """The poster's own work or text note under this status id (never a boost, never someone else's)."""
    post = await threads.visible_post(session, status_id, user.account)
    if post is None or post.status.id != status_id or post.author.id != user.account_id \
            or (post.work is None and post.local_note is None):
        raise NotFound("Record not found")
    return post


def source_of(post: threads.Post) -> tuple[str, str]:
    """(text as typed, spoiler text) of an own post, for redraft and edit."""
    if post.work is not None:
        return post.work.description, post.work.summary
    assert post.local_note is not None
    return post.local_note.content, post.local_note.summary


async def delete_status(rt: Runtime, session: AsyncSession, user: LocalUser, status_id: int) -> None:
    """Delete an own post through its service (the Delete federates), which commits."""
    post = await own_post(session, user, status_id)
    if post.work is not None:
        await works.delete_work(rt, session, user, post.work.public_id)
    else:
        assert post.local_note is not None
        await notes.delete_note(rt, session, user, post.local_note.public_id)


@dataclass(frozen=True)
class ImageEdit:
    """A change to one image of a work: its position (0 = first), and the new alt text and focus if given."""

    position: int
    description: str | None = None
    focus: tuple[float, float] | None = None


async def edit_status(rt: Runtime, session: AsyncSession, user: LocalUser, status_id: int, *, text: str,
                      spoiler_text: str, sensitive: bool, images: list[ImageEdit]) -> None:
    """Edit an own work's text, spoiler, sensitivity, alt texts and focus through works.edit_work (which
    federates the Update and commits). Text notes cannot be edited yet (no note edit service)."""
    post = await own_post(session, user, status_id)
    if post.work is None:
        raise Invalid("editing a text post is not supported here yet: delete and redraft it")
    work: Work = post.work
    alts = [image.alt_text for image in work.images]
    focal = [(image.focal_x, image.focal_y) for image in work.images]
    for change in images:
        if not 0 <= change.position < len(alts):
            raise Invalid("media_attributes names media that is not part of this status")
        if change.description is not None:
            alts[change.position] = change.description
        if change.focus is not None:
            focal[change.position] = change.focus
    await works.edit_work(rt, session, user, work.public_id, works.WorkInput(
        title=work.title, description=text, content_warning=spoiler_text, sensitive=sensitive,
        license_url=work.license_url, visibility=work.visibility, ai_generated=bool(work.ai_generated)),
        alt_texts=alts, focal_points=focal)
