"""Queries on a person's account blocks."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.models import AccountBlock


async def blocked(session: AsyncSession, one_id: int, other_id: int) -> bool:
    """Whether either account blocks the other (then neither may follow the other)."""
    found = await session.scalar(select(AccountBlock.id).where(or_(
        (AccountBlock.account_id == one_id) & (AccountBlock.target_id == other_id),
        (AccountBlock.account_id == other_id) & (AccountBlock.target_id == one_id))).limit(1))
    return found is not None
