"""Housekeeping shared by every backend: prune finished jobs and processed inbound activities, refresh the
unhealthy-domain set, purge remote media copies unused for longer than the retention and stored remote posts
nobody here interacted with past theirs, delete idle or expired panel sessions, the client API's uploads no post
used and its Idempotency-Keys past their hour, and fall back to approval-only sign-ups when no moderator has
acted for too long (so that never waits for a visitor)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from fediverse.db import inbound as inbound_db
from fediverse.db import jobs as job_db
from fediverse.models import utcnow
from fediverse.services import app_posts, media_uploads, oauth, remote_posts, web_sessions
from fediverse.services.remote_media import purge_expired
from fediverse.services.registrations import check_auto_approval

if TYPE_CHECKING:
    from fediverse.runtime import Runtime


async def housekeeping(rt: Runtime) -> int:
    """Returns how many finished rows (jobs, processed inbound activities) were pruned."""
    jobs = rt.settings.jobs
    async with rt.sessions() as session:
        pruned = await job_db.prune_finished(session, utcnow() - timedelta(days=jobs.retention_days))
        await session.commit()
        inbound_before = utcnow() - timedelta(days=jobs.inbound_retention_days)
        while batch := await inbound_db.prune_processed(session, inbound_before):
            await session.commit()  # a batch per transaction: a large first prune holds no long write lock
            pruned += batch
        await rt.domain_health.reload(session)
        await web_sessions.prune(session, rt.clock.now())
        await oauth.prune_codes(session, rt.clock.now())  # authorization codes never traded
        await app_posts.prune_keys(session, rt.clock.now())  # client API Idempotency-Keys past their hour
        await session.commit()
        await media_uploads.prune(rt, session, rt.clock.now())  # client API uploads no post used within a day
    await purge_expired(rt)
    await remote_posts.purge_if_due(rt)  # stored remote posts past [federation] remote_post_retention_days
    await check_auto_approval(rt)
    return pruned

