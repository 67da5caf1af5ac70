"""Enqueue work as rows in the caller's transaction; the backend is rung only after that commits.

The after-commit hook means a job can never be announced for a row that was rolled back, and a
crash between commit and announcement loses nothing: the sweeper finds the row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy import event, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from fediverse.jobs.kinds import JobKind, insert_values
from fediverse.models import Job, utcnow

PENDING_KEY = "fediverse.new_jobs"
BACKEND_KEY = "fediverse.job_backend"
BATCH = 500  # rows per INSERT of enqueue_many


class JobBackend(Protocol):
    """What the rest of the code needs from a backend: a doorbell for rows that became due."""

    def notify(self, jobs: list[tuple[int, datetime]]) -> None: ...


def enqueue(session: AsyncSession, job: JobKind, *, run_at: datetime | None = None) -> Job:
    """Add a row for `job` to the session; it is announced to the backend when the session commits."""
    row = Job(**insert_values(job, utcnow(), run_at))
    session.add(row)
    session.sync_session.info.setdefault(PENDING_KEY, []).append(row)
    return row


async def enqueue_many(session: AsyncSession, jobs: list[JobKind]) -> int:
    """`enqueue` for thousands of jobs (a fan-out): Core inserts in batches, announced after commit as well."""
    now = utcnow()
    rows = [insert_values(job, now) for job in jobs]
    for start in range(0, len(rows), BATCH):
        result = await session.execute(insert(Job).returning(Job.id, Job.run_at), rows[start:start + BATCH])
        announce_after_commit(session, [(row.id, row.run_at) for row in result])
    return len(rows)


def announce_after_commit(session: AsyncSession, jobs: list[tuple[int, datetime]]) -> None:
    """For rows inserted in bulk with Core: ring the backend for them when the session commits."""
    session.sync_session.info.setdefault(PENDING_KEY, []).extend(jobs)


def install_commit_hook(session_class: type[Session], backend: JobBackend) -> None:
    """Ring `backend` with the ids of jobs added in a transaction, right after it commits."""

    def after_commit(session: Session) -> None:
        pending: list[Job | tuple[int, datetime]] = session.info.pop(PENDING_KEY, [])
        if pending:
            backend.notify([item if isinstance(item, tuple) else (item.id, item.run_at) for item in pending])

    def after_rollback(session: Session) -> None:
        session.info.pop(PENDING_KEY, None)

    event.listen(session_class, "after_commit", after_commit)
    event.listen(session_class, "after_soft_rollback", lambda s, _t: after_rollback(s))
