"""Queries on accounts and local users."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from fediverse.models import Account, LocalUser


async def by_uri(session: AsyncSession, uri: str) -> Account | None:
    return await session.scalar(select(Account).where(Account.uri == uri))


async def by_key_id(session: AsyncSession, key_id: str) -> Account | None:
    return await session.scalar(select(Account).where(Account.key_id == key_id))


async def local_by_username(session: AsyncSession, username: str) -> Account | None:
    """Usernames are case-insensitive on the fediverse; stored lower-case, looked up lower-case."""
    return await session.scalar(
        select(Account).where(Account.domain.is_(None), Account.handle == username.lower())
    )


async def remote_by_handle(session: AsyncSession, handle: str) -> Account | None:
    """A stored remote account by user@domain (the handle its actor claims on its own host)."""
    return await session.scalar(
        select(Account).where(Account.domain.is_not(None), Account.handle == handle.lower()).order_by(Account.id.desc()).limit(1)
    )


async def local_user(session: AsyncSession, username: str) -> LocalUser | None:
    return await session.scalar(
        select(LocalUser).join(LocalUser.account).where(Account.domain.is_(None), Account.handle == username.lower())
    )


async def local_user_by_account(session: AsyncSession, account_id: int) -> LocalUser | None:
    return await session.scalar(
        select(LocalUser).options(joinedload(LocalUser.account)).where(LocalUser.account_id == account_id)
    )


async def list_local_users(session: AsyncSession) -> list[LocalUser]:
    rows = await session.scalars(
        select(LocalUser).join(LocalUser.account).where(Account.actor_type != "Application").order_by(Account.handle)
    )
    return list(rows)


async def count_local_users(session: AsyncSession) -> int:
    return await session.scalar(
        select(func.count()).select_from(LocalUser).join(LocalUser.account).where(Account.actor_type != "Application")
    ) or 0
