"""Migration 0008 on a database that already holds works and remote notes (SQLite, or PostgreSQL when
configured): each live work and each note gets a status whose snowflake id follows its published time, unique
even within one millisecond, with its addressed local accounts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, AsyncIterator

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from fediverse.db.migrate import alembic_config, upgrade
from fediverse.models import utcnow
from fediverse.models.base import UTCDateTime
from fediverse.runtime import Runtime
from fediverse.snowflake import lowest_id_at, time_of
from tests.support import bare_runtime

REVISION = "0008"  # this migration (renumber with it)
T0 = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
ALICE = "https://db.test/users/alice"
BOB = "https://db.test/users/bob"
FELIX = "https://masto.test/users/felix"

accounts = sa.table("accounts", *(sa.column(name) for name in (
    "id", "uri", "handle", "username", "domain", "actor_type", "display_name", "summary", "inbox_url",
    "followers_url", "manually_approves_followers", "discoverable", "indexable")),
    sa.column("fields", sa.JSON), sa.column("created_at", UTCDateTime()))
works = sa.table("works", *(sa.column(name) for name in (
    "id", "public_id", "uri", "account_id", "title", "description", "content_html", "summary", "sensitive",
    "visibility", "ai_generated", "position")),
    sa.column("tags", sa.JSON), sa.column("mentions", sa.JSON), sa.column("published_at", UTCDateTime()),
    sa.column("deleted_at", UTCDateTime()))
notes = sa.table("remote_notes", *(sa.column(name) for name in (
    "id", "uri", "account_id", "content_html", "summary", "sensitive", "visibility")),
    sa.column("raw", sa.JSON), sa.column("published_at", UTCDateTime()))
audience = sa.table("remote_note_audience", sa.column("note_id"), sa.column("iri"))


@pytest.fixture
async def rt(tmp_path: Path) -> AsyncIterator[Runtime]:
    async with bare_runtime(tmp_path, "db.test", migrate=False) as runtime:
        yield runtime


def account(n: int, uri: str, domain: str | None) -> dict[str, Any]:
    name = uri.rsplit("/", 1)[1]
    return {"id": n, "uri": uri, "handle": f"{name}@{domain}" if domain else name, "username": name,
            "domain": domain, "actor_type": "Person", "display_name": "", "summary": "", "inbox_url": f"{uri}/inbox",
            "followers_url": f"{uri}/followers", "manually_approves_followers": False, "discoverable": False,
            "indexable": False, "fields": [], "created_at": utcnow()}


def work(n: int, published: datetime, visibility: str = "public", mentions: list[dict[str, str]] | None = None,
         deleted: bool = False) -> dict[str, Any]:
    return {"id": n, "public_id": f"w{n}", "uri": f"{ALICE}/works/w{n}", "account_id": 1, "title": "",
            "description": "", "content_html": "", "summary": "", "sensitive": False, "visibility": visibility,
            "ai_generated": False, "position": n, "tags": [], "mentions": mentions or [], "published_at": published,
            "deleted_at": utcnow() if deleted else None}


def note(n: int, published: datetime, visibility: str) -> dict[str, Any]:
    uri = f"{FELIX}/statuses/{n}"
    return {"id": n, "uri": uri, "account_id": 3, "content_html": "", "summary": "", "sensitive": False,
            "visibility": visibility, "raw": {"id": uri, "type": "Note"}, "published_at": published}


async def test_existing_works_and_notes_get_statuses_ordered_by_published_time(rt: Runtime) -> None:
    previous = ScriptDirectory.from_config(alembic_config("sqlite://")).get_revision(REVISION).down_revision
    assert isinstance(previous, str)
    await upgrade(rt.engine, previous)
    same_ms = T0 + timedelta(hours=1, microseconds=123_000)
    async with rt.engine.begin() as conn:
        await conn.execute(accounts.insert(), [account(1, ALICE, None), account(2, BOB, None),
                                               account(3, FELIX, "masto.test")])
        await conn.execute(works.insert(), [
            work(1, T0 + timedelta(days=2)),
            work(2, T0, "followers", mentions=[{"uri": BOB, "acct": "bob"}, {"uri": FELIX, "acct": "felix@masto.test"}]),
            work(3, same_ms, "unlisted"),
            work(4, T0 + timedelta(days=1), deleted=True),  # a tombstone: in no timeline
        ])
        await conn.execute(notes.insert(), [
            note(1, same_ms, "direct"),  # the same millisecond as work 3
            note(2, same_ms + timedelta(microseconds=500), "private"),  # and again
            note(3, T0 - timedelta(days=1), "public"),
            note(4, datetime(2999, 1, 1, tzinfo=UTC), "public"),  # a clock (or a liar) from the future
        ])
        await conn.execute(audience.insert(), [{"note_id": 1, "iri": ALICE}, {"note_id": 1, "iri": FELIX},
                                               {"note_id": 2, "iri": f"{FELIX}/followers"}])

    before = utcnow()
    await upgrade(rt.engine)

    async with rt.engine.connect() as conn:
        rows = (await conn.execute(sa.text(
            "SELECT id, work_id, remote_note_id, account_id, visibility FROM statuses ORDER BY id"))).all()
        addressed = sorted(("w" if w else "n") + str(w or n) + f">{account_id}" for w, n, account_id in
                           await conn.execute(sa.text(
                               "SELECT s.work_id, s.remote_note_id, a.account_id FROM status_audience a "
                               "JOIN statuses s ON s.id = a.status_id")))
    order = [("w" if w else "n") + str(w or n) for _id, w, n, _a, _v in rows]
    assert order == ["n3", "w2", "w3", "n1", "n2", "w1", "n4"]  # published order; same ms by kind, then row id
    ids = [row[0] for row in rows]
    assert len(set(ids)) == len(ids) and all(0 < i < 2**63 for i in ids)
    by_post = {name: row for name, row in zip(order, rows)}
    assert by_post["n3"][0] == lowest_id_at(T0 - timedelta(days=1))
    assert by_post["w3"][0] == lowest_id_at(same_ms)
    assert by_post["n1"][0] == by_post["w3"][0] + 1 and by_post["n2"][0] == by_post["w3"][0] + 2
    assert before <= time_of(by_post["n4"][0]) <= utcnow()  # clamped to the migration's now
    assert {name: row[4] for name, row in by_post.items()} == {
        "w1": "public", "w2": "private", "w3": "unlisted", "n1": "direct", "n2": "private", "n3": "public",
        "n4": "public"}
    assert {name: row[3] for name, row in by_post.items()} == {
        "w1": 1, "w2": 1, "w3": 1, "n1": 3, "n2": 3, "n3": 3, "n4": 3}
    # bob mentioned by work 2 (felix is not local); alice addressed by note 1 (the followers collection is no one)
    assert addressed == ["n1>1", "w2>2"]
