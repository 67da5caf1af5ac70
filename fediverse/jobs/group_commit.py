"""Group commit of job outcomes (jobs.runner.record): the writer, and its owner held by each Runtime.

Below the runtime in the layers, so the Runtime can hold the owner the way it holds federation's caches,
while jobs.runner (above it) is the only user."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fediverse.db import jobs as job_db


class OutcomeWriters:
    """One writer per Runtime and event loop (the dramatiq worker runs its own loop); made on first use in the
    running loop, since a writer's futures and task belong to one loop."""

    def __init__(self) -> None:
        self._writer: OutcomeWriter | None = None

    def writer(self, sessions: async_sessionmaker[AsyncSession]) -> OutcomeWriter:
        writer = self._writer
        if writer is None or writer.loop is not asyncio.get_running_loop():
            writer = self._writer = OutcomeWriter(sessions)
        return writer


class OutcomeWriter:
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
