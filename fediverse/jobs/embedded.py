"""Embedded backend: worker tasks inside the server process. One command, no Redis."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import TYPE_CHECKING

from fediverse.db import jobs as job_db
from fediverse.jobs.runner import lease, run_job
from fediverse.jobs.sweeper import housekeeping
from fediverse.models import utcnow

if TYPE_CHECKING:
    from fediverse.runtime import Runtime

log = logging.getLogger("fediverse.jobs")


class EmbeddedBackend:
    """Claims due rows in batches and runs up to `embedded_workers` of them at once."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.concurrency = rt.settings.jobs.embedded_workers
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._running: set[asyncio.Task[object]] = set()

    def notify(self, jobs: list[tuple[int, datetime]]) -> None:
        if self._loop is None:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            self._wake.set()
        else:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.create_task(self._dispatch(), name="fediverse-jobs")

    async def stop(self) -> None:
        """Cancel everything in flight: leased rows are taken again after restart (nothing is lost)."""
        tasks = [t for t in (self._task, *self._running) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._loop = None

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait until no job is due or running (tests and the CLI use this)."""
        async with asyncio.timeout(timeout):
            while True:
                self._wake.set()
                await asyncio.sleep(0.01)
                if self._running:
                    await asyncio.gather(*list(self._running), return_exceptions=True)
                    continue
                async with self.rt.sessions() as session:
                    due = await job_db.due_for_sweep(session, utcnow(), limit=1)
                if not due and not self._running:
                    return

    async def _dispatch(self) -> None:
        sweep_every = self.rt.settings.jobs.sweep_seconds
        loop = asyncio.get_running_loop()
        last_sweep = -sweep_every
        while True:
            try:
                if loop.time() - last_sweep >= sweep_every:
                    await housekeeping(self.rt)
                    last_sweep = loop.time()
                self._wake.clear()  # before claiming, so a notify during the claim is not lost
                free = self.concurrency - len(self._running)
                if free > 0:
                    async with self.rt.sessions() as session:
                        claimed = await job_db.claim_due(session, free, lease(self.rt))
                        await session.commit()  # the leases are visible to other workers before any job runs
                    for job in claimed:
                        task: asyncio.Task[object] = asyncio.create_task(run_job(self.rt, job))
                        self._running.add(task)
                        task.add_done_callback(self._finished)
                    if len(claimed) == free:
                        continue  # maybe more are due
                await self._sleep(sweep_every)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - database hiccup: wait and try again
                log.exception("job dispatcher error")
                await asyncio.sleep(1)

    def _finished(self, task: asyncio.Task[object]) -> None:
        self._running.discard(task)
        self._wake.set()

    async def _sleep(self, cap: float) -> None:
        """Until notified, a slot frees, the next queued row is due, or `cap` seconds pass."""
        wait = cap
        if len(self._running) < self.concurrency:
            async with self.rt.sessions() as session:
                upcoming = await job_db.next_run_at(session)
            if upcoming is not None:
                wait = max(0.001, min(cap, (upcoming - utcnow()).total_seconds()))
        try:
            async with asyncio.timeout(wait):
                await self._wake.wait()
        except TimeoutError:
            pass
