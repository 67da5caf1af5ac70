"""What the client API asks about follow edges that the web pages do not: the relationship between a viewer and
accounts, an account's followers and follows page by page, and the follow requests waiting for an artist.

Pages go by follow edge id (the order the follows happened, newest first), as Mastodon pages these lists by its
follow ids: ``max_id`` (older than), ``since_id`` (newer, newest first), ``min_id`` (just newer). Only accepted
follows are listed; a suspended account and the instance actor never appear.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.models import ACCEPTED, PENDING, Account, Follow
from fediverse.services.listings import Cursor

FOLLOWERS = "followers"
FOLLOWING = "following"


@dataclass(frozen=True)
class Relationship:
    """The follow edges both ways between a viewer and one account."""

    account_id: int
    following: bool = False
    requested: bool = False
    followed_by: bool = False
    requested_by: bool = False


async def between(session: AsyncSession, viewer_id: int, account_ids: list[int]) -> dict[int, Relationship]:
    """The viewer's relationship to each of ``account_ids`` (one query for both directions)."""
    if not account_ids:
        return {}
    rows = (await session.execute(select(Follow.follower_id, Follow.followee_id, Follow.state).where(
        ((Follow.follower_id == viewer_id) & Follow.followee_id.in_(account_ids))
        | ((Follow.followee_id == viewer_id) & Follow.follower_id.in_(account_ids))))).all()
    found = {aid: Relationship(aid) for aid in account_ids}
    for follower_id, followee_id, state in rows:
        if follower_id == viewer_id and followee_id in found:
            old = found[followee_id]
            found[followee_id] = Relationship(old.account_id, state == ACCEPTED, state != ACCEPTED,
                                              old.followed_by, old.requested_by)
        if followee_id == viewer_id and follower_id in found:
            old = found[follower_id]
            found[follower_id] = Relationship(old.account_id, old.following, old.requested,
                                              state == ACCEPTED, state != ACCEPTED)
    return found


def _shown(query: Select[tuple[int, Account]]) -> Select[tuple[int, Account]]:
    return query.where(Account.suspended_at.is_(None), Account.actor_type != "Application")


async def paged(session: AsyncSession, query: Select[tuple[int, Account]], row_id: Any,
                cursor: Cursor) -> list[tuple[int, Account]]:
    """(row id, account) newest first within the cursor, ``row_id`` the id column the query selects first
    (follow edges here, blocks and mutes in services.blocks)."""
    if cursor.max_id is not None:
        query = query.where(row_id < cursor.max_id)
    if cursor.min_id is not None:
        rows = (await session.execute(query.where(row_id > cursor.min_id).order_by(row_id.asc())
                                      .limit(cursor.limit))).all()
        return [(rid, acc) for rid, acc in reversed(rows)]
    if cursor.since_id is not None:
        query = query.where(row_id > cursor.since_id)
    return [(rid, acc) for rid, acc in (await session.execute(query.order_by(row_id.desc())
                                                              .limit(cursor.limit))).all()]


async def follows_of(session: AsyncSession, account_id: int, direction: str,
                     cursor: Cursor) -> list[tuple[int, Account]]:
    """The accepted followers (``FOLLOWERS``) or follows (``FOLLOWING``) of an account, as (follow id, account)."""
    if direction == FOLLOWERS:
        query = select(Follow.id, Account).join(Account, Account.id == Follow.follower_id).where(
            Follow.followee_id == account_id)
    else:
        query = select(Follow.id, Account).join(Account, Account.id == Follow.followee_id).where(
            Follow.follower_id == account_id)
    return await paged(session, _shown(query.where(Follow.state == ACCEPTED)), Follow.id, cursor)


async def requests_to(session: AsyncSession, account_id: int, cursor: Cursor) -> list[tuple[int, Account]]:
    """Follow requests waiting for the artist's answer, as (follow id, requesting account)."""
    query = select(Follow.id, Account).join(Account, Account.id == Follow.follower_id).where(
        Follow.followee_id == account_id, Follow.state == PENDING)
    return await paged(session, _shown(query), Follow.id, cursor)


async def request_count(session: AsyncSession, account_id: int) -> int:
    """How many follow requests wait for the artist (CredentialAccount's ``source.follow_requests_count``)."""
    return await session.scalar(select(func.count()).select_from(Follow).where(
        Follow.followee_id == account_id, Follow.state == PENDING)) or 0


async def pending_request(session: AsyncSession, follower_id: int, followee_id: int) -> Account | None:
    """The account that asked to follow ``followee_id`` and waits, or None (answered, withdrawn, never asked)."""
    return await session.scalar(select(Account).join(Follow, Follow.follower_id == Account.id).where(
        Follow.follower_id == follower_id, Follow.followee_id == followee_id, Follow.state == PENDING))
