"""Queries on follow edges, including the fan-out query (indexed on followee, state, inbox)."""

from __future__ import annotations

from sqlalchemy import Select, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from fediverse.models import ACCEPTED, PENDING, Account, Follow


async def between(session: AsyncSession, follower_id: int, followee_id: int) -> Follow | None:
    return await session.scalar(
        select(Follow).where(Follow.follower_id == follower_id, Follow.followee_id == followee_id)
    )


async def by_uri(session: AsyncSession, uri: str) -> Follow | None:
    return await session.scalar(select(Follow).where(Follow.uri == uri))


async def remove(session: AsyncSession, follow_id: int) -> None:
    await session.execute(delete(Follow).where(Follow.id == follow_id))


async def count(session: AsyncSession, *, followee_id: int | None = None, follower_id: int | None = None) -> int:
    stmt = select(func.count()).select_from(Follow).where(Follow.state == ACCEPTED)
    if followee_id is not None:
        stmt = stmt.where(Follow.followee_id == followee_id)
    if follower_id is not None:
        stmt = stmt.where(Follow.follower_id == follower_id)
    return await session.scalar(stmt) or 0


async def page_of_accounts(
    session: AsyncSession, *, followee_id: int | None = None, follower_id: int | None = None, offset: int, limit: int
) -> list[str]:
    """Actor URIs on one collection page, newest first: followers of followee_id or followees of follower_id."""
    if followee_id is not None:
        stmt = select(Account.uri).join(Follow, Follow.follower_id == Account.id).where(Follow.followee_id == followee_id)
    else:
        stmt = select(Account.uri).join(Follow, Follow.followee_id == Account.id).where(Follow.follower_id == follower_id)
    stmt = stmt.where(Follow.state == ACCEPTED).order_by(Follow.id.desc()).offset(offset).limit(limit)
    return list(await session.scalars(stmt))


async def pending_requests(session: AsyncSession, followee_id: int) -> list[Follow]:
    rows = await session.scalars(
        select(Follow).options(joinedload(Follow.follower)).where(Follow.followee_id == followee_id, Follow.state != ACCEPTED)
        .order_by(Follow.id)
    )
    return list(rows)


def follower_inboxes_query(followee_id: int) -> Select[tuple[str]]:
    """Served from the (followee_id, state, follower_inbox) index alone: no table scan for big accounts."""
    return select(Follow.follower_inbox).where(Follow.followee_id == followee_id, Follow.state == ACCEPTED).distinct()


async def follower_inboxes(session: AsyncSession, followee_id: int) -> list[str]:
    """Distinct delivery inboxes of accepted followers: shared inboxes collapse many followers into one POST."""
    return list(await session.scalars(follower_inboxes_query(followee_id)))


async def followed_locally(session: AsyncSession, account_id: int) -> bool:
    """Whether at least one local account follows this one, or has asked to (its Accept may come after its first
    posts: a remote server often sends the Accept and a new post at once, and workers take them in any order). Its
    posts are ours to store; who may see one is decided when it is read, by the follow then accepted."""
    found = await session.scalar(
        select(Follow.id).join(Account, Account.id == Follow.follower_id)
        .where(Follow.followee_id == account_id, Follow.state.in_((ACCEPTED, PENDING)),
               Account.domain.is_(None)).limit(1))
    return found is not None
