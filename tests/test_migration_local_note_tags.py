"""Migration 0014 on a database holding local text notes posted before their hashtags were indexed (SQLite, or
PostgreSQL when configured): each live note's tags become status_tags (existing tags reused, new ones made,
names normalised), a deleted note and an already indexed pair are left alone, so tag pages list the old notes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, AsyncIterator

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from fediverse.db.migrate import alembic_config, upgrade
from fediverse.runtime import Runtime
from tests.support import bare_runtime
from tests.test_migration_statuses import ALICE, account, accounts

REVISION = "0014"
T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
local_notes = sa.table("local_notes", *(sa.column(name) for name in (
    "id", "public_id", "uri", "account_id", "content", "content_html", "summary", "sensitive", "visibility",
    "published_at", "deleted_at")), sa.column("tags", sa.JSON), sa.column("mentions", sa.JSON))
statuses = sa.table("statuses", *(sa.column(name) for name in (
    "id", "account_id", "local_note_id", "visibility", "created_at")))
tags = sa.table("tags", *(sa.column(name) for name in ("id", "name", "display_name", "created_at")))
status_tags = sa.table("status_tags", sa.column("status_id"), sa.column("tag_id"))


def local_note(n: int, tag_names: list[Any], deleted: bool = False) -> dict[str, Any]:
    return {"id": n, "public_id": str(1000 + n), "uri": f"{ALICE}/notes/{n}", "account_id": 1, "content": "x",
            "content_html": "<p>x</p>", "summary": "", "sensitive": False, "visibility": "public", "tags": tag_names,
            "mentions": [], "published_at": T0, "deleted_at": T0 if deleted else None}


@pytest.fixture
async def rt(tmp_path: Path) -> AsyncIterator[Runtime]:
    async with bare_runtime(tmp_path, "db.test", migrate=False) as runtime:
        yield runtime


async def test_old_notes_get_their_tags_indexed_once(rt: Runtime) -> None:
    previous = ScriptDirectory.from_config(alembic_config("sqlite://")).get_revision(REVISION).down_revision
    assert previous == "0013"
    await upgrade(rt.engine, "0013")
    async with rt.engine.begin() as conn:
        await conn.execute(accounts.insert(), [account(1, ALICE, None)])
        await conn.execute(local_notes.insert(), [local_note(1, ["heron", "Ink"]), local_note(2, ["heron", 7, ""]),
                                                  local_note(3, ["gone"], deleted=True)])
        await conn.execute(statuses.insert(), [
            {"id": 10 + n, "account_id": 1, "local_note_id": n, "visibility": "public", "created_at": T0}
            for n in (1, 2, 3)])
        await conn.execute(tags.insert(), [{"id": 5, "name": "heron", "display_name": "Heron", "created_at": T0}])
        await conn.execute(status_tags.insert(), [{"status_id": 11, "tag_id": 5}])  # indexed already
    await upgrade(rt.engine)

    async with rt.engine.connect() as conn:
        rows = (await conn.execute(sa.text(
            "SELECT st.status_id, t.name FROM status_tags st JOIN tags t ON t.id = st.tag_id"))).all()
        names = dict((await conn.execute(sa.text("SELECT name, id FROM tags"))).all())
    assert sorted(rows) == [(11, "heron"), (11, "ink"), (12, "heron")]
    assert names["heron"] == 5 and "gone" not in names
