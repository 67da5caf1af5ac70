"""Threads: a status, the posts it replies to that we hold, and the replies to it that we hold, each shown only
to a viewer the visibility rule (services/visibility.py) lets see it.

A status is one of four kinds (a work, a stored remote note, a local text note, a boost); a boost stands for
the post it boosts. Posts point at their parent by URI (``inReplyTo``), so the walk up and the replies below go
by URI: a work's, a remote note's or a local note's, whichever we hold.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from fediverse.db import statuses as status_db
from fediverse.db import works as work_db
from fediverse.models import Account, LocalNote, RemoteNote, Status, Work
from fediverse.services.visibility import may_see, visible_to

MAX_ANCESTORS = 20  # a walk up a (possibly hostile, possibly looping) chain of inReplyTo stops here
MAX_REPLIES = 100


@dataclass(frozen=True)
class Post:
    """A status with the row behind it (exactly one of work, remote_note, local_note)."""

    status: Status
    uri: str
    author: Account
    in_reply_to_uri: str | None
    work: Work | None = None
    remote_note: RemoteNote | None = None
    local_note: LocalNote | None = None


@dataclass(frozen=True)
class Thread:
    post: Post
    ancestors: list[Post]  # oldest first
    replies: list[Post]  # oldest first


async def post_of(session: AsyncSession, status: Status) -> Post | None:
    """The post behind a status (a boost: the boosted one); None when its row is gone or deleted."""
    if status.reblog_of_id is not None:
        boosted = await session.get(Status, status.reblog_of_id)
        return await post_of(session, boosted) if boosted is not None and boosted.reblog_of_id is None else None
    if status.work_id is not None:
        work = await session.get(Work, status.work_id)
        if work is None or work.deleted_at is not None:
            return None
        return Post(status, work.uri, work.account, None, work=work)
    if status.remote_note_id is not None:
        note = await session.get(RemoteNote, status.remote_note_id)
        return Post(status, note.uri, note.account, note.in_reply_to_uri, remote_note=note) if note else None
    if status.local_note_id is not None:
        local = await session.get(LocalNote, status.local_note_id)
        if local is None or local.deleted_at is not None:
            return None
        return Post(status, local.uri, local.account, local.in_reply_to_uri, local_note=local)
    return None


def _shown(author: Account) -> bool:
    """Suspended and silenced accounts' posts are on no thread page."""
    return author.suspended_at is None and author.silenced_at is None


async def visible_post(session: AsyncSession, status_id: int, viewer: Account | None) -> Post | None:
    """The post a status id names (a boost: its boosted post), if ``viewer`` may see it; None otherwise."""
    status = await status_db.by_id(session, status_id)
    if status is None or not await may_see(session, status, viewer):
        return None
    post = await post_of(session, status)
    if post is None or post.status.id != status.id and not await may_see(session, post.status, viewer):
        return None
    return post if _shown(post.author) or (viewer is not None and viewer.id == post.author.id) else None


async def status_by_uri(session: AsyncSession, uri: str) -> Status | None:
    """The status of the post with this id, whichever kind we hold it as."""
    queries = (select(Status).join(Work, Work.id == Status.work_id).where(Work.uri == uri),
               select(Status).join(RemoteNote, RemoteNote.id == Status.remote_note_id).where(RemoteNote.uri == uri),
               select(Status).join(LocalNote, LocalNote.id == Status.local_note_id).where(LocalNote.uri == uri))
    for query in queries:
        found = await session.scalar(query)
        if found is not None:
            return found
    return None


async def ancestors(session: AsyncSession, post: Post, viewer: Account | None) -> list[Post]:
    """The posts above this one that we hold and ``viewer`` may see, oldest first; the walk stops at the first
    one missing or hidden, at a loop, or after MAX_ANCESTORS."""
    found: list[Post] = []
    seen = {post.uri}
    parent = post.in_reply_to_uri
    while parent and parent not in seen and len(found) < MAX_ANCESTORS:
        seen.add(parent)
        status = await status_by_uri(session, parent)
        above = await visible_post(session, status.id, viewer) if status is not None else None
        if above is None:
            break
        found.append(above)
        parent = above.in_reply_to_uri
    return found[::-1]


async def replies(session: AsyncSession, uri: str, viewer: Account | None, *, limit: int = MAX_REPLIES) -> list[Post]:
    """The remote and local notes replying to ``uri`` that ``viewer`` may see, oldest first."""
    author = aliased(Account)
    rows = await session.scalars(
        select(Status)
        .outerjoin(RemoteNote, RemoteNote.id == Status.remote_note_id)
        .outerjoin(LocalNote, LocalNote.id == Status.local_note_id)
        .join(author, author.id == Status.account_id)
        .where(or_(RemoteNote.in_reply_to_uri == uri, LocalNote.in_reply_to_uri == uri), visible_to(viewer),
               author.suspended_at.is_(None), author.silenced_at.is_(None),
               RemoteNote.against_policy.is_not(True))  # NULL for local notes; a reply against policy is kept only
        .order_by(Status.id).limit(limit))
    posts = [await post_of(session, status) for status in rows]
    return [post for post in posts if post is not None]


async def thread(session: AsyncSession, status_id: int, viewer: Account | None) -> Thread | None:
    """The thread page's content, or None (unknown, deleted, or not for this viewer: the page says 404)."""
    post = await visible_post(session, status_id, viewer)
    if post is None:
        return None
    return Thread(post, await ancestors(session, post, viewer), await replies(session, post.uri, viewer))


async def descendants(session: AsyncSession, post: Post, viewer: Account | None, *,
                      limit: int = MAX_REPLIES) -> list[Post]:
    """Every reply below this post that we hold and ``viewer`` may see, in thread order (each reply followed by
    its own replies, oldest first), at most ``limit`` (the client API's context; a loop is walked once)."""
    found: list[Post] = []
    seen = {post.uri}

    async def walk(uri: str) -> None:
        for reply in await replies(session, uri, viewer):
            if len(found) >= limit or reply.uri in seen:
                continue
            seen.add(reply.uri)
            found.append(reply)
            await walk(reply.uri)

    await walk(post.uri)
    return found


async def work_counts(session: AsyncSession, work: Work, viewer: Account | None) -> dict[str, int]:
    """Likes, boosts and the replies ``viewer`` may see (remote ones and our artists' own), as the work's
    ``likes`` / ``shares`` / ``replies`` collections count them. Signed out: public and unlisted replies only."""
    counts = await work_db.reaction_counts(session, work.id, viewer)
    local = [post for post in await replies(session, work.uri, viewer) if post.local_note is not None]
    counts["reply"] += len(local)
    return counts
