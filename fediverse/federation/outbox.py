"""Publishing: store an activity's exact bytes once, then one delivery row per distinct inbox."""

from __future__ import annotations

from typing import Any, Iterable
from urllib.parse import urlsplit

import orjson
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.db import follows as follow_db
from fediverse.jobs.queue import announce_after_commit, enqueue
from fediverse.models import Account, Job, OutboundActivity, utcnow

DELIVER = "deliver"
FANOUT = "fanout"
BATCH = 500


async def publish(
    session: AsyncSession, author: Account, doc: dict[str, Any], *, inboxes: Iterable[str] = (), followers: bool = False
) -> OutboundActivity:
    """Record `doc` and queue its deliveries in the caller's transaction (nothing is sent before commit)."""
    activity = OutboundActivity(uri=doc["id"], actor_id=author.id, type=str(doc["type"]), body=orjson.dumps(doc))
    session.add(activity)
    await session.flush()
    for inbox in dict.fromkeys(inboxes):
        enqueue(session, DELIVER, {"activity": activity.id, "inbox": inbox},
                dedupe_key=delivery_key(activity.id, inbox), domain=urlsplit(inbox).netloc.lower())
    if followers:
        enqueue(session, FANOUT, {"activity": activity.id}, dedupe_key=f"fanout:{activity.id}")
    return activity


def delivery_key(activity_id: int, inbox: str) -> str:
    return f"deliver:{activity_id}:{inbox}"


async def fan_out(session: AsyncSession, activity_id: int) -> int:
    """Turn a followers fan-out into delivery rows, batched; rows already queued are skipped (idempotent)."""
    activity = await session.get(OutboundActivity, activity_id)
    if activity is None:
        return 0
    inboxes = await follow_db.follower_inboxes(session, activity.actor_id)
    keys = [delivery_key(activity_id, inbox) for inbox in inboxes]
    existing: set[str] = set()
    for start in range(0, len(keys), BATCH):
        existing.update(await session.scalars(select(Job.dedupe_key).where(Job.dedupe_key.in_(keys[start:start + BATCH]))))
    now = utcnow()
    rows = [
        {"kind": DELIVER, "payload": {"activity": activity_id, "inbox": inbox}, "dedupe_key": key,
         "domain": urlsplit(inbox).netloc.lower(), "state": "queued", "attempts": 0, "run_at": now, "created_at": now}
        for inbox, key in zip(inboxes, keys) if key not in existing
    ]
    for start in range(0, len(rows), BATCH):
        result = await session.execute(insert(Job).returning(Job.id, Job.run_at), rows[start:start + BATCH])
        announce_after_commit(session, [(row.id, row.run_at) for row in result])
    return len(rows)
