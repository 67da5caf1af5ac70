"""Local text notes by id, public id and uri (the caller's session; nothing here commits)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.models import LocalNote


async def by_public_id(session: AsyncSession, public_id: str) -> LocalNote | None:
    return await session.scalar(select(LocalNote).where(LocalNote.public_id == public_id))


async def by_uri(session: AsyncSession, uri: str) -> LocalNote | None:
    return await session.scalar(select(LocalNote).where(LocalNote.uri == uri))
