"""Publishing: store an activity's exact bytes once, then one delivery row per distinct inbox."""

from __future__ import annotations

from typing import Any, Iterable

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.db import follows as follow_db
from fediverse.jobs.kinds import Deliver, FanOut
from fediverse.jobs.queue import enqueue, enqueue_many
from fediverse.models import Account, Job, OutboundActivity

BATCH = 500


async def publish(
    session: AsyncSession, author: Account, doc: dict[str, Any], *, inboxes: Iterable[str] = (), followers: bool = False
) -> OutboundActivity:
    """Record `doc` and queue its deliveries in the caller's transaction (nothing is sent before commit)."""
    activity = OutboundActivity(uri=doc["id"], actor_id=author.id, type=str(doc["type"]), body=orjson.dumps(doc))
    session.add(activity)
    await session.flush()
    for inbox in dict.fromkeys(inboxes):
        enqueue(session, Deliver(activity.id, inbox))
    if followers:
        enqueue(session, FanOut(activity.id))
    return activity


async def fan_out(session: AsyncSession, activity_id: int) -> int:
    """Turn a followers fan-out into delivery rows, batched; rows already queued are skipped (idempotent)."""
    activity = await session.get(OutboundActivity, activity_id)
    if activity is None:
        return 0
    jobs = [Deliver(activity_id, inbox) for inbox in await follow_db.follower_inboxes(session, activity.actor_id)]
    keys = [job.dedupe_key for job in jobs]
    existing: set[str] = set()
    for start in range(0, len(keys), BATCH):
        existing.update(await session.scalars(select(Job.dedupe_key).where(Job.dedupe_key.in_(keys[start:start + BATCH]))))
    return await enqueue_many(session, [job for job, key in zip(jobs, keys) if key not in existing])
