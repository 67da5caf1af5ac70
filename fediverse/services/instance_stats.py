"""Counts about this instance: the usage NodeInfo publishes, and the work waiting for a moderator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.activitypub.nodeinfo import Usage
from fediverse.db import accounts as account_db
from fediverse.models import Account, DomainBlock, InboundActivity, LocalUser, OutboundActivity, Report


@dataclass(frozen=True)
class Waiting:
    """What the admin dashboard shows a moderator first."""

    pending_signups: int
    open_reports: int
    quarantined: int
    domain_blocks: int


async def _count(session: AsyncSession, stmt) -> int:  # type: ignore[no-untyped-def]
    return await session.scalar(stmt) or 0


async def _active_since(session: AsyncSession, since: datetime) -> int:
    """Local accounts (not the instance actor) that published anything since `since`."""
    return await _count(session, select(func.count(func.distinct(OutboundActivity.actor_id))).join(
        Account, Account.id == OutboundActivity.actor_id
    ).where(OutboundActivity.created_at >= since, Account.actor_type != "Application"))


async def usage(session: AsyncSession, now: datetime) -> Usage:
    """Real counts: local artists, those who published in the last month / half year, local posts."""
    total = await account_db.count_local_users(session)
    month = await _active_since(session, now - timedelta(days=30))
    halfyear = await _active_since(session, now - timedelta(days=182))
    posts = await _count(session, select(func.count()).select_from(OutboundActivity)
                         .where(OutboundActivity.type == "Create"))
    return Usage(total, month, halfyear, posts)


async def waiting(session: AsyncSession) -> Waiting:
    return Waiting(
        pending_signups=await _count(session, select(func.count()).select_from(LocalUser)
                                     .where(LocalUser.approved.is_(False))),
        open_reports=await _count(session, select(func.count()).select_from(Report).where(Report.state == "open")),
        quarantined=await _count(session, select(func.count()).select_from(InboundActivity).where(
            InboundActivity.quarantine_reason.is_not(None), InboundActivity.reviewed_at.is_(None))),
        domain_blocks=await _count(session, select(func.count()).select_from(DomainBlock)),
    )
