"""Migration 0012 on a database whose tag keys were folded the old way (SQLite, or PostgreSQL when configured):
"wrocław" becomes "wroclaw", merged into an existing "wroclaw" with each status tagged once, so the tag page our
links now lead to lists every post that carried the tag."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import AsyncIterator

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from fediverse.db.migrate import alembic_config, upgrade
from fediverse.runtime import Runtime
from tests.support import bare_runtime
from tests.test_migration_statuses import ALICE, account, accounts, work, works

REVISION = "0012"
T0 = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
tags = sa.table("tags", *(sa.column(name) for name in ("id", "name", "display_name", "created_at")))
status_tags = sa.table("status_tags", sa.column("tag_id"), sa.column("status_id"))


@pytest.fixture
async def rt(tmp_path: Path) -> AsyncIterator[Runtime]:
    async with bare_runtime(tmp_path, "db.test", migrate=False) as runtime:
        yield runtime


async def test_old_keys_are_renamed_or_merged_into_the_folded_tag(rt: Runtime) -> None:
    previous = ScriptDirectory.from_config(alembic_config("sqlite://")).get_revision(REVISION).down_revision
    assert previous == "0011"
    await upgrade(rt.engine, "0007")
    async with rt.engine.begin() as conn:
        await conn.execute(accounts.insert(), [account(1, ALICE, None)])
        await conn.execute(works.insert(), [work(1, T0), work(2, T0), work(3, T0)])
    await upgrade(rt.engine, "0011")
    async with rt.engine.begin() as conn:
        status = dict((await conn.execute(sa.text("SELECT work_id, id FROM statuses"))).all())
        await conn.execute(tags.insert(), [
            {"id": 100, "name": "wrocław", "display_name": "Wrocław", "created_at": T0},
            {"id": 101, "name": "wroclaw", "display_name": "wroclaw", "created_at": T0},
            {"id": 102, "name": "łodz", "display_name": "Łódź", "created_at": T0},
            {"id": 103, "name": "birds", "display_name": "birds", "created_at": T0}])
        await conn.execute(status_tags.insert(), [
            {"tag_id": 100, "status_id": status[1]}, {"tag_id": 101, "status_id": status[1]},
            {"tag_id": 100, "status_id": status[2]}, {"tag_id": 102, "status_id": status[3]},
            {"tag_id": 103, "status_id": status[3]}])
    await upgrade(rt.engine)

    async with rt.engine.connect() as conn:
        rows = (await conn.execute(sa.text(
            "SELECT t.id, t.name, s.work_id FROM status_tags st JOIN tags t ON t.id = st.tag_id "
            "JOIN statuses s ON s.id = st.status_id"))).all()
        names = dict((await conn.execute(sa.text("SELECT id, name FROM tags"))).all())
    assert sorted(rows) == [(101, "wroclaw", 1), (101, "wroclaw", 2), (102, "lodz", 3), (103, "birds", 3)]
    assert names == {101: "wroclaw", 102: "lodz", 103: "birds"}
