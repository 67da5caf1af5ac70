"""Queries over quote authorizations (FEP-044f consent our artists gave to remote quoting posts)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.models import QuoteAuthorization


async def by_public_id(session: AsyncSession, public_id: str) -> QuoteAuthorization | None:
    return await session.scalar(select(QuoteAuthorization).where(QuoteAuthorization.public_id == public_id))


async def between(session: AsyncSession, target_uri: str, quoting_uri: str) -> QuoteAuthorization | None:
    return await session.scalar(select(QuoteAuthorization).where(QuoteAuthorization.target_uri == target_uri,
                                                                  QuoteAuthorization.quoting_uri == quoting_uri))


async def active_of_author(session: AsyncSession, author_id: int) -> list[QuoteAuthorization]:
    """Every authorization the artist has not revoked (checked again whenever her policy changes)."""
    rows = await session.scalars(select(QuoteAuthorization).where(QuoteAuthorization.author_id == author_id,
                                                                   QuoteAuthorization.revoked_at.is_(None))
                                 .order_by(QuoteAuthorization.id))
    return list(rows)
