"""A person's blocks and mutes of other accounts.

Blocking severs the follows both ways through services.following (an Undo(Follow) to a remote account we
followed, a Reject to a remote follower: their servers drop the edge as they would after the web's buttons) and
keeps the blocked account from following again (following.follow and receive_follow check db.blocks.blocked). Muting
changes no follow. Blocks are not announced to the blocked account's server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Select, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.db import follows as follow_db
from fediverse.errors import Invalid
from fediverse.models import Account, AccountBlock, AccountMute, LocalUser
from fediverse.services import following
from fediverse.services.listings import Cursor
from fediverse.services.relationships import paged

if TYPE_CHECKING:
    from fediverse.runtime import Runtime


async def block(rt: Runtime, session: AsyncSession, user: LocalUser, target: Account) -> None:
    """Block ``target``: the follows both ways end (federated as the web's unfollow and reject do); commits."""
    me = user.account
    if target.id == me.id:
        raise Invalid("an account cannot block itself")
    if await session.scalar(select(AccountBlock.id).where(AccountBlock.account_id == me.id,
                                                          AccountBlock.target_id == target.id)) is None:
        session.add(AccountBlock(account_id=me.id, target_id=target.id))
        await session.flush()
    if await follow_db.between(session, me.id, target.id) is not None:
        await following.unfollow(rt, session, user, target.uri)
    if await follow_db.between(session, target.id, me.id) is not None:
        await following.reject(rt, session, user, target.uri)  # commits
    await session.commit()


async def unblock(session: AsyncSession, user: LocalUser, target: Account) -> None:
    await session.execute(delete(AccountBlock).where(AccountBlock.account_id == user.account_id,
                                                     AccountBlock.target_id == target.id))
    await session.commit()


async def mute(session: AsyncSession, user: LocalUser, target: Account, *, notifications: bool = True) -> None:
    """Mute ``target`` (again: the notifications choice is updated); commits."""
    if target.id == user.account_id:
        raise Invalid("an account cannot mute itself")
    found = await session.scalar(select(AccountMute).where(AccountMute.account_id == user.account_id,
                                                           AccountMute.target_id == target.id))
    if found is None:
        session.add(AccountMute(account_id=user.account_id, target_id=target.id, notifications=notifications))
    else:
        found.notifications = notifications
    await session.commit()


async def unmute(session: AsyncSession, user: LocalUser, target: Account) -> None:
    await session.execute(delete(AccountMute).where(AccountMute.account_id == user.account_id,
                                                    AccountMute.target_id == target.id))
    await session.commit()


async def states(session: AsyncSession, viewer_id: int,
                 account_ids: list[int]) -> dict[int, tuple[bool, bool, bool, bool]]:
    """Per account: (viewer blocks it, it blocks the viewer, viewer mutes it, viewer mutes its notifications)."""
    found = {aid: (False, False, False, False) for aid in account_ids}
    if not account_ids:
        return found
    rows = (await session.execute(select(AccountBlock.account_id, AccountBlock.target_id).where(or_(
        (AccountBlock.account_id == viewer_id) & AccountBlock.target_id.in_(account_ids),
        (AccountBlock.target_id == viewer_id) & AccountBlock.account_id.in_(account_ids))))).all()
    blocking = {t for a, t in rows if a == viewer_id}
    blocked_by = {a for a, t in rows if t == viewer_id}
    mutes = dict((await session.execute(select(AccountMute.target_id, AccountMute.notifications).where(
        AccountMute.account_id == viewer_id, AccountMute.target_id.in_(account_ids)))).all())
    for aid in account_ids:
        found[aid] = (aid in blocking, aid in blocked_by, aid in mutes, bool(mutes.get(aid, False)))
    return found


def _listed(model: type[AccountBlock] | type[AccountMute], viewer_id: int) -> Select[tuple[int, Account]]:
    return (select(model.id, Account).join(Account, Account.id == model.target_id)
            .where(model.account_id == viewer_id, Account.suspended_at.is_(None)))


async def blocks_of(session: AsyncSession, viewer_id: int, cursor: Cursor) -> list[tuple[int, Account]]:
    """The accounts the viewer blocks, newest block first, as (block id, account)."""
    return await paged(session, _listed(AccountBlock, viewer_id), AccountBlock.id, cursor)


async def mutes_of(session: AsyncSession, viewer_id: int, cursor: Cursor) -> list[tuple[int, Account]]:
    return await paged(session, _listed(AccountMute, viewer_id), AccountMute.id, cursor)
