"""The statuses table on the real database (SQLite, or PostgreSQL when configured): one kind per row, enforced
by the database itself, and the timeline index usable for paging an account's posts by id."""

from __future__ import annotations

from pathlib import Path
from typing import Any, AsyncIterator

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from fediverse.models import Account, RemoteNote, Status, Work, utcnow
from fediverse.runtime import Runtime
from fediverse.snowflake import new_id
from tests.support import bare_runtime


@pytest.fixture
async def rt(tmp_path: Path) -> AsyncIterator[Runtime]:
    async with bare_runtime(tmp_path, "db.test") as runtime:
        yield runtime


async def _post(rt: Runtime) -> tuple[int, int, int, int]:
    async with rt.sessions() as session:
        alice = Account(uri="https://db.test/users/alice", handle="alice", username="alice", inbox_url="https://db.test/i")
        session.add(alice)
        await session.flush()
        work = Work(public_id="w1", uri="https://db.test/works/w1", account_id=alice.id)
        note = RemoteNote(uri="https://r.test/n/1", account_id=alice.id, raw={}, visibility="public")
        session.add_all([work, note])
        await session.flush()
        status = Status(id=new_id(), account_id=alice.id, work_id=work.id, visibility="public", created_at=utcnow())
        session.add(status)
        await session.commit()
        return alice.id, work.id, note.id, status.id


@pytest.mark.parametrize("kinds", [{}, {"work_id": "work", "remote_note_id": "note"},
                                   {"remote_note_id": "note", "reblog_of_id": "status"}])
async def test_a_status_is_exactly_one_of_work_note_or_boost(rt: Runtime, kinds: dict[str, str]) -> None:
    account_id, work_id, note_id, status_id = await _post(rt)
    values: dict[str, Any] = {"work": work_id, "note": note_id, "status": status_id}
    async with rt.sessions() as session:
        session.add(Status(id=new_id(), account_id=account_id, visibility="public", created_at=utcnow(),
                           **{column: values[name] for column, name in kinds.items()}))
        with pytest.raises(IntegrityError):
            await session.commit()


async def test_an_unknown_visibility_is_refused_by_the_database(rt: Runtime) -> None:
    account_id, _work_id, note_id, _status_id = await _post(rt)
    async with rt.sessions() as session:
        session.add(Status(id=new_id(), account_id=account_id, remote_note_id=note_id, visibility="everyone",
                           created_at=utcnow()))
        with pytest.raises(IntegrityError):
            await session.commit()


async def test_an_accounts_posts_page_by_id_through_the_timeline_index(rt: Runtime) -> None:
    account_id, *_ = await _post(rt)
    query = (select(Status.id).where(Status.account_id == account_id, Status.id < 2**62)
             .order_by(Status.id.desc()).limit(40))
    async with rt.sessions() as session:
        compiled = query.compile(session.bind, compile_kwargs={"literal_binds": True})
        if session.bind.dialect.name == "sqlite":
            plan = " ".join(str(row) for row in await session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
        else:
            await session.execute(text("SET enable_seqscan = off"))
            plan = " ".join(str(row) for row in await session.execute(text(f"EXPLAIN {compiled}")))
        assert "ix_statuses_account_id_id" in plan, plan
