"""Which stream a committed status or notification belongs in, for one viewer.

A stream shows live what its timeline shows on request, so the decision is the timeline's own query asked
about the one new id: `user` is the home timeline (the viewer's own posts and those of accounts she follows,
followers-only ones only when her follow is accepted, direct ones only when she is addressed), `public` and
`public:local` the public timelines (public posts only, never silenced or suspended authors), `hashtag` the
tag timeline. No second set of visibility rules to drift from the first.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.activitypub.audience import LISTED_VISIBILITIES, PRIVATE
from fediverse.activitypub.audience import PUBLIC as PUBLIC_VISIBILITY
from fediverse.db import follows as follow_db
from fediverse.db.stream_events import DELETE, NOTIFICATION, Event
from fediverse.models import Account, Notification, Status
from fediverse.models.follows import ACCEPTED
from fediverse.services import listings, timelines
from fediverse.services.listings import Cursor, Where
from fediverse.services.timelines import TimelineItem
from fediverse.services.visibility import may_see

USER, USER_NOTIFICATION, PUBLIC, PUBLIC_LOCAL, HASHTAG, HASHTAG_LOCAL = (
    "user", "user:notification", "public", "public:local", "hashtag", "hashtag:local")
# The public timeline's streams and their filters (Mastodon's names: local, remote, media only).
PUBLIC_STREAMS = {
    PUBLIC: Where(), PUBLIC_LOCAL: Where(local=True), "public:remote": Where(remote=True),
    "public:media": Where(only_media=True), "public:local:media": Where(local=True, only_media=True),
    "public:remote:media": Where(remote=True, only_media=True),
}
STREAMS = (USER, USER_NOTIFICATION, HASHTAG, HASHTAG_LOCAL, *PUBLIC_STREAMS)
SIGNED_IN = (USER, USER_NOTIFICATION)  # the others are public timelines


@dataclass(frozen=True)
class Stream:
    """One subscription: the stream's name and, for a hashtag stream, the tag as the client wrote it."""

    name: str
    tag: str = ""

    def label(self) -> list[str]:
        """The `stream` array of a message, as Mastodon sends it (["hashtag", "tag"], ["user"], ...)."""
        return [self.name, self.tag] if self.tag else [self.name]


def _only(status_id: int) -> Cursor:
    return Cursor(max_id=status_id + 1, since_id=status_id - 1, limit=1)


async def item_in(session: AsyncSession, stream: Stream, viewer: Account | None,
                  status_id: int) -> TimelineItem | None:
    """The timeline item of ``status_id`` when it belongs in ``stream`` for ``viewer`` (None: an app token, which
    has only the public streams), else None."""
    if stream.name == USER:
        if viewer is None:
            return None
        ids, _next = await timelines.home_ids(session, viewer, max_id=status_id + 1, limit=1)
        found = ids[:1] == [status_id]
    elif stream.name in PUBLIC_STREAMS:
        found = bool(await listings.public(session, viewer, PUBLIC_STREAMS[stream.name], _only(status_id)))
    elif stream.name in (HASHTAG, HASHTAG_LOCAL):
        found = bool(await listings.tag(session, viewer, stream.tag, Where(local=stream.name == HASHTAG_LOCAL),
                                        _only(status_id)))
    else:
        found = False
    if not found:
        return None
    items = await timelines.items_for(session, viewer, [status_id])
    return items[0] if items else None


async def hears_deletion(session: AsyncSession, stream: Stream, viewer_id: int | None, item: Event) -> bool:
    """A deletion goes where the post may have been shown: public streams for a public post; the home stream
    of its author and of her accepted followers (for anything but a direct post). ``viewer_id`` None: an app
    token, acting for nobody."""
    if item.kind != DELETE or stream.name == USER_NOTIFICATION:
        return False
    if stream.name != USER:
        return item.visibility == PUBLIC_VISIBILITY
    if viewer_id is None or item.account_id == viewer_id:
        return viewer_id is not None
    if item.visibility not in (*LISTED_VISIBILITIES, PRIVATE):
        return False
    edge = await follow_db.between(session, viewer_id, item.account_id)
    return edge is not None and edge.state == ACCEPTED


@dataclass(frozen=True)
class Notified:
    row: Notification
    item: TimelineItem | None  # the status it is about, when there is one she may see


async def notification_for(session: AsyncSession, viewer: Account, item: Event) -> Notified | None:
    """The viewer's own notification of ``item`` (None when it is someone else's or already gone)."""
    if item.kind != NOTIFICATION or item.account_id != viewer.id:
        return None
    row = await session.get(Notification, item.id)
    if row is None or row.account_id != viewer.id:
        return None
    status = await _status_of(session, row)
    if status is None or not await may_see(session, status, viewer):
        return Notified(row, None)
    items = await timelines.items_for(session, viewer, [status.id])
    return Notified(row, items[0] if items else None)


async def _status_of(session: AsyncSession, row: Notification) -> Status | None:
    """The status a notification is about: the reply or mention note, else the liked or boosted work."""
    if row.note_id is not None:
        where = Status.remote_note_id == row.note_id
    elif row.local_note_id is not None:
        where = Status.local_note_id == row.local_note_id
    elif row.work_id is not None:
        where = Status.work_id == row.work_id
    else:
        return None
    return await session.scalar(select(Status).where(where, Status.reblog_of_id.is_(None)))
