"""Queries behind domain blocks: the rows themselves, and what a new suspend block cuts off."""

from __future__ import annotations

from sqlalchemy import ColumnElement, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.models import DEAD, QUEUED, Account, DomainBlock, Follow, Job, utcnow


def _covers(column: ColumnElement[str | None], domain: str) -> ColumnElement[bool]:
    """`column` (a host or host:port) is `domain` or one of its subdomains. Domains are validated to
    [a-z0-9.-] before they get here, so they hold no LIKE wildcard."""
    return or_(column == domain, column.like(f"%.{domain}"), column.like(f"{domain}:%"), column.like(f"%.{domain}:%"))


async def all_blocks(session: AsyncSession) -> list[DomainBlock]:
    return list(await session.scalars(select(DomainBlock).order_by(DomainBlock.domain)))


async def by_id(session: AsyncSession, block_id: int) -> DomainBlock | None:
    return await session.get(DomainBlock, block_id)


async def by_domain(session: AsyncSession, domain: str) -> DomainBlock | None:
    return await session.scalar(select(DomainBlock).where(DomainBlock.domain == domain))


async def sever_follows(session: AsyncSession, domain: str) -> int:
    """Remove every follow between an account on `domain` (or a subdomain) and anyone here."""
    remote = select(Account.id).where(_covers(Account.domain, domain))
    result = await session.execute(delete(Follow).where(or_(Follow.follower_id.in_(remote),
                                                            Follow.followee_id.in_(remote))))
    return result.rowcount or 0


async def drop_queued_jobs(session: AsyncSession, domain: str, reason: str) -> int:
    """Queued work for `domain` (deliveries) is marked dead instead of being sent."""
    result = await session.execute(
        update(Job).where(Job.state == QUEUED, _covers(Job.domain, domain))
        .values(state=DEAD, last_error=reason[:1000], finished_at=utcnow())
        .execution_options(synchronize_session=False))
    return result.rowcount or 0


async def accounts_on(session: AsyncSession, domain: str) -> int:
    """How many known accounts the block touches (shown on the block's page)."""
    return await session.scalar(select(func.count()).select_from(Account)
                                .where(_covers(Account.domain, domain))) or 0
