"""The figures /metrics exports, read from the database in a handful of GROUP BY queries (no per-row work)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.jobs.kinds import Deliver
from fediverse.models import QUEUED, Account, DomainBlock, InboundActivity, Job, LocalUser, Report, utcnow


@dataclass(frozen=True)
class Snapshot:
    jobs: dict[tuple[str, str], int]     # (kind, state) -> count
    deliveries: dict[str, int]           # pending | retrying | running | done | dead -> count
    inbound: dict[str, int]              # backlog | held | processed -> count
    oldest_backlog_seconds: float
    open_reports: int
    users: dict[str, int]                # active | pending
    remote_accounts: int
    domain_blocks: int


async def _count(session: AsyncSession, model: type, *where: object) -> int:
    return await session.scalar(select(func.count()).select_from(model).where(*where)) or 0  # type: ignore[arg-type]


async def snapshot(session: AsyncSession) -> Snapshot:
    """Every query reads an index range, never the whole table: jobs by (state, kind) from ix_jobs_state_kind
    alone; the split of queued deliveries into first tries and retries reads only the queued slice; inbound
    activities by processed_at (ix_inbound_activities_processed), so the backlog, the quarantine and the oldest
    waiting come from the unprocessed slice, and processed rows are bounded by their retention (pruned by the
    sweeper)."""
    jobs = {(kind, state): int(n) for state, kind, n in await session.execute(
        select(Job.state, Job.kind, func.count()).group_by(Job.state, Job.kind))}
    deliveries = {"pending": 0, "retrying": 0, "running": 0, "done": 0, "dead": 0}
    for (kind, state), n in jobs.items():
        if kind == Deliver.kind:
            deliveries[state] = deliveries.get(state, 0) + n
    queued = deliveries.pop(QUEUED, 0)
    retrying = await _count(session, Job, Job.state == QUEUED, Job.kind == Deliver.kind, Job.attempts > 0)
    deliveries["pending"], deliveries["retrying"] = queued - retrying, retrying
    held_label = (InboundActivity.quarantine_reason.is_not(None) & InboundActivity.reviewed_at.is_(None)).label("held")
    inbound = {"backlog": 0, "held": 0, "processed": 0}
    oldest = None
    for held, n, first in await session.execute(
            select(held_label, func.count(), func.min(InboundActivity.received_at))
            .where(InboundActivity.processed_at.is_(None)).group_by(held_label)):
        inbound["held" if held else "backlog"] += int(n)
        if not held:
            oldest = first
    inbound["processed"] = await _count(session, InboundActivity, InboundActivity.processed_at.is_not(None))
    users = {"active": await _count(session, LocalUser, LocalUser.approved.is_(True)),
             "pending": await _count(session, LocalUser, LocalUser.approved.is_(False))}
    return Snapshot(
        jobs=jobs, deliveries=deliveries, inbound=inbound, oldest_backlog_seconds=_age(oldest),
        open_reports=await _count(session, Report, Report.state == "open"), users=users,
        remote_accounts=await _count(session, Account, Account.domain.is_not(None)),
        domain_blocks=await _count(session, DomainBlock),
    )


def _age(moment: datetime | str | None) -> float:
    if moment is None:
        return 0.0
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (utcnow() - moment).total_seconds())
