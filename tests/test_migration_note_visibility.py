"""Migration 0005 on a database that already holds remote notes and cached files (SQLite, or PostgreSQL when
configured): each note's visibility and audience come from its stored raw JSON, each file gets a random token."""

from __future__ import annotations

from pathlib import Path
from typing import Any, AsyncIterator

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from fediverse.activitypub.vocab import AS_PUBLIC
from fediverse.db.migrate import alembic_config, upgrade
from fediverse.models import utcnow
from fediverse.models.base import UTCDateTime
from fediverse.runtime import Runtime
from tests.support import bare_runtime

REVISION = "0005"  # this migration (renumber with it)
ACTOR = "https://masto.test/users/felix"
FOLLOWERS = f"{ACTOR}/followers"
ALICE = "https://db.test/users/alice"

accounts = sa.table("accounts", *(sa.column(name) for name in (
    "id", "uri", "handle", "username", "domain", "actor_type", "display_name", "summary", "inbox_url",
    "followers_url", "manually_approves_followers", "discoverable", "indexable")),
    sa.column("fields", sa.JSON), sa.column("created_at", UTCDateTime()))
notes = sa.table("remote_notes", *(sa.column(name) for name in (
    "id", "uri", "account_id", "content_html", "summary", "sensitive")),
    sa.column("raw", sa.JSON), sa.column("published_at", UTCDateTime()))
notifications = sa.table("notifications", sa.column("account_id"), sa.column("kind"), sa.column("actor_id"),
                         sa.column("note_id"), sa.column("created_at", UTCDateTime()))
media = sa.table("remote_media", sa.column("id"), sa.column("url"), sa.column("account_id"), sa.column("note_id"),
                 sa.column("size"), sa.column("created_at", UTCDateTime()))


@pytest.fixture
async def rt(tmp_path: Path) -> AsyncIterator[Runtime]:
    async with bare_runtime(tmp_path, "db.test", migrate=False) as runtime:
        yield runtime


def note(n: int, to: list[str], cc: list[str]) -> dict[str, Any]:
    """A row as the inbox stored it before 0005: Mastodon's Note JSON in ``raw``."""
    raw = {"id": f"{ACTOR}/statuses/{n}", "type": "Note", "attributedTo": ACTOR, "to": to, "cc": cc,
           "content": f"<p>note {n}</p>", "tag": [{"type": "Mention", "href": ALICE}]}
    return {"id": n, "uri": raw["id"], "account_id": 1, "content_html": raw["content"], "summary": "",
            "sensitive": False, "raw": raw, "published_at": utcnow()}


async def test_existing_notes_get_their_visibility_from_the_raw_json_and_files_a_token(rt: Runtime) -> None:
    previous = ScriptDirectory.from_config(alembic_config("sqlite://")).get_revision(REVISION).down_revision
    assert isinstance(previous, str)
    await upgrade(rt.engine, previous)
    async with rt.engine.begin() as conn:
        await conn.execute(accounts.insert().values(
            id=1, uri=ACTOR, handle="felix@masto.test", username="felix", domain="masto.test", actor_type="Person",
            display_name="", summary="", inbox_url=f"{ACTOR}/inbox", followers_url=FOLLOWERS,
            manually_approves_followers=False, discoverable=False, indexable=False, fields=[], created_at=utcnow()))
        await conn.execute(notes.insert(), [
            note(1, [FOLLOWERS], [ALICE]),  # followers-only, as Mastodon addresses it
            note(2, [AS_PUBLIC], [FOLLOWERS]),
            note(3, [FOLLOWERS], ["as:Public", ALICE]),
            note(4, [ALICE], []),
        ])
        await conn.execute(media.insert(), [
            {"id": n, "url": f"https://masto.test/media/{n}.jpg", "account_id": 1, "note_id": n, "size": 0,
             "created_at": utcnow()} for n in (1, 2)])
        await conn.execute(notifications.insert().values(account_id=1, kind="mention", actor_id=1, note_id=4,
                                                         created_at=utcnow()))

    await upgrade(rt.engine)

    async with rt.engine.connect() as conn:
        visibility = dict((await conn.execute(sa.text("SELECT id, visibility FROM remote_notes"))).all())
        audience = sorted((await conn.execute(sa.text("SELECT note_id, iri FROM remote_note_audience"))).all())
        tokens = [t for (t,) in await conn.execute(sa.text("SELECT token FROM remote_media ORDER BY id"))]
        kept = (await conn.execute(sa.text("SELECT count(*) FROM notifications"))).scalar()
    assert visibility == {1: "private", 2: "public", 3: "unlisted", 4: "direct"}
    assert audience == sorted([(1, FOLLOWERS), (1, ALICE), (2, FOLLOWERS), (3, FOLLOWERS), (3, ALICE), (4, ALICE)])
    assert len(set(tokens)) == 2 and all(len(t) >= 20 and not t.isdigit() for t in tokens)
    assert kept == 1  # nothing that points at a note was lost on the way (no cascading table rebuild)
