"""Job claiming with leases: SKIP LOCKED on PostgreSQL, a single atomic UPDATE on SQLite.

Query helpers: the caller commits. A claim must be committed before the job's work starts, so that other
workers see the lease (jobs/embedded.py and jobs/dramatiq_backend.py commit right after claiming)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.models import DEAD, DONE, QUEUED, RUNNING, Job, utcnow


def _due(now: datetime):  # type: ignore[no-untyped-def]
    return or_(
        and_(Job.state == QUEUED, Job.run_at <= now),
        and_(Job.state == RUNNING, Job.lease_until < now),
    )


async def claim_due(session: AsyncSession, limit: int, lease: timedelta, now: datetime | None = None) -> list[Job]:
    """Take up to `limit` due jobs (or jobs whose lease ran out) and lease them to this worker; the caller
    commits before running them (on PostgreSQL the rows stay locked until then)."""
    now = now or utcnow()
    candidates = select(Job.id).where(_due(now)).order_by(Job.run_at).limit(limit)
    if session.bind.dialect.name == "postgresql":
        # Lock the rows first, in their own statement: PostgreSQL may re-run a LIMIT subquery inside
        # UPDATE ... WHERE id IN (...), leasing more rows than asked for.
        ids: Any = list(await session.scalars(candidates.with_for_update(skip_locked=True)))
        if not ids:
            return []
    else:
        ids = candidates.scalar_subquery()  # SQLite: one writer, the single UPDATE is atomic
    stmt = (
        update(Job)
        .where(Job.id.in_(ids), _due(now))
        .values(state=RUNNING, lease_until=now + lease, attempts=Job.attempts + 1)
        .returning(Job)
        .execution_options(synchronize_session=False)
    )
    return list((await session.scalars(stmt)).all())


async def claim_one(session: AsyncSession, job_id: int, lease: timedelta, now: datetime | None = None) -> Job | None:
    """Lease one named job if it is due; None when it is done, leased elsewhere, or not yet due. The caller
    commits before running it."""
    now = now or utcnow()
    stmt = (
        update(Job)
        .where(Job.id == job_id, _due(now))
        .values(state=RUNNING, lease_until=now + lease, attempts=Job.attempts + 1)
        .returning(Job)
        .execution_options(synchronize_session=False)
    )
    return (await session.scalars(stmt)).first()


_JOBS = Job.__table__
_FINISH_MANY = (
    update(_JOBS)
    # the lease must still be ours: a worker whose lease ran out must not overwrite its successor's outcome
    .where(_JOBS.c.id == bindparam("b_id"), _JOBS.c.state == RUNNING,
           _JOBS.c.lease_until == bindparam("b_lease", type_=_JOBS.c.lease_until.type))
    .values(state=bindparam("b_state"), lease_until=None, last_error=bindparam("b_error"),
            finished_at=bindparam("b_finished", type_=_JOBS.c.finished_at.type),
            run_at=func.coalesce(bindparam("b_run_at", type_=_JOBS.c.run_at.type), _JOBS.c.run_at))
)


async def finish_many(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Record many outcomes in one statement (a fan-out finishes thousands of jobs); the caller commits.

    Each row: b_id, b_lease (the lease_until it was claimed with), b_state, b_error, b_finished, b_run_at."""
    await session.execute(_FINISH_MANY, rows)


async def due_for_sweep(session: AsyncSession, older_than: datetime, limit: int = 1000) -> list[tuple[int, datetime]]:
    """Queued rows that should have run by now, and running rows whose lease expired: lost doorbells."""
    rows = await session.execute(
        select(Job.id, Job.run_at)
        .where(or_(and_(Job.state == QUEUED, Job.run_at <= older_than), and_(Job.state == RUNNING, Job.lease_until < utcnow())))
        .order_by(Job.run_at)
        .limit(limit)
    )
    return [(row.id, row.run_at) for row in rows]


async def prune_finished(session: AsyncSession, before: datetime) -> int:
    """Delete done and dead rows older than the retention period; the caller commits."""
    result = await session.execute(delete(Job).where(Job.state.in_((DONE, DEAD)), Job.finished_at < before))
    return result.rowcount or 0


async def next_run_at(session: AsyncSession) -> datetime | None:
    return await session.scalar(select(Job.run_at).where(Job.state == QUEUED).order_by(Job.run_at).limit(1))
