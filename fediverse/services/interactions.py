"""What a signed-in artist does to a post in a timeline: like, boost, bookmark, and undo each.

Every action names a status by its id and acts on the post it shows (a boost's boosted status). A status the
artist may not see is "not found", exactly like one that does not exist, so nobody learns what is hidden.

- Like: a ``favourites`` row; for a remote note a Like is delivered to its author (an Undo(Like) on unlike);
  for another artist's work here, the like is recorded as the work's reaction directly (with its notification),
  as a remote like would be; for a local text note (it has no reactions), the favourite and a notification to
  its author: both are here, nothing is federated.
- Boost: remote notes through services/boosts.py (Announce to followers and the author); another artist's
  public or unlisted work or text note here: an Announce to the booster's followers, and the work's reaction
  (for a note, a notification to its author).
- Bookmark: private, never federated.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, AsyncIterator

import orjson
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse import snowflake
from fediverse.activitypub.audience import LISTED_VISIBILITIES
from fediverse.activitypub.render import AS_PUBLIC, render_announce, render_like, render_undo
from fediverse.consent import JSONLD_TERMS, jsonld_properties
from fediverse.db import boosts as boost_db
from fediverse.db import statuses as status_db
from fediverse.errors import Conflict, Invalid, NotFound
from fediverse.federation.outbox import publish
from fediverse.models import (
    Account, Bookmark, Favourite, LocalNote, LocalUser, Notification, OutboundActivity, Reaction, RemoteNote,
    Status, Work, utcnow,
)
from fediverse.services import boosts, works
from fediverse.services.consent import for_work, instance_policy_url, local_text_consent
from fediverse.services.visibility import may_see

if TYPE_CHECKING:
    from fediverse.runtime import Runtime

NOT_FOUND = "That post is not here (it may have been deleted, or it is not visible to you)."
LIKE, BOOST, BOOKMARK = "like", "boost", "bookmark"


async def visible_status(session: AsyncSession, viewer: Account | None, status_id: int) -> Status:
    """The post a status shows (a boost's boosted one), if ``viewer`` may see both; else NotFound."""
    if not snowflake.is_id(status_id):  # not a snowflake: nothing to look up
        raise NotFound(NOT_FOUND)
    status = await session.get(Status, status_id)
    if status is None or not await may_see(session, status, viewer):
        raise NotFound(NOT_FOUND)
    if status.reblog_of_id is not None:
        status = await session.get(Status, status.reblog_of_id)
        if status is None or not await may_see(session, status, viewer):
            raise NotFound(NOT_FOUND)
    author = await session.get(Account, status.account_id)
    if author is None or author.suspended_at is not None:
        raise NotFound(NOT_FOUND)
    return status


Post = Work | RemoteNote | LocalNote


async def _post(session: AsyncSession, status: Status) -> Post:
    post: Post | None = (
        await session.get(Work, status.work_id) if status.work_id is not None
        else await session.get(RemoteNote, status.remote_note_id) if status.remote_note_id is not None
        else await session.get(LocalNote, status.local_note_id) if status.local_note_id is not None else None)
    if post is None or (isinstance(post, (Work, LocalNote)) and post.deleted_at is not None):
        raise NotFound(NOT_FOUND)
    return post


async def _target(session: AsyncSession, user: LocalUser, status_id: int) -> tuple[Account, Status, Post]:
    """Who acts, the status they act on (a boost's boosted one) and its post; NotFound when they may not see it."""
    status = await visible_status(session, user.account, status_id)
    return user.account, status, await _post(session, status)


# --- likes ---------------------------------------------------------------------------------------------------

async def like(rt: Runtime, session: AsyncSession, user: LocalUser, status_id: int) -> Favourite:
    """Like the post; commits (a remote author's server is sent the Like after)."""
    me, status, post = await _target(session, user, status_id)
    if await _favourite(session, me.id, status.id) is not None:
        raise Conflict("You already like this post.")
    favourite = Favourite(account_id=me.id, status_id=status.id, uri=rt.uris.new_activity())
    session.add(favourite)
    if isinstance(post, Work):
        _react(session, "like", favourite.uri, post, me)
    elif isinstance(post, LocalNote):
        _notify_note(session, "like", post, me)
    else:
        doc = render_like(favourite.uri, me.uri, post.uri, to=[post.account.uri])
        await publish(session, me, doc, inboxes=[post.account.inbox_url])
    async with _duplicate_is_conflict(session, "You already like this post."):
        await session.commit()
    return favourite


async def unlike(rt: Runtime, session: AsyncSession, user: LocalUser, status_id: int) -> None:
    """Take the like back; commits (the remote author's server is sent an Undo of the Like as sent)."""
    me, status, post = await _target(session, user, status_id)
    favourite = await _favourite(session, me.id, status.id)
    if favourite is None:
        raise Conflict("You do not like this post.")
    if isinstance(post, Work):
        await session.execute(delete(Reaction).where(Reaction.uri == favourite.uri))
    elif isinstance(post, LocalNote):
        await _unnotify_note(session, "like", post, me)
    else:
        sent = await boost_db.by_uri(session, favourite.uri)
        inner = orjson.loads(sent.body) if sent is not None else render_like(
            favourite.uri, me.uri, post.uri, to=[post.account.uri])
        await publish(session, me, render_undo(f"{favourite.uri}/undo", me.uri, inner),
                      inboxes=[post.account.inbox_url])
    await session.delete(favourite)
    await session.commit()


async def _favourite(session: AsyncSession, account_id: int, status_id: int) -> Favourite | None:
    return await session.scalar(select(Favourite).where(Favourite.account_id == account_id,
                                                        Favourite.status_id == status_id))


def _react(session: AsyncSession, kind: str, uri: str, work: Work, me: Account) -> None:
    """A local artist's like or boost of a work here: the work's reaction (its counts) and a notification."""
    session.add(Reaction(kind=kind, uri=uri, work_id=work.id, account_id=me.id))
    if work.account_id != me.id:
        session.add(Notification(account_id=work.account_id, kind=kind, actor_id=me.id, work_id=work.id))


def _notify_note(session: AsyncSession, kind: str, note: LocalNote, me: Account) -> None:
    """A local artist's like or boost of a text note here: its author hears of it (the favourite or the boost
    status is the count; a note has no reactions)."""
    if note.account_id != me.id:
        session.add(Notification(account_id=note.account_id, kind=kind, actor_id=me.id, local_note_id=note.id))


async def _unnotify_note(session: AsyncSession, kind: str, note: LocalNote, me: Account) -> None:
    """The like or boost was taken back: so is the notification of it (nothing else records it)."""
    await session.execute(delete(Notification).where(
        Notification.kind == kind, Notification.actor_id == me.id, Notification.local_note_id == note.id))


@asynccontextmanager
async def _duplicate_is_conflict(session: AsyncSession, message: str) -> AsyncIterator[None]:
    """Around the commit: a concurrent duplicate (the unique pair) is a Conflict, not a server error."""
    try:
        yield
    except IntegrityError:
        await session.rollback()
        raise Conflict(message) from None


# --- boosts --------------------------------------------------------------------------------------------------

async def reblog(rt: Runtime, session: AsyncSession, user: LocalUser, status_id: int) -> None:
    """Boost the post; commits."""
    me, status, post = await _target(session, user, status_id)
    if isinstance(post, RemoteNote):
        await boosts.boost(rt, session, user, post.id)  # commits
        return
    if status.visibility not in LISTED_VISIBILITIES:
        raise Invalid("Only public posts can be boosted.")
    if await _own_boost(session, me.id, status.id) is not None:
        raise Conflict("You already boosted this post.")
    if isinstance(post, LocalNote):
        note_consent = local_text_consent(rt.settings, rt.uris, post.account)
        consent, terms = note_consent.object, note_consent.terms
    else:
        record = for_work(rt.settings, post)
        consent = jsonld_properties(record, kind="object", policy_url=instance_policy_url(rt.uris))
        terms = JSONLD_TERMS
    announce_id = rt.uris.new_activity()
    doc = render_announce(announce_id, me.uri, post.uri, to=[AS_PUBLIC], cc=[post.account.uri, me.followers_url],
                          published=utcnow(), consent=consent, terms=terms)
    await status_db.add_boost(session, me.id, announce_id, status)
    if isinstance(post, LocalNote):
        _notify_note(session, "announce", post, me)
    elif post.account_id != me.id:
        _react(session, "announce", announce_id, post, me)
    await publish(session, me, doc, followers=True)
    async with _duplicate_is_conflict(session, "You already boosted this post."):
        await session.commit()


async def unreblog(rt: Runtime, session: AsyncSession, user: LocalUser, status_id: int) -> None:
    """Undo the boost; commits."""
    me, status, post = await _target(session, user, status_id)
    if isinstance(post, RemoteNote):
        await boosts.unboost(rt, session, user, post.id)  # commits
        return
    mine = await _own_boost(session, me.id, status.id)
    if mine is None or mine.uri is None:
        raise Conflict("You have not boosted this post.")
    sent = await session.scalar(select(OutboundActivity).where(OutboundActivity.uri == mine.uri))
    if sent is not None:
        await publish(session, me, render_undo(f"{mine.uri}/undo", me.uri, orjson.loads(sent.body)), followers=True)
    if isinstance(post, LocalNote):
        await _unnotify_note(session, "announce", post, me)
    else:
        await session.execute(delete(Reaction).where(Reaction.uri == mine.uri))
    await status_db.remove_boost(session, mine.uri)
    await session.commit()


async def _own_boost(session: AsyncSession, account_id: int, status_id: int) -> Status | None:
    return await session.scalar(select(Status).where(Status.account_id == account_id,
                                                     Status.reblog_of_id == status_id))


# --- bookmarks -----------------------------------------------------------------------------------------------

async def bookmark(session: AsyncSession, user: LocalUser, status_id: int) -> None:
    """Keep the post in the artist's bookmarks (private); commits. Bookmarking twice is harmless."""
    status = await visible_status(session, user.account, status_id)
    if await _bookmark(session, user.account_id, status.id) is None:
        session.add(Bookmark(account_id=user.account_id, status_id=status.id))
        async with _duplicate_is_conflict(session, "This post is already in your bookmarks."):
            await session.commit()


async def unbookmark(session: AsyncSession, user: LocalUser, status_id: int) -> None:
    """Remove the post from the bookmarks; commits. Works even when the post is no longer visible."""
    status = await session.get(Status, status_id) if snowflake.is_id(status_id) else None
    target = status.reblog_of_id if status is not None and status.reblog_of_id is not None else status_id
    result = await session.execute(delete(Bookmark).where(Bookmark.account_id == user.account_id,
                                                          Bookmark.status_id == target))
    if not result.rowcount:
        raise NotFound("That post is not in your bookmarks.")
    await session.commit()


async def _bookmark(session: AsyncSession, account_id: int, status_id: int) -> Bookmark | None:
    return await session.scalar(select(Bookmark).where(Bookmark.account_id == account_id,
                                                       Bookmark.status_id == status_id))


# --- who liked and boosted -----------------------------------------------------------------------------------

WHO_LIMIT = 80


async def favourited_by(session: AsyncSession, viewer: Account | None, status_id: int,
                        limit: int = 40) -> list[Account]:
    """Who liked a post ``viewer`` may see (NotFound otherwise): local likes, and remote ones of our works,
    newest first, suspended accounts left out."""
    status = await visible_status(session, viewer, status_id)
    query = select(Favourite.account_id, Favourite.created_at).where(Favourite.status_id == status.id)
    if status.work_id is not None:
        query = query.union_all(select(Reaction.account_id, Reaction.created_at).where(
            Reaction.work_id == status.work_id, Reaction.kind == "like"))
    return await _accounts(session, query, limit)


async def reblogged_by(session: AsyncSession, viewer: Account | None, status_id: int,
                       limit: int = 40) -> list[Account]:
    """Who boosted a post ``viewer`` may see (NotFound otherwise): boosts held here, and remote ones of our
    works, newest first."""
    status = await visible_status(session, viewer, status_id)
    query = select(Status.account_id, Status.created_at).where(Status.reblog_of_id == status.id)
    if status.work_id is not None:
        query = query.union_all(select(Reaction.account_id, Reaction.created_at).where(
            Reaction.work_id == status.work_id, Reaction.kind == "announce", Reaction.against_policy.is_(False)))
    return await _accounts(session, query, limit)


async def _accounts(session: AsyncSession, query: Any, limit: int) -> list[Account]:
    rows = (await session.execute(query)).all()
    newest = sorted(rows, key=lambda row: row[1], reverse=True)
    ids = list(dict.fromkeys(account_id for account_id, _when in newest))[:max(1, min(WHO_LIMIT, limit))]
    if not ids:
        return []
    found = {a.id: a for a in await session.scalars(select(Account).where(Account.id.in_(ids),
                                                                         Account.suspended_at.is_(None)))}
    return [found[i] for i in ids if i in found]


async def boost_of(session: AsyncSession, account_id: int, status_id: int) -> int | None:
    """The id of the account's boost of this status (the status the client API answers a reblog with)."""
    mine = await _own_boost(session, account_id, status_id)
    return mine.id if mine is not None else None


async def pin_status(rt: Runtime, session: AsyncSession, user: LocalUser, status_id: int, pinned: bool) -> Status:
    """Pin or unpin the artist's own work by its status id (commits, as works.set_pinned does); a post she may
    not see is NotFound, someone else's post or a text note (not in the featured collection) is Invalid."""
    status = await visible_status(session, user.account, status_id)
    if status.account_id != user.account_id:
        raise Invalid("Validation failed: only your own posts can be pinned")
    work = await session.get(Work, status.work_id) if status.work_id is not None else None
    if work is None or work.deleted_at is not None:
        raise Invalid("Validation failed: only works can be pinned, not text notes")
    await works.set_pinned(rt, session, user, work.public_id, pinned)
    return status
