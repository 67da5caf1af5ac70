"""The one run_job() body every backend calls: dispatch by kind, then record the outcome on the row."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fediverse.db import jobs as job_db

from fediverse.federation.deliver import deliver
from fediverse.federation.outbox import DELIVER, FANOUT, fan_out
from fediverse.federation.retry import next_attempt
from fediverse.inbox.dispatch import PROCESS_INBOUND, process_inbound
from fediverse.jobs.outcome import Done, GiveUp, Outcome, Retry
from fediverse.services import remote_media, site_settings
from fediverse.services.restamp import RESTAMP, restamp_work
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


async def _restamp(rt: Runtime, job: Job) -> Outcome:
    return Done(await restamp_work(rt, int(job.payload["work"])))


async def _fetch_remote_media(rt: Runtime, job: Job) -> Outcome:
    return await remote_media.fetch(rt, int(job.payload["media"]))


HANDLERS: dict[str, Callable[[Runtime, Job], Awaitable[Outcome]]] = {
    DELIVER: _deliver,
    FANOUT: _fan_out,
    PROCESS_INBOUND: _process_inbound,
    RESTAMP: _restamp,
    remote_media.FETCH_REMOTE_MEDIA: _fetch_remote_media,
}


async def run_job(rt: Runtime, job: Job) -> Outcome:
    """Run a claimed job and write its outcome; an unexpected exception is a retry, never a lost row."""
    handler = HANDLERS.get(job.kind)
    site_settings.maybe_refresh(rt)  # panel changes (consent defaults, spam limits) reach worker processes
    try:
        outcome: Outcome = await handler(rt, job) if handler else GiveUp(f"unknown job kind {job.kind!r}")
    except Exception as exc:  # noqa: BLE001 - a bug in one job must not kill the worker
        log.exception("job %s (%s) failed", job.id, job.kind)
        outcome = Retry(f"{type(exc).__name__}: {exc}")
    await record(rt, job, outcome)
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
        limit = rt.settings.federation.delivery_max_attempts if job.kind == DELIVER else OTHER_MAX_ATTEMPTS
        when = next_attempt(outcome, job.attempts, limit, now)
        if when is None:
            state, error = DEAD, f"gave up after {job.attempts} attempts: {outcome.error}"
        else:
            state, error = QUEUED, outcome.error
    await _writer(rt).write({"b_id": job.id, "b_lease": job.lease_until, "b_state": state, "b_error": error,
                             "b_finished": now if state != QUEUED else None, "b_run_at": when})
    if when is not None:
        rt.backend.notify([(job.id, when)])


class _OutcomeWriter:
    """Group commit of job outcomes: one UPDATE ... executemany and one commit for every outcome that
    arrived while the previous write was in flight. A fan-out finishes thousands of jobs; one transaction
    each cost ~1 ms of event-loop time, most of a delivery's budget. The first outcome is written at once."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        self.loop = asyncio.get_running_loop()
        self.pending: list[tuple[dict[str, Any], asyncio.Future[None]]] = []
        self.task: asyncio.Task[None] | None = None

    async def write(self, values: dict[str, Any]) -> None:
        future: asyncio.Future[None] = self.loop.create_future()
        self.pending.append((values, future))
        if self.task is None:
            self.task = self.loop.create_task(self._run(), name="fediverse-job-outcomes")
        await future

    async def _run(self) -> None:
        batch: list[tuple[dict[str, Any], asyncio.Future[None]]] = []
        try:
            while self.pending:
                batch, self.pending = self.pending, []
                try:
                    async with self.sessions() as session:
                        await job_db.finish_many(session, [values for values, _ in batch])
                except Exception as exc:  # noqa: BLE001 - each waiting job sees the error, as with its own write
                    _settle(batch, exc)
                else:
                    _settle(batch, None)
                batch = []
        except BaseException as exc:  # cancelled (shutdown): nobody may wait for ever
            _settle(batch + self.pending, exc)
            self.pending = []
            raise
        finally:
            self.task = None


def _settle(batch: list[tuple[dict[str, Any], asyncio.Future[None]]], exc: BaseException | None) -> None:
    for _values, future in batch:
        if not future.done():
            if exc is None:
                future.set_result(None)
            else:
                future.set_exception(exc if isinstance(exc, Exception) else RuntimeError("job outcome not written"))


def _writer(rt: Runtime) -> _OutcomeWriter:
    """One writer per runtime and event loop (the dramatiq worker runs its own loop)."""
    writer = rt.outcome_writer
    if writer is None or writer.loop is not asyncio.get_running_loop():
        writer = rt.outcome_writer = _OutcomeWriter(rt.sessions)
    return writer


def lease(rt: Runtime) -> timedelta:
    return timedelta(seconds=rt.settings.jobs.lease_seconds)


