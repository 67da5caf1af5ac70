"""The figures /metrics exports, read from the database in a handful of GROUP BY queries (no per-row work)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.federation.outbox import DELIVER
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
    jobs = {(kind, state): int(n) for kind, state, n in await session.execute(
        select(Job.kind, Job.state, func.count()).group_by(Job.kind, Job.state))}
    deliveries = {"pending": 0, "retrying": 0, "running": 0, "done": 0, "dead": 0}
    # Grouped by label: PostgreSQL does not see two copies of an expression with bound parameters as the same.
    retried_label = (Job.attempts > 0).label("retried")
    for state, retried, n in await session.execute(
            select(Job.state, retried_label, func.count()).where(Job.kind == DELIVER)
            .group_by(Job.state, retried_label)):
        name = ("retrying" if retried else "pending") if state == QUEUED else state
        deliveries[name] = deliveries.get(name, 0) + int(n)
    state = case((InboundActivity.processed_at.is_not(None), "processed"),
                 (InboundActivity.reviewed_at.is_(None) & InboundActivity.quarantine_reason.is_not(None), "held"),
                 else_="backlog").label("inbound_state")
    inbound = {"backlog": 0, "held": 0, "processed": 0}
    inbound.update({name: int(n) for name, n in await session.execute(
        select(state, func.count()).group_by(state))})
    oldest = await session.scalar(select(func.min(InboundActivity.received_at)).where(
        InboundActivity.processed_at.is_(None), InboundActivity.quarantine_reason.is_(None)))
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
