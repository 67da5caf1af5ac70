"""The queue's doorbell (jobs/queue.install_commit_hook) rings for a transaction's jobs once, after the real
commit: a released SAVEPOINT is no commit (a worker woken then would find rows not yet visible, or rows a later
rollback removes), a rolled-back SAVEPOINT keeps the jobs added before it, and a rolled-back transaction rings
for nothing."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import AsyncIterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from fediverse.jobs.kinds import Restamp
from fediverse.jobs.queue import enqueue, install_commit_hook
from fediverse.models import Job
from fediverse.runtime import Runtime
from tests.support import bare_runtime


class Bell:
    def __init__(self) -> None:
        self.rung: list[list[int]] = []

    def notify(self, jobs: list[tuple[int, datetime]]) -> None:
        self.rung.append([job_id for job_id, _ in jobs])


@pytest.fixture
async def rt(tmp_path: Path) -> AsyncIterator[Runtime]:
    async with bare_runtime(tmp_path, "here.test") as runtime:
        yield runtime


def sessions_with(rt: Runtime, bell: Bell) -> async_sessionmaker[AsyncSession]:
    session_class = type("BellSession", (Session,), {})
    install_commit_hook(session_class, bell)
    return async_sessionmaker(rt.engine, expire_on_commit=False, sync_session_class=session_class)


async def test_jobs_are_announced_after_the_outer_commit_only(rt: Runtime) -> None:
    bell = Bell()
    async with sessions_with(rt, bell)() as session:
        before = enqueue(session, Restamp(work=1))
        async with session.begin_nested():
            inside = enqueue(session, Restamp(work=2))
        assert bell.rung == []  # the savepoint's release is no commit
        try:
            async with session.begin_nested():
                enqueue(session, Restamp(work=3))
                await session.flush()
                raise ValueError("roll the savepoint back")
        except ValueError:
            pass
        assert bell.rung == []
        await session.commit()
    assert bell.rung == [[before.id, inside.id]]  # not the job of the savepoint rolled back
    async with rt.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Job)) == 2


async def test_a_rolled_back_transaction_announces_nothing(rt: Runtime) -> None:
    bell = Bell()
    async with sessions_with(rt, bell)() as session:
        enqueue(session, Restamp(work=1))
        await session.flush()
        await session.rollback()
        await session.commit()
    assert bell.rung == []
