"""Migration 0009 on a database that already holds works and remote notes (SQLite, or PostgreSQL when
configured): works' tags and the Hashtag entries of notes' raw JSON become status_tags, every live work gets its
search document, and the downgrade to 0008 removes it all again."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import AsyncIterator

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory

from fediverse.db import search as search_db
from fediverse.db.migrate import alembic_config, upgrade
from fediverse.models import Work
from fediverse.runtime import Runtime
from tests.support import bare_runtime
from tests.test_migration_statuses import ALICE, FELIX, account, accounts, note, notes, work, works

REVISION = "0009"
T0 = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
images = sa.table("work_images", *(sa.column(name) for name in (
    "id", "work_id", "position", "alt_text", "original_key", "original_mime", "large_key", "large_mime",
    "display_key", "thumbnail_key", "width", "height", "large_width", "large_height", "blurhash", "focal_x",
    "focal_y", "ai_generated")))


@pytest.fixture
async def rt(tmp_path: Path) -> AsyncIterator[Runtime]:
    async with bare_runtime(tmp_path, "db.test", migrate=False) as runtime:
        yield runtime


def image(n: int, work_id: int, alt: str) -> dict[str, object]:
    return {"id": n, "work_id": work_id, "position": 0, "alt_text": alt, "original_key": f"o{n}",
            "original_mime": "image/jpeg", "large_key": f"l{n}", "large_mime": "image/jpeg", "display_key": f"d{n}",
            "thumbnail_key": f"t{n}", "width": 1, "height": 1, "large_width": 1, "large_height": 1, "blurhash": "x",
            "focal_x": 0.0, "focal_y": 0.0, "ai_generated": False}


async def test_existing_posts_get_tags_and_search_documents_and_downgrade_removes_them(rt: Runtime) -> None:
    previous = ScriptDirectory.from_config(alembic_config("sqlite://")).get_revision(REVISION).down_revision
    assert previous == "0008"
    await upgrade(rt.engine, "0007")  # posts from before statuses: 0008 gives them statuses, 0009 tags
    async with rt.engine.begin() as conn:
        await conn.execute(accounts.insert(), [account(1, ALICE, None), account(3, FELIX, "masto.test")])
        await conn.execute(works.insert(), [
            {**work(1, T0), "title": "Heron at dusk", "tags": ["Birds", "café", "123"]},
            {**work(2, T0, deleted=True), "title": "Deleted heron", "tags": ["birds"]},
        ])
        await conn.execute(images.insert(), [image(1, 1, "grey feathers in the reeds")])
        first, second = note(1, T0, "public"), note(2, T0, "private")
        first["raw"] = {"id": first["uri"], "type": "Note", "tag": [
            {"type": "Hashtag", "name": "#BIRDS"}, {"type": "Mention", "name": "@x"},
            {"type": "Hashtag", "name": "#Café"}, {"type": "Hashtag", "name": "#"}, {"type": "Hashtag"}, "junk"]}
        second["raw"] = {"id": second["uri"], "type": "Note", "tag": {"type": "Hashtag", "name": "#solo"}}
        await conn.execute(notes.insert(), [first, second])
    await upgrade(rt.engine)

    async with rt.engine.connect() as conn:
        tagged = sorted((await conn.execute(sa.text(
            "SELECT s.work_id, s.remote_note_id, t.name FROM status_tags st JOIN statuses s ON s.id = st.status_id "
            "JOIN tags t ON t.id = st.tag_id"))).all(), key=str)
        shown = dict((await conn.execute(sa.text("SELECT name, display_name FROM tags"))).all())
    assert tagged == sorted([(1, None, "birds"), (1, None, "cafe"), (None, 1, "birds"), (None, 1, "cafe"),
                             (None, 2, "solo")], key=str)
    assert shown["birds"] == "Birds" and shown["solo"] == "solo"

    async with rt.sessions() as session:
        for query, found in (("heron", [1]), ("feathers reeds", [1]), ("deleted", [])):
            condition = search_db.matching(session, query)
            assert condition is not None
            assert list(await session.scalars(sa.select(Work.id).where(condition))) == found

    def downgrade(connection: sa.Connection) -> None:
        config = alembic_config(rt.engine.url.render_as_string(hide_password=False))
        config.attributes["connection"] = connection
        command.downgrade(config, "0008")

    async with rt.engine.begin() as conn:
        await conn.run_sync(downgrade)
    async with rt.engine.connect() as conn:
        names = await conn.run_sync(lambda c: set(sa.inspect(c).get_table_names()))
    assert not {"tags", "status_tags", "work_search"} & names
    assert "statuses" in names
    await upgrade(rt.engine)  # and up again on the same data
