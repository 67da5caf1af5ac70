"""The one run_job() body every backend calls: read the row as a typed job, dispatch by its type, then record
the outcome on the row."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, assert_never

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fediverse.db import jobs as job_db
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
                        await session.commit()
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


