"""The one run_job() body every backend calls: read the row as a typed job, dispatch by its type, then record
the outcome on the row."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, assert_never

from fediverse.federation.deliver import deliver
from fediverse.federation.outbox import fan_out
from fediverse.federation.retry import next_attempt
from fediverse.inbox.dispatch import process_inbound
from fediverse.jobs.kinds import BadJob, Deliver, FanOut, FetchRemoteMedia, JobKind, ProcessInbound, Restamp, from_row
from fediverse.jobs.outcome import Done, GiveUp, Outcome, Retry
from fediverse.models import DEAD, DONE, QUEUED, Job, utcnow
from fediverse.services import remote_media, site_settings
from fediverse.services.restamp import restamp_work

if TYPE_CHECKING:
    from fediverse.runtime import Runtime

log = logging.getLogger("fediverse.jobs")
OTHER_MAX_ATTEMPTS = 8


async def handle(rt: Runtime, job: JobKind) -> Outcome:
    """Each kind to its handler, with its typed fields."""
    match job:
        case Deliver():
            return await deliver(rt, job)
        case FanOut():
            async with rt.sessions() as session:
                created = await fan_out(session, job.activity)
                await session.commit()
            return Done(f"{created} deliveries queued")
        case ProcessInbound():
            return await process_inbound(rt, job.inbound)
        case Restamp():
            return Done(await restamp_work(rt, job.work))
        case FetchRemoteMedia():
            return await remote_media.fetch(rt, job.media)
    assert_never(job)


async def run_job(rt: Runtime, row: Job) -> Outcome:
    """Run a claimed row and write its outcome; an unexpected exception is a retry, never a lost row, and a
    row that fits no kind is given up at once (no retry can make it fit)."""
    site_settings.maybe_refresh(rt)  # panel changes (consent defaults, spam limits) reach worker processes
    try:
        outcome: Outcome = await handle(rt, from_row(row.kind, row.payload))
    except BadJob as exc:
        outcome = GiveUp(str(exc))
    except Exception as exc:  # noqa: BLE001 - a bug in one job must not kill the worker
        log.exception("job %s (%s) failed", row.id, row.kind)
        outcome = Retry(f"{type(exc).__name__}: {exc}")
    await record(rt, row, outcome)
    return outcome


async def record(rt: Runtime, job: Job, outcome: Outcome) -> None:
    """Write the outcome on the row (returns once it is committed); outcomes are group-committed."""
    now = utcnow()
    when: datetime | None = None
    if isinstance(outcome, Done):
        state, error = DONE, outcome.note
    elif isinstance(outcome, GiveUp):
        log.info("job %s (%s) gave up: %s", job.id, job.kind, outcome.error)
        state, error = DEAD, outcome.error
    else:
        limit = rt.settings.federation.delivery_max_attempts if job.kind == Deliver.kind else OTHER_MAX_ATTEMPTS
        when = next_attempt(outcome, job.attempts, limit, now)
        if when is None:
            state, error = DEAD, f"gave up after {job.attempts} attempts: {outcome.error}"
        else:
            state, error = QUEUED, outcome.error
    await rt.job_outcomes.writer(rt.sessions).write({
        "b_id": job.id, "b_lease": job.lease_until, "b_state": state, "b_error": error,
        "b_finished": now if state != QUEUED else None, "b_run_at": when})
    if when is not None:
        rt.backend.notify([(job.id, when)])


def lease(rt: Runtime) -> timedelta:
    return timedelta(seconds=rt.settings.jobs.lease_seconds)


