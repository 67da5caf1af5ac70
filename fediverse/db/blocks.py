"""Queries on a person's account blocks."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.models import AccountBlock, AccountMute


async def blocked(session: AsyncSession, one_id: int, other_id: int) -> bool:
    """Whether either account blocks the other (then neither may follow the other)."""
    found = await session.scalar(select(AccountBlock.id).where(or_(
        (AccountBlock.account_id == one_id) & (AccountBlock.target_id == other_id),
        (AccountBlock.account_id == other_id) & (AccountBlock.target_id == one_id))).limit(1))
    return found is not None


def hidden_authors(viewer_id: Any) -> Select[Any]:
    """The accounts whose posts (and boosts) ``viewer_id`` never sees in a timeline: the ones she blocks or mutes,
    and the ones that block her. A subquery; ``viewer_id`` may be a bound parameter."""
    return union(select(AccountBlock.target_id).where(AccountBlock.account_id == viewer_id),
                 select(AccountBlock.account_id).where(AccountBlock.target_id == viewer_id),
                 select(AccountMute.target_id).where(AccountMute.account_id == viewer_id))  # type: ignore[return-value]


def quiet_actors(viewer_id: Any) -> Select[Any]:
    """The accounts whose notifications ``viewer_id`` does not get: blocked either way, or muted with their
    notifications (a mute may leave them on)."""
    return union(select(AccountBlock.target_id).where(AccountBlock.account_id == viewer_id),
                 select(AccountBlock.account_id).where(AccountBlock.target_id == viewer_id),
                 select(AccountMute.target_id).where(AccountMute.account_id == viewer_id,
                                                     AccountMute.notifications.is_(True)))  # type: ignore[return-value]
