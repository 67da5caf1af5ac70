"""Federation health for the admin panel: deliveries per remote domain, domain failure records, inbox backlog,
and the three levers an admin has (retry now, give up, mark available again).

Figures come straight from the durable queue (jobs of kind `deliver`): `queued` with no attempt yet is
pending, `queued` after a failed attempt is retrying (its `run_at` is the next try), `dead` gave up. The
domain record is federation.health's DomainHealth (Mastodon's DeliveryFailureTracker). Every action writes
the audit log in its own transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.errors import Invalid
from fediverse.jobs.kinds import Deliver
from fediverse.jobs.queue import announce_after_commit
from fediverse.models import DEAD, QUEUED, RUNNING, DomainHealth, InboundActivity, Job, LocalUser, utcnow
from fediverse.services import modlog

if TYPE_CHECKING:
    from fediverse.runtime import Runtime

GAVE_UP = "given up by an admin"


@dataclass
class DomainRow:
    domain: str
    pending: int = 0
    retrying: int = 0
    running: int = 0
    dead: int = 0
    next_retry: datetime | None = None
    unavailable: bool = False
    failure_days: list[str] = field(default_factory=list)
    last_error: str | None = None
    last_failure_at: datetime | None = None
    inbox_backlog: int = 0
    oldest_inbound: datetime | None = None

    @property
    def troubled(self) -> bool:
        return bool(self.retrying or self.dead or self.unavailable or self.failure_days)


@dataclass
class Overview:
    domains: list[DomainRow]
    inbox_backlog: int
    oldest_inbound: datetime | None


def _is_retrying() -> object:
    return (Job.state == QUEUED) & (Job.attempts > 0)


async def overview(session: AsyncSession) -> Overview:
    """Every domain with deliveries on record or a failure record; troubled ones first."""
    rows: dict[str, DomainRow] = {}

    def row(domain: str) -> DomainRow:
        return rows.setdefault(domain, DomainRow(domain))

    counts = await session.execute(
        select(Job.domain,
               func.sum(case(((Job.state == QUEUED) & (Job.attempts == 0), 1), else_=0)),
               func.sum(case((_is_retrying(), 1), else_=0)),  # type: ignore[arg-type]
               func.sum(case((Job.state == RUNNING, 1), else_=0)),
               func.sum(case((Job.state == DEAD, 1), else_=0)),
               func.min(case((_is_retrying(), Job.run_at), else_=None)))  # type: ignore[arg-type]
        .where(Job.kind == Deliver.kind, Job.domain.is_not(None)).group_by(Job.domain))
    for domain, pending, retrying, running, dead, next_retry in counts:
        found = row(domain)
        found.pending, found.retrying, found.running, found.dead = int(pending or 0), int(retrying or 0), \
            int(running or 0), int(dead or 0)
        found.next_retry = _aware(next_retry)
    for health in (await session.scalars(select(DomainHealth))).all():
        found = row(health.domain)
        found.unavailable, found.failure_days = health.unavailable, list(health.failure_days or [])
        found.last_error, found.last_failure_at = health.last_error, health.last_failure_at
    backlog = await session.execute(
        select(InboundActivity.actor_uri, func.count(), func.min(InboundActivity.received_at))
        .where(InboundActivity.processed_at.is_(None), InboundActivity.quarantine_reason.is_(None))
        .group_by(InboundActivity.actor_uri))
    total, oldest = 0, None
    for actor_uri, count, first in backlog:
        first = _aware(first)
        found = row(urlsplit(actor_uri).netloc.lower())
        found.inbox_backlog += count
        found.oldest_inbound = min(filter(None, (found.oldest_inbound, first)), default=None)
        total += count
        oldest = min(filter(None, (oldest, first)), default=None)
    ordered = sorted(rows.values(), key=lambda r: (not r.troubled, -(r.dead + r.retrying), r.domain))
    return Overview(ordered, total, oldest)


def _aware(value: datetime | str | None) -> datetime | None:
    """Aggregates (MIN over a CASE) come back without the column type: naive on SQLite, text on some drivers."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _check_domain(domain: str) -> str:
    domain = domain.strip().lower()
    if not domain or len(domain) > 255 or any(c in domain for c in "/ @\\"):
        raise Invalid("Give a domain name such as mastodon.example.")
    return domain


async def retry_now(rt: Runtime, session: AsyncSession, staff: LocalUser, domain: str) -> int:
    """Every retrying delivery to `domain` becomes due now; commits, and the backend is rung after that."""
    domain = _check_domain(domain)
    now = utcnow()
    jobs = list((await session.execute(
        update(Job).where(Job.kind == Deliver.kind, Job.domain == domain, _is_retrying())  # type: ignore[arg-type]
        .values(run_at=now).returning(Job.id, Job.run_at).execution_options(synchronize_session=False))).all())
    announce_after_commit(session, [(job.id, job.run_at) for job in jobs])
    modlog.record(session, staff, "federation.retry_now", "domain", domain, "", deliveries=len(jobs))
    await session.commit()
    return len(jobs)


async def give_up(session: AsyncSession, staff: LocalUser, domain: str) -> int:
    """Every queued delivery to `domain` (pending and retrying) is marked dead: nothing more is sent there.
    Commits."""
    domain = _check_domain(domain)
    now = utcnow()
    result = await session.execute(
        update(Job).where(Job.kind == Deliver.kind, Job.domain == domain, Job.state == QUEUED)
        .values(state=DEAD, finished_at=now, last_error=GAVE_UP).execution_options(synchronize_session=False))
    count = result.rowcount or 0
    modlog.record(session, staff, "federation.give_up", "domain", domain, "", deliveries=count)
    await session.commit()
    return count


async def mark_available(rt: Runtime, session: AsyncSession, staff: LocalUser, domain: str) -> bool:
    """Clear the failure record, so deliveries to `domain` are tried again (committed); False when there was
    none (nothing written)."""
    domain = _check_domain(domain)
    health = await session.get(DomainHealth, domain)
    if health is None:
        return False
    before = {"unavailable": health.unavailable, "failure_days": list(health.failure_days or [])}
    health.unavailable = False
    health.failure_days = []
    rt.domain_health.forget(domain)
    modlog.record(session, staff, "federation.mark_available", "domain", domain, "", before=before)
    await session.commit()
    return True
