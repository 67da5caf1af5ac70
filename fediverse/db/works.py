"""Queries on works: portfolio pages, lookups, counts, the inboxes a work reached."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.db import accounts as account_db
from fediverse.db.audience import visible_to
from fediverse.models import ACCEPTED, Account, CollectionItem, Follow, Reaction, RemoteNote, Work, WorkCollection


async def by_public_id(session: AsyncSession, public_id: str) -> Work | None:
    return await session.scalar(select(Work).where(Work.public_id == public_id))


async def by_uri(session: AsyncSession, uri: str) -> Work | None:
    return await session.scalar(select(Work).where(Work.uri == uri))


def _visible(account_id: int, *, public_only: bool):  # type: ignore[no-untyped-def]
    clauses = [Work.account_id == account_id, Work.deleted_at.is_(None)]
    if public_only:
        clauses.append(Work.visibility == "public")
    return clauses


async def portfolio(session: AsyncSession, account_id: int, *, limit: int, offset: int, public_only: bool = False) -> list[Work]:
    """The artist's works in portfolio order (their arrangement, newest first by default)."""
    rows = await session.scalars(
        select(Work).where(*_visible(account_id, public_only=public_only))
        .order_by(Work.position, Work.id.desc()).offset(offset).limit(limit)
    )
    return list(rows)


async def newest(session: AsyncSession, account_id: int, *, limit: int, offset: int, public_only: bool = True) -> list[Work]:
    """Newest first: the outbox and the feeds."""
    rows = await session.scalars(
        select(Work).where(*_visible(account_id, public_only=public_only))
        .order_by(Work.published_at.desc(), Work.id.desc()).offset(offset).limit(limit)
    )
    return list(rows)


async def count(session: AsyncSession, account_id: int, *, public_only: bool = True) -> int:
    return await session.scalar(
        select(func.count()).select_from(Work).where(*_visible(account_id, public_only=public_only))
    ) or 0


async def pinned(session: AsyncSession, account_id: int) -> list[Work]:
    rows = await session.scalars(
        select(Work).where(*_visible(account_id, public_only=True), Work.pinned_at.is_not(None))
        .order_by(Work.pinned_at.desc())
    )
    return list(rows)


async def reaction_counts(session: AsyncSession, work_id: int, viewer: Account | None = None) -> dict[str, int]:
    """Likes, boosts and the replies ``viewer`` may see (signed out: public and unlisted ones only)."""
    rows = await session.execute(
        select(Reaction.kind, func.count()).where(Reaction.work_id == work_id, Reaction.against_policy.is_(False))
        .group_by(Reaction.kind)
    )
    counts = {"like": 0, "announce": 0}
    counts.update({kind: n for kind, n in rows.all()})
    counts["reply"] = await session.scalar(
        select(func.count()).select_from(RemoteNote).where(RemoteNote.work_id == work_id, visible_to(viewer),
                                                           RemoteNote.against_policy.is_(False))
    ) or 0
    return counts


async def replies(session: AsyncSession, work_id: int, viewer: Account | None = None,
                  limit: int = 100) -> list[RemoteNote]:
    """The replies to a work that ``viewer`` may see, oldest first (signed out: public and unlisted ones)."""
    rows = await session.scalars(
        select(RemoteNote).where(RemoteNote.work_id == work_id, visible_to(viewer),
                                 RemoteNote.against_policy.is_(False)).order_by(RemoteNote.published_at).limit(limit)
    )
    return list(rows)


async def mention_inboxes(session: AsyncSession, work: Work) -> list[str]:
    """Inboxes of mentioned remote accounts and of repliers: a Delete must reach all who got the post."""
    inboxes: list[str] = []
    for mention in work.mentions:
        account = await account_db.by_uri(session, mention["uri"])
        if account is not None and not account.is_local:
            inboxes.append(account.delivery_inbox)
    repliers = await session.scalars(
        select(RemoteNote).where(RemoteNote.work_id == work.id)
    )
    inboxes += [note.account.delivery_inbox for note in repliers]
    return list(dict.fromkeys(inboxes))


def _public(account_id: int) -> list[Any]:
    return [Work.account_id == account_id, Work.deleted_at.is_(None), Work.visibility == "public"]


async def showcase(session: AsyncSession, account_id: int, *, limit: int, offset: int) -> list[Work]:
    """Public works for the portfolio grid: pinned first (newest pin first), then the artist's arrangement."""
    rows = await session.scalars(
        select(Work).where(*_public(account_id))
        .order_by(Work.pinned_at.is_(None), Work.pinned_at.desc(), Work.position, Work.id.desc())
        .offset(offset).limit(limit)
    )
    return list(rows)


async def profile_counts(session: AsyncSession, account_id: int) -> tuple[int, int, int, int]:
    """(public works, followers, following, collections) in one round trip."""
    works = select(func.count()).select_from(Work).where(*_public(account_id)).scalar_subquery()
    followers = select(func.count()).select_from(Follow).where(
        Follow.followee_id == account_id, Follow.state == ACCEPTED).scalar_subquery()
    following = select(func.count()).select_from(Follow).where(
        Follow.follower_id == account_id, Follow.state == ACCEPTED).scalar_subquery()
    collections = select(func.count()).select_from(WorkCollection).where(
        WorkCollection.account_id == account_id).scalar_subquery()
    row = (await session.execute(select(works, followers, following, collections))).one()
    return row[0] or 0, row[1] or 0, row[2] or 0, row[3] or 0


async def collection_by_slug(session: AsyncSession, account_id: int, slug: str) -> WorkCollection | None:
    return await session.scalar(
        select(WorkCollection).where(WorkCollection.account_id == account_id, WorkCollection.slug == slug)
    )


async def collections_of(session: AsyncSession, account_id: int, limit: int = 100) -> list[WorkCollection]:
    rows = await session.scalars(
        select(WorkCollection).where(WorkCollection.account_id == account_id)
        .order_by(WorkCollection.created_at, WorkCollection.id).limit(limit)
    )
    return list(rows)


async def collection_works(session: AsyncSession, collection_id: int, *, limit: int, offset: int) -> list[Work]:
    """The public works of one collection in the collection's order."""
    rows = await session.scalars(
        select(Work).join(CollectionItem, CollectionItem.work_id == Work.id)
        .where(CollectionItem.collection_id == collection_id, Work.deleted_at.is_(None), Work.visibility == "public")
        .order_by(CollectionItem.position, Work.id).offset(offset).limit(limit)
    )
    return list(rows)


async def collection_count(session: AsyncSession, collection_id: int) -> int:
    return await session.scalar(
        select(func.count()).select_from(CollectionItem).join(Work, CollectionItem.work_id == Work.id)
        .where(CollectionItem.collection_id == collection_id, Work.deleted_at.is_(None), Work.visibility == "public")
    ) or 0
