"""Durable work: the row is the queue, the broker is only the doorbell."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fediverse.models.base import Base, utcnow

QUEUED = "queued"
RUNNING = "running"
DONE = "done"
DEAD = "dead"  # gave up: unsalvageable answer or attempts exhausted


class Job(Base):
    """One unit of work, written in the same transaction as its cause and claimed with a lease."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_due", "state", "run_at"),
        Index("ix_jobs_finished", "finished_at"),
        Index("ix_jobs_state_kind", "state", "kind"),  # /metrics counts jobs by state and kind from the index alone
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column()
    dedupe_key: Mapped[str | None] = mapped_column(String(2300), unique=True)
    domain: Mapped[str | None] = mapped_column(String(255), index=True)
    state: Mapped[str] = mapped_column(String(16), default=QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    run_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
