"""Enqueue work as rows in the caller's transaction; the backend is rung only after that commits.

The after-commit hook means a job can never be announced for a row that was rolled back, and a
crash between commit and announcement loses nothing: the sweeper finds the row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy import event, insert, inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

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
        if session.in_nested_transaction():  # a SAVEPOINT released: its rows are not committed yet
            return
        pending: list[Job | tuple[int, datetime]] = session.info.pop(PENDING_KEY, [])
        committed = [item if isinstance(item, tuple) else (item.id, item.run_at) for item in pending
                     if isinstance(item, tuple) or inspect(item).persistent]  # not the rows of a savepoint undone
        if committed:
            backend.notify(committed)

    def after_soft_rollback(session: Session, previous: SessionTransaction) -> None:
        # A SAVEPOINT rolled back leaves the transaction open and the jobs added before it standing; a job of the
        # savepoint announced later finds no row and is skipped (rows are claimed, never trusted from the bell).
        if not previous.nested:
            session.info.pop(PENDING_KEY, None)

    event.listen(session_class, "after_commit", after_commit)
    event.listen(session_class, "after_soft_rollback", after_soft_rollback)
