"""Per-domain failure tracking: failures on N distinct days make a domain unavailable; one success heals it.

The table (DomainHealth) is the record every process shares; `Tracker` is this process's memo of which
domains have a failure on record, so a delivery to a healthy domain (the common case) costs no read and a
success there no write. The sweeper reloads the memo from the table, which other processes write too.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
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


class Tracker:
    """The domains with a failure on record, as this process last saw them (one per Runtime)."""

    def __init__(self) -> None:
        self._failing: set[str] = set()

    def has_failures(self, domain: str) -> bool:
        return domain in self._failing

    async def failed(self, session: AsyncSession, domain: str, error: str, now: datetime,
                     unavailable_after_days: int) -> None:
        """Record a failure in the caller's transaction."""
        self._failing.add(domain)
        await record_failure(session, domain, error, now, unavailable_after_days)

    async def succeeded(self, session: AsyncSession, domain: str, now: datetime) -> None:
        """Clear the record in the caller's transaction; nothing to read or write for a domain without failures."""
        if domain not in self._failing:
            return
        self._failing.discard(domain)
        await record_success(session, domain, now)

    def forget(self, domain: str) -> None:
        """An admin cleared the record by hand (services.federation_health.mark_available)."""
        self._failing.discard(domain)

    async def reload(self, session: AsyncSession) -> None:
        """Read the set again from the table (the sweeper does, every period)."""
        failing = await session.scalars(select(DomainHealth.domain).where(DomainHealth.last_failure_at.is_not(None)))
        self._failing = set(failing)
