"""The one run_job() body every backend calls: dispatch by kind, then record the outcome on the row."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from fediverse.db import jobs as job_db
from fediverse.federation.deliver import deliver
from fediverse.federation.outbox import DELIVER, FANOUT, fan_out
from fediverse.federation.retry import next_attempt
from fediverse.inbox.dispatch import PROCESS_INBOUND, process_inbound
from fediverse.jobs.outcome import Done, GiveUp, Outcome, Retry
from fediverse.models import DEAD, DONE, QUEUED, Job, utcnow

if TYPE_CHECKING:
    from fediverse.runtime import Runtime

log = logging.getLogger("fediverse.jobs")
OTHER_MAX_ATTEMPTS = 8


async def _deliver(rt: Runtime, job: Job) -> Outcome:
    return await deliver(rt, job.payload, job.domain or "")


async def _fan_out(rt: Runtime, job: Job) -> Outcome:
    async with rt.sessions() as session:
        created = await fan_out(session, int(job.payload["activity"]))
        await session.commit()
    return Done(f"{created} deliveries queued")


async def _process_inbound(rt: Runtime, job: Job) -> Outcome:
    return await process_inbound(rt, int(job.payload["inbound"]))


HANDLERS: dict[str, Callable[[Runtime, Job], Awaitable[Outcome]]] = {
    DELIVER: _deliver,
    FANOUT: _fan_out,
    PROCESS_INBOUND: _process_inbound,
}


async def run_job(rt: Runtime, job: Job) -> Outcome:
    """Run a claimed job and write its outcome; an unexpected exception is a retry, never a lost row."""
    handler = HANDLERS.get(job.kind)
    try:
        outcome: Outcome = await handler(rt, job) if handler else GiveUp(f"unknown job kind {job.kind!r}")
    except Exception as exc:  # noqa: BLE001 - a bug in one job must not kill the worker
        log.exception("job %s (%s) failed", job.id, job.kind)
        outcome = Retry(f"{type(exc).__name__}: {exc}")
    await record(rt, job, outcome)
    return outcome


async def record(rt: Runtime, job: Job, outcome: Outcome) -> None:
    async with rt.sessions() as session:
        if isinstance(outcome, Done):
            await job_db.finish(session, job, state=DONE, error=outcome.note)
        elif isinstance(outcome, GiveUp):
            log.info("job %s (%s) gave up: %s", job.id, job.kind, outcome.error)
            await job_db.finish(session, job, state=DEAD, error=outcome.error)
        else:
            limit = rt.settings.federation.delivery_max_attempts if job.kind == DELIVER else OTHER_MAX_ATTEMPTS
            when = next_attempt(outcome, job.attempts, limit, utcnow())
            if when is None:
                await job_db.finish(session, job, state=DEAD, error=f"gave up after {job.attempts} attempts: {outcome.error}")
            else:
                await job_db.finish(session, job, state=QUEUED, error=outcome.error, run_at=when)
                rt.backend.notify([(job.id, when)])


def lease(rt: Runtime) -> timedelta:
    return timedelta(seconds=rt.settings.jobs.lease_seconds)


