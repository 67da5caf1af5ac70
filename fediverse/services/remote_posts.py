"""Stored remote posts: their tags, and the retention purge of the ones nobody here interacted with.

Why: the inbox stores every post of the accounts our artists follow (inbox/works.py, inbox/boosts.py), so the
table grows with the fediverse, not with us. As Mastodon's content-cache retention does, posts older than
``[federation] remote_post_retention_days`` go unless something here still holds on to them: a reply to one of
our works, a note that notified one of our artists (a mention), a boost by a local artist, or a boost made
within the retention (a recent boost of an old post keeps it), a like, a bookmark or a reply by a local artist.
Accounts nobody follows any more send nothing new, so their stored posts age out the same way.
"""

from __future__ import annotations

from datetime import datetime, timedelta
import weakref
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from fediverse.activitypub.parse_note import hashtag_names
from fediverse.db import statuses as status_db
from fediverse.models import Account, Bookmark, Favourite, LocalNote, Notification, RemoteNote, Status, utcnow
from fediverse.services import remote_media

if TYPE_CHECKING:
    from fediverse.runtime import Runtime

PURGE_BATCH = 500  # notes per transaction
MAX_BATCHES = 20  # per pass: a large first purge is spread over several passes
PURGE_EVERY_SECONDS = 3600.0  # housekeeping runs every few seconds; the purge scans remote_notes, so hourly
_last_pass: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()  # per engine: when it last ran


def tag_names(note: RemoteNote) -> list[str]:
    """The hashtag names of a stored note as it states them (no '#', case kept, once each): what a tag index
    normalises and stores. Read from the raw JSON, so an applied edit's tags are the ones returned."""
    return list(hashtag_names(note.raw))


def _kept(cutoff: datetime) -> ColumnElement[bool]:
    """Notes something here still holds on to (see the module docstring)."""
    own = aliased(Status)
    boost = aliased(Status)
    booster = aliased(Account)
    boosted = exists().where(own.remote_note_id == RemoteNote.id, boost.reblog_of_id == own.id,
                             booster.id == boost.account_id,
                             (booster.domain.is_(None)) | (boost.created_at >= cutoff))
    notified = exists().where(Notification.note_id == RemoteNote.id)
    replied = exists().where(LocalNote.in_reply_to_uri == RemoteNote.uri, LocalNote.deleted_at.is_(None))
    liked = exists().where(own.remote_note_id == RemoteNote.id, Favourite.status_id == own.id)
    bookmarked = exists().where(own.remote_note_id == RemoteNote.id, Bookmark.status_id == own.id)
    return RemoteNote.work_id.is_not(None) | notified | boosted | replied | liked | bookmarked


async def _purge_batch(rt: Runtime, session: AsyncSession, cutoff: datetime) -> int:
    ids = list(await session.scalars(select(RemoteNote.id).where(RemoteNote.published_at < cutoff, ~_kept(cutoff))
                                     .order_by(RemoteNote.id).limit(PURGE_BATCH)))
    for note_id in ids:
        await remote_media.forget(rt, session, note_id=note_id)  # cached copies of its images first
    await status_db.remove_for_notes(session, ids)
    if ids:
        await session.execute(delete(RemoteNote).where(RemoteNote.id.in_(ids)))
    return len(ids)


async def _purge_old_boosts(session: AsyncSession, cutoff: datetime) -> int:
    """Remote accounts' boosts older than the retention (of anything, our works included)."""
    old = select(Status.id).join(Account, Account.id == Status.account_id).where(
        Status.reblog_of_id.is_not(None), Status.created_at < cutoff, Account.domain.is_not(None)).limit(PURGE_BATCH)
    ids = list(await session.scalars(old))
    if ids:
        await session.execute(delete(Status).where(Status.id.in_(ids)))
    return len(ids)


async def purge_expired(rt: Runtime, *, now: datetime | None = None) -> int:
    """The housekeeping purge: at most MAX_BATCHES batches, one committed transaction each; returns how many
    notes and boosts went. ``remote_post_retention_days = 0`` keeps everything."""
    days = rt.settings.federation.remote_post_retention_days
    if days <= 0:
        return 0
    cutoff = (now or utcnow()) - timedelta(days=days)
    purged = 0
    async with rt.sessions() as session:
        for _ in range(MAX_BATCHES):
            batch = await _purge_old_boosts(session, cutoff) + await _purge_batch(rt, session, cutoff)
            await session.commit()
            purged += batch
            if not batch:
                break
    return purged


async def purge_if_due(rt: Runtime) -> int:
    """What housekeeping calls: ``purge_expired`` at most once per PURGE_EVERY_SECONDS in this process."""
    last = _last_pass.get(rt.engine)
    if last is not None and rt.clock.time() - last < PURGE_EVERY_SECONDS:
        return 0
    _last_pass[rt.engine] = rt.clock.time()
    return await purge_expired(rt, now=rt.clock.now())
