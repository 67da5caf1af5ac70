"""Query plans and job housekeeping on the real database (SQLite, or PostgreSQL when configured)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import AsyncIterator

import pytest
from sqlalchemy import func, select, text

from fediverse.db import follows as follow_db
from fediverse.db import jobs as job_db
from fediverse.jobs.kinds import Deliver, Restamp
from fediverse.jobs.queue import enqueue
from fediverse.models import DONE, QUEUED, RUNNING, Account, Follow, Job, utcnow
from fediverse.runtime import Runtime
from tests.support import bare_runtime


@pytest.fixture
async def rt(tmp_path: Path) -> AsyncIterator[Runtime]:
    async with bare_runtime(tmp_path, "db.test") as runtime:
        yield runtime


async def test_fanout_query_uses_the_follows_index_not_a_table_scan(rt: Runtime) -> None:
    async with rt.sessions() as session:
        artist = Account(uri="https://db.test/users/a", handle="a", username="a", inbox_url="https://db.test/i")
        session.add(artist)
        await session.flush()
        for n in range(300):
            fan = Account(uri=f"https://r{n % 30}.test/u/{n}", handle=f"u{n}@r.test", username=f"u{n}",
                          domain=f"r{n % 30}.test", inbox_url=f"https://r{n % 30}.test/u/{n}/inbox")
            session.add(fan)
            await session.flush()
            session.add(Follow(uri=f"https://r.test/f/{n}", follower_id=fan.id, followee_id=artist.id,
                               follower_inbox=f"https://r{n % 30}.test/inbox", state="accepted"))
        await session.commit()
        query = follow_db.follower_inboxes_query(artist.id)
        compiled = query.compile(session.bind, compile_kwargs={"literal_binds": True})
        dialect = session.bind.dialect.name
        if dialect == "sqlite":
            plan = " ".join(str(row) for row in await session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
            assert "ix_follows_fanout" in plan and "COVERING INDEX" in plan, plan
        else:
            await session.execute(text("SET enable_seqscan = off"))  # a tiny table: ask whether the index is usable
            plan = " ".join(str(row) for row in await session.execute(text(f"EXPLAIN {compiled}")))
            assert "ix_follows_fanout" in plan, plan
        assert len(await follow_db.follower_inboxes(session, artist.id)) == 30


async def test_claiming_leases_each_due_job_once_and_retakes_expired_leases(rt: Runtime) -> None:
    async with rt.sessions() as session:
        for n in range(5):
            enqueue(session, Restamp(n))
        enqueue(session, Restamp(99), run_at=utcnow() + timedelta(hours=1))
        await session.commit()
    async with rt.sessions() as first, rt.sessions() as second:
        taken = await job_db.claim_due(first, 3, timedelta(seconds=60))
        await first.commit()  # a worker commits its claim before running the jobs
        rest = await job_db.claim_due(second, 10, timedelta(seconds=60))
        await second.commit()
    assert len(taken) == 3 and len(rest) == 2
    assert not {j.id for j in taken} & {j.id for j in rest}
    async with rt.sessions() as session:
        assert await job_db.claim_due(session, 10, timedelta(seconds=60)) == []
        # a worker that died: its lease runs out and the job is taken again
        retaken = await job_db.claim_due(session, 10, timedelta(seconds=60), now=utcnow() + timedelta(seconds=61))
        await session.commit()
    assert {j.id for j in retaken} == {j.id for j in taken + rest}
    assert all(j.attempts == 2 and j.state == RUNNING for j in retaken)


async def test_finished_jobs_are_pruned_after_the_retention_period(rt: Runtime) -> None:
    async with rt.sessions() as session:
        old, recent, waiting = (enqueue(session, Restamp(n)) for n in range(3))
        await session.commit()
        old.state, old.finished_at = DONE, utcnow() - timedelta(days=8)
        recent.state, recent.finished_at = DONE, utcnow() - timedelta(days=1)
        await session.commit()
        pruned = await job_db.prune_finished(session, utcnow() - timedelta(days=7))
        await session.commit()
        left = set(await session.scalars(select(Job.id)))
        states = dict((await session.execute(select(Job.id, Job.state))).all())
    assert pruned == 1 and left == {recent.id, waiting.id} and states[waiting.id] == QUEUED


async def test_duplicate_dedupe_keys_are_refused_by_the_database(rt: Runtime) -> None:
    from sqlalchemy.exc import IntegrityError

    async with rt.sessions() as session:
        enqueue(session, Deliver(1, "https://x.test/inbox"))
        await session.commit()
        enqueue(session, Deliver(1, "https://x.test/inbox"))  # the same delivery: the same dedupe key
        with pytest.raises(IntegrityError):
            await session.commit()
        await session.rollback()
        assert await session.scalar(select(func.count()).select_from(Job)) == 1


async def test_a_worker_whose_lease_ran_out_cannot_overwrite_its_successor(rt: Runtime) -> None:
    async with rt.sessions() as session:
        enqueue(session, Restamp(1))
        await session.commit()
    async with rt.sessions() as first, rt.sessions() as second:  # two workers
        [stale] = await job_db.claim_due(first, 1, timedelta(seconds=60))
        await first.commit()
        [current] = await job_db.claim_due(second, 1, timedelta(seconds=60), now=utcnow() + timedelta(seconds=61))
        await second.commit()
    async with rt.sessions() as session:

        def outcome(job: Job, state: str) -> dict[str, object]:
            return {"b_id": job.id, "b_lease": job.lease_until, "b_state": state, "b_error": state,
                    "b_finished": utcnow(), "b_run_at": None}

        await job_db.finish_many(session, [outcome(stale, "dead")])
        await session.commit()
        assert await session.scalar(select(Job.state).where(Job.id == current.id)) == RUNNING
        await job_db.finish_many(session, [outcome(current, DONE)])
        await session.commit()
        assert (await session.execute(select(Job.state, Job.last_error))).one() == (DONE, DONE)
