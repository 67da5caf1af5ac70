"""Queries on accounts and local users."""

from __future__ import annotations

from sqlalchemy import delete, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from fediverse.models import Account, LocalUser, OAuthCode, OAuthToken

# A sign-up waiting for approval is invisible: no actor, WebFinger, profile, listing or count until approved.
_PENDING = exists().where(LocalUser.account_id == Account.id, LocalUser.approved.is_(False))


async def by_uri(session: AsyncSession, uri: str, *, include_pending: bool = False) -> Account | None:
    stmt = select(Account).where(Account.uri == uri)
    return await session.scalar(stmt if include_pending else stmt.where(~_PENDING))


async def by_key_id(session: AsyncSession, key_id: str) -> Account | None:
    return await session.scalar(select(Account).where(Account.key_id == key_id))


async def local_by_username(session: AsyncSession, username: str, *, include_pending: bool = False) -> Account | None:
    """Usernames are case-insensitive on the fediverse; stored lower-case, looked up lower-case."""
    stmt = select(Account).where(Account.domain.is_(None), Account.handle == username.lower())
    return await session.scalar(stmt if include_pending else stmt.where(~_PENDING))


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


async def list_local_users(session: AsyncSession, *, include_pending: bool = False) -> list[LocalUser]:
    stmt = select(LocalUser).join(LocalUser.account).where(Account.actor_type != "Application")
    if not include_pending:
        stmt = stmt.where(LocalUser.approved.is_(True))
    return list(await session.scalars(stmt.order_by(Account.handle)))


async def count_local_users(session: AsyncSession) -> int:
    """Approved artists (what NodeInfo reports)."""
    return await session.scalar(
        select(func.count()).select_from(LocalUser).join(LocalUser.account)
        .where(Account.actor_type != "Application", LocalUser.approved.is_(True))
    ) or 0


def _like(value: str) -> str:
    """A LIKE pattern matching `value` literally anywhere (\\ escapes % and _)."""
    return "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def search(session: AsyncSession, query: str, scope: str, *, limit: int) -> list[Account]:
    """People (never the instance actor) whose handle, id or display name holds `query`; local ones first.
    `scope` narrows to local, remote or limited (silenced or suspended) accounts."""
    stmt = select(Account).where(Account.actor_type != "Application")
    if query:
        pattern = _like(query)
        stmt = stmt.where(or_(Account.handle.like(pattern, escape="\\"), Account.uri.like(pattern, escape="\\"),
                              Account.display_name.ilike(pattern, escape="\\")))
    if scope == "local":
        stmt = stmt.where(Account.domain.is_(None))
    elif scope == "remote":
        stmt = stmt.where(Account.domain.is_not(None))
    elif scope == "limited":
        stmt = stmt.where(or_(Account.suspended_at.is_not(None), Account.silenced_at.is_not(None)))
    return list(await session.scalars(stmt.order_by(Account.domain.is_not(None), Account.handle).limit(limit)))


async def end_app_tokens(session: AsyncSession, account_id: int) -> int:
    """Every app token and pending code of the account goes (suspension, a new password); the caller commits."""
    result = await session.execute(delete(OAuthToken).where(OAuthToken.account_id == account_id))
    await session.execute(delete(OAuthCode).where(OAuthCode.account_id == account_id))
    return result.rowcount or 0
