"""Per-domain failure tracking: failures on N distinct days make a domain unavailable; one success heals it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.models import DomainHealth


async def is_unavailable(session: AsyncSession, domain: str) -> bool:
    health = await session.get(DomainHealth, domain)
    return bool(health and health.unavailable)


async def record_failure(session: AsyncSession, domain: str, error: str, now: datetime, unavailable_after_days: int) -> None:
    health = await session.get(DomainHealth, domain)
    if health is None:
        health = DomainHealth(domain=domain, failure_days=[])
        session.add(health)
    day = now.strftime("%Y%m%d")
    if day not in health.failure_days:
        health.failure_days = [*health.failure_days, day]
    health.last_failure_at = now
    health.last_error = error[:1000]
    health.unavailable = len(health.failure_days) >= unavailable_after_days


async def record_success(session: AsyncSession, domain: str, now: datetime) -> None:
    """Any success (a delivery, or a signed POST from that domain) clears the record."""
    health = await session.get(DomainHealth, domain)
    if health is not None and (health.failure_days or health.unavailable):
        health.failure_days = []
        health.unavailable = False
        health.last_success_at = now
