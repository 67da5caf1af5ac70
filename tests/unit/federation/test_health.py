"""Domain health (fediverse/federation/health.py) on a real database: failures on N distinct days make a domain
unavailable, one success heals it, and each process's Tracker follows the shared table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import AsyncIterator

import pytest

from fediverse.federation.health import Tracker, is_unavailable
from fediverse.models import DomainHealth
from fediverse.runtime import Runtime
from tests.support import bare_runtime

DAY = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def rt(tmp_path: Path) -> AsyncIterator[Runtime]:
    async with bare_runtime(tmp_path, "here.test") as runtime:
        yield runtime


async def fail(rt: Runtime, tracker: Tracker, domain: str, when: datetime, days: int = 3) -> None:
    async with rt.sessions() as session:
        await tracker.failed(session, domain, "inbox answered HTTP 500", when, days)
        await session.commit()


async def test_failures_on_three_distinct_days_make_a_domain_unavailable(rt: Runtime) -> None:
    tracker = Tracker()
    for when in (DAY, DAY + timedelta(hours=3), DAY + timedelta(days=1)):
        await fail(rt, tracker, "down.test", when)
    async with rt.sessions() as session:
        assert not await is_unavailable(session, "down.test")  # two days so far
    await fail(rt, tracker, "down.test", DAY + timedelta(days=2))
    async with rt.sessions() as session:
        assert await is_unavailable(session, "down.test")
        record = await session.get(DomainHealth, "down.test")
        assert record is not None and record.failure_days == ["20260301", "20260302", "20260303"]
    assert tracker.has_failures("down.test") and not tracker.has_failures("up.test")


async def test_one_success_heals_the_domain(rt: Runtime) -> None:
    tracker = Tracker()
    for day in range(3):
        await fail(rt, tracker, "down.test", DAY + timedelta(days=day))
    async with rt.sessions() as session:
        await tracker.succeeded(session, "down.test", DAY + timedelta(days=3))
        await session.commit()
        record = await session.get(DomainHealth, "down.test")
        assert record is not None and (record.unavailable, record.failure_days) == (False, [])
    assert not tracker.has_failures("down.test")


async def test_a_success_costs_nothing_unless_this_process_knows_of_failures(rt: Runtime) -> None:
    await fail(rt, Tracker(), "down.test", DAY)  # recorded by another process
    fresh = Tracker()
    async with rt.sessions() as session:
        await fresh.succeeded(session, "down.test", DAY + timedelta(hours=1))  # not read, not written
        await session.commit()
        record = await session.get(DomainHealth, "down.test")
        assert record is not None and record.failure_days == ["20260301"]
        await fresh.reload(session)  # the sweeper's period
        await fresh.succeeded(session, "down.test", DAY + timedelta(hours=2))
        await session.commit()
        assert (await session.get(DomainHealth, "down.test", populate_existing=True)).failure_days == []  # type: ignore[union-attr]


async def test_a_tracker_learns_other_processes_failures_when_reloaded(rt: Runtime) -> None:
    worker, server = Tracker(), Tracker()
    await fail(rt, worker, "down.test", DAY)
    assert not server.has_failures("down.test")
    async with rt.sessions() as session:
        await server.reload(session)
    assert server.has_failures("down.test")
    server.forget("down.test")  # an admin cleared the record
    assert not server.has_failures("down.test")
