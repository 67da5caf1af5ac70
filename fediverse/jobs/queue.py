"""Enqueue work as rows in the caller's transaction; the backend is rung only after that commits.

The after-commit hook means a job can never be announced for a row that was rolled back, and a
crash between commit and announcement loses nothing: the sweeper finds the row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from fediverse.models import Job, utcnow

PENDING_KEY = "fediverse.new_jobs"
BACKEND_KEY = "fediverse.job_backend"


class JobBackend(Protocol):
    """What the rest of the code needs from a backend: a doorbell for rows that became due."""

    def notify(self, jobs: list[tuple[int, datetime]]) -> None: ...


def enqueue(
    session: AsyncSession,
    kind: str,
    payload: dict[str, Any],
    *,
    dedupe_key: str | None = None,
    domain: str | None = None,
    run_at: datetime | None = None,
) -> Job:
    """Add a job row to the session; it is announced to the backend when the session commits."""
    job = Job(kind=kind, payload=payload, dedupe_key=dedupe_key, domain=domain, run_at=run_at or utcnow())
    session.add(job)
    session.sync_session.info.setdefault(PENDING_KEY, []).append(job)
    return job


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
