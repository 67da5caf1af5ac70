"""Migration 0010 on a database that already holds statuses, boosts and their audience (SQLite, or PostgreSQL
when configured): nothing is lost when SQLite rebuilds ``statuses``, stored notes get their reply link from the
raw JSON, the one-kind CHECK counts local notes, and the downgrade gives the old shape back."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import AsyncIterator

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from fediverse.db.migrate import upgrade
from fediverse.runtime import Runtime
from tests.support import bare_runtime
from tests.test_migration_statuses import ALICE, BOB, FELIX, account, accounts, note, notes, work, works

REVISION = "0010"
PREVIOUS = "0009"
T0 = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
async def rt(tmp_path: Path) -> AsyncIterator[Runtime]:
    async with bare_runtime(tmp_path, "db.test", migrate=False) as runtime:
        yield runtime


async def _rows(rt: Runtime, sql: str) -> list[tuple[object, ...]]:
    async with rt.engine.connect() as conn:
        return [tuple(row) for row in await conn.execute(sa.text(sql))]


async def test_statuses_boosts_and_audience_survive_and_reply_links_are_filled(rt: Runtime) -> None:
    await upgrade(rt.engine, PREVIOUS)
    reply = note(2, T0, "direct")
    reply["raw"] = {"id": reply["uri"], "type": "Note", "inReplyTo": f"{ALICE}/works/w1"}
    threaded = note(3, T0, "public")
    threaded["raw"] = {"id": threaded["uri"], "type": "Note", "inReplyTo": {"id": f"{FELIX}/statuses/1"}}
    async with rt.engine.begin() as conn:
        await conn.execute(accounts.insert(), [account(1, ALICE, None), account(2, BOB, None),
                                               account(3, FELIX, "masto.test")])
        await conn.execute(works.insert(), [work(1, T0)])
        await conn.execute(notes.insert(), [note(1, T0, "public"), reply, threaded])
    await upgrade(rt.engine, PREVIOUS)  # statuses of 0008 exist only for rows made by the backfill: add ours
    async with rt.engine.begin() as conn:
        await conn.execute(sa.text("INSERT INTO statuses (id, account_id, work_id, visibility, created_at) "
                                   "VALUES (10, 1, 1, 'public', '2025-03-01 12:00:00.000000')"))
        for n, note_id, vis in ((11, 1, "public"), (12, 2, "direct"), (13, 3, "public")):
            await conn.execute(sa.text(
                "INSERT INTO statuses (id, account_id, remote_note_id, visibility, created_at) "
                f"VALUES ({n}, 3, {note_id}, '{vis}', '2025-03-01 12:00:00.000000')"))
        await conn.execute(sa.text("INSERT INTO statuses (id, account_id, reblog_of_id, uri, visibility, created_at)"
                                   " VALUES (20, 2, 11, 'https://db.test/users/bob/boosts/1', 'public',"
                                   " '2025-03-01 12:00:00.000000')"))
        await conn.execute(sa.text("INSERT INTO status_audience (status_id, account_id) VALUES (12, 1)"))
    before = await _rows(rt, "SELECT id, account_id, work_id, remote_note_id, reblog_of_id, uri, visibility "
                             "FROM statuses ORDER BY id")

    await upgrade(rt.engine, REVISION)

    after = await _rows(rt, "SELECT id, account_id, work_id, remote_note_id, reblog_of_id, uri, visibility "
                            "FROM statuses ORDER BY id")
    assert after == before
    assert await _rows(rt, "SELECT status_id, account_id FROM status_audience") == [(12, 1)]
    assert await _rows(rt, "SELECT id, in_reply_to_uri FROM remote_notes ORDER BY id") == [
        (1, None), (2, f"{ALICE}/works/w1"), (3, f"{FELIX}/statuses/1")]
    async with rt.engine.begin() as conn:
        await conn.execute(sa.text(
            "INSERT INTO local_notes (id, public_id, uri, account_id, content, content_html, summary, sensitive, "
            "visibility, tags, mentions, published_at) VALUES (1, '30', 'https://db.test/users/bob/notes/30', 2, "
            "'hi', '<p>hi</p>', '', false, 'public', '[]', '[]', '2025-03-01 12:00:00.000000')"))
        await conn.execute(sa.text("INSERT INTO statuses (id, account_id, local_note_id, visibility, created_at) "
                                   "VALUES (30, 2, 1, 'public', '2025-03-01 12:00:00.000000')"))
    with pytest.raises(IntegrityError):  # two kinds at once: the CHECK counts local notes
        async with rt.engine.begin() as conn:
            await conn.execute(sa.text(
                "INSERT INTO statuses (id, account_id, local_note_id, work_id, visibility, created_at) "
                "VALUES (31, 2, 1, 1, 'public', '2025-03-01 12:00:00.000000')"))

    await upgrade_down(rt, PREVIOUS)
    assert await _rows(rt, "SELECT id, account_id, work_id, remote_note_id, reblog_of_id, uri, visibility "
                           "FROM statuses ORDER BY id") == before
    assert await _rows(rt, "SELECT status_id, account_id FROM status_audience") == [(12, 1)]


async def upgrade_down(rt: Runtime, revision: str) -> None:
    from alembic import command

    from fediverse.db.migrate import alembic_config

    def run(connection: sa.Connection) -> None:
        config = alembic_config(rt.engine.url.render_as_string(hide_password=False))
        config.attributes["connection"] = connection
        command.downgrade(config, revision)

    async with rt.engine.begin() as conn:
        await conn.run_sync(run)
