"""The runner (fediverse/jobs/runner.py) on a real database: a row that fits no job kind is given up at once,
with the reason on the row, instead of being retried for days."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any, AsyncIterator

import pytest

from fediverse.jobs.outcome import GiveUp
from fediverse.jobs.runner import run_job
from fediverse.models import DEAD, RUNNING, Job, utcnow
from fediverse.runtime import Runtime
from tests.support import bare_runtime


@pytest.fixture
async def rt(tmp_path: Path) -> AsyncIterator[Runtime]:
    async with bare_runtime(tmp_path, "here.test") as runtime:
        yield runtime


@pytest.mark.parametrize(("kind", "payload", "error"), [
    ("noop", {}, "unknown job kind 'noop'"),
    ("deliver", {"activity": 1}, "deliver job: the payload has fields ['activity'], expected ['activity', 'inbox']"),
    ("restamp", {"work": "1"}, "restamp job: work must be int, not str"),
])
async def test_a_row_that_fits_no_kind_is_dead_after_one_attempt_saying_why(
        rt: Runtime, kind: str, payload: dict[str, Any], error: str) -> None:
    async with rt.sessions() as session:  # a row this worker has claimed
        job = Job(kind=kind, payload=payload, state=RUNNING, attempts=1, lease_until=utcnow() + timedelta(seconds=60))
        session.add(job)
        await session.commit()
    assert await run_job(rt, job) == GiveUp(error)
    async with rt.sessions() as session:
        row = await session.get(Job, job.id)
        assert row is not None and (row.state, row.last_error, row.attempts) == (DEAD, error, 1)
