"""The inbox hot path in Core statements: store a received activity and its processing job, or skip a duplicate."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.db.upsert import insert_or_skip
from fediverse.jobs.kinds import ProcessInbound, insert_values
from fediverse.models import InboundActivity, Job, utcnow


async def store(
    session: AsyncSession, *, uri: str, type: str, actor_uri: str, inbox_account_id: int | None,
    raw: dict[str, Any],
) -> tuple[int, datetime] | None:
    """Insert the activity (skipped when its id is already stored) and its ProcessInbound job; (job id, run_at)
    to announce after commit, or None for a duplicate.

    Two Core statements instead of ORM flushes: the inbox is the busiest write path (performance doc §4)."""
    now = utcnow()
    stored = await session.scalar(
        insert_or_skip(session, InboundActivity, "uri", uri=uri, type=type, actor_uri=actor_uri,
                       inbox_account_id=inbox_account_id, raw=raw, received_at=now)
        .returning(InboundActivity.id)
    )
    if stored is None:
        return None
    job = (await session.execute(
        insert(Job).values(**insert_values(ProcessInbound(stored), now)).returning(Job.id, Job.run_at)
    )).one()
    return job.id, job.run_at


PRUNE_BATCH = 5000  # rows per DELETE: a first prune of a large table never holds one long write lock


async def prune_processed(session: AsyncSession, before: datetime) -> int:
    """Delete one batch (up to PRUNE_BATCH) of activities processed before `before`; returns how many went, so
    the caller commits each batch and calls again until 0.

    Rows held in the quarantine are kept until a moderator reviews them (they are never processed before that,
    and the reviewed_at test says so again). A redelivery of a pruned activity is stored and processed anew,
    which handlers tolerate (they are idempotent on the object's id), as Mastodon's do after its own pruning."""
    prunable = select(InboundActivity.id).where(
        InboundActivity.processed_at < before,
        or_(InboundActivity.quarantine_reason.is_(None), InboundActivity.reviewed_at.is_not(None)),
    ).limit(PRUNE_BATCH)
    ids = list((await session.scalars(prunable)).all())
    if not ids:
        return 0
    result = await session.execute(delete(InboundActivity).where(InboundActivity.id.in_(ids)))
    return result.rowcount or 0
