"""services/visibility.py: who may see which status, on the real database (SQLite, or PostgreSQL when configured).

alice (local) and remi (remote) each have a public, an unlisted, a followers-only and a direct post, all
addressed to ada. fay follows both (accepted); pat asked to (pending); sam is a stranger. The SQL condition,
the per-status ``may_see`` and, for remi's notes, the older note rule of db/audience.py must all agree.
"""

from __future__ import annotations

from pathlib import Path
from typing import AsyncIterator

import pytest
from sqlalchemy import select

from fediverse.models import (
    ACCEPTED, PENDING, Account, Follow, RemoteNote, RemoteNoteAudience, Status, StatusAudience, Work, utcnow,
)
from fediverse.runtime import Runtime
from fediverse.services.visibility import may_see, note_may_see, note_visible_to, visible_to
from fediverse.snowflake import new_id
from tests.support import bare_runtime

VISIBILITIES = ("public", "unlisted", "private", "direct")
VIEWERS = ("signed out", "sam", "pat", "fay", "ada", "alice", "remote")
# who sees each visibility of alice's own posts and of remi's (remi is remote: no local author to see them)
SEES_ALICES = {"public": set(VIEWERS), "unlisted": set(VIEWERS), "private": {"fay", "ada", "alice"},
               "direct": {"ada", "alice"}}
SEES_REMIS = {**SEES_ALICES, "private": {"fay", "ada"}, "direct": {"ada"}}


@pytest.fixture
async def rt(tmp_path: Path) -> AsyncIterator[Runtime]:
    async with bare_runtime(tmp_path, "db.test") as runtime:
        yield runtime


def person(name: str, domain: str | None = None) -> Account:
    base = f"https://{domain or 'db.test'}/users/{name}"
    return Account(uri=base, handle=f"{name}@{domain}" if domain else name, username=name, domain=domain,
                   inbox_url=f"{base}/inbox")


async def world(session) -> tuple[dict[str, Account | None], dict[tuple[str, str], Status]]:  # type: ignore[no-untyped-def]
    people = {name: person(name) for name in ("alice", "sam", "pat", "fay", "ada")}
    people["remi"] = person("remi", "remote.test")
    people["remote"] = person("rosa", "elsewhere.test")  # a remote account is no viewer: as signed out
    session.add_all(people.values())
    await session.flush()
    for follower, state in (("fay", ACCEPTED), ("pat", PENDING)):
        for author in ("alice", "remi"):
            session.add(Follow(uri=f"https://x.test/follows/{follower}-{author}", follower_id=people[follower].id,
                               followee_id=people[author].id, follower_inbox="https://x.test/inbox", state=state))
    statuses: dict[tuple[str, str], Status] = {}
    for visibility in VISIBILITIES:
        work = Work(public_id=f"w-{visibility}", uri=f"https://db.test/works/{visibility}", account=people["alice"])
        note = RemoteNote(uri=f"https://remote.test/notes/{visibility}", account_id=people["remi"].id, raw={},
                          visibility=visibility)
        session.add_all([work, note])
        await session.flush()
        session.add(RemoteNoteAudience(note_id=note.id, iri=people["ada"].uri))
        for author, kind in (("alice", {"work_id": work.id}), ("remi", {"remote_note_id": note.id})):
            status = Status(id=new_id(), account_id=people[author].id, visibility=visibility, created_at=utcnow(),
                            **kind)
            session.add(status)
            await session.flush()
            session.add(StatusAudience(status_id=status.id, account_id=people["ada"].id))
            statuses[(author, visibility)] = status
    await session.commit()
    viewers: dict[str, Account | None] = {name: people[name] for name in VIEWERS if name != "signed out"}
    viewers["signed out"] = None
    return viewers, statuses


async def test_the_visibility_matrix_for_every_viewer_in_sql_and_per_status(rt: Runtime) -> None:
    async with rt.sessions() as session:
        viewers, statuses = await world(session)
        names = {status.id: key for key, status in statuses.items()}
        for viewer_name, viewer in viewers.items():
            seen = {names[i] for i in await session.scalars(select(Status.id).where(visible_to(viewer)))}
            expected = {(author, v) for author, rule in (("alice", SEES_ALICES), ("remi", SEES_REMIS))
                        for v, who in rule.items() if viewer_name in who}
            assert seen == expected, viewer_name
            for key, status in statuses.items():
                assert await may_see(session, status, viewer) is (key in expected), (viewer_name, key)


async def test_the_note_rule_and_the_status_rule_agree_on_remote_notes(rt: Runtime) -> None:
    async with rt.sessions() as session:
        viewers, statuses = await world(session)
        for viewer_name, viewer in viewers.items():
            notes = set(await session.scalars(select(RemoteNote.id).where(note_visible_to(viewer))))
            through_status = {s.remote_note_id for s in statuses.values() if s.remote_note_id is not None
                              and await may_see(session, s, viewer)}
            assert notes == through_status, viewer_name
            for note_id in through_status:
                assert await note_may_see(session, note_id, viewer)


async def test_following_one_author_opens_only_that_authors_followers_only_posts(rt: Runtime) -> None:
    async with rt.sessions() as session:
        viewers, statuses = await world(session)
        sam, pat = viewers["sam"], viewers["pat"]
        assert sam is not None and pat is not None
        session.add(Follow(uri="https://x.test/follows/sam-pat", follower_id=sam.id, followee_id=pat.id,
                           follower_inbox="https://x.test/inbox", state=ACCEPTED))
        work = Work(public_id="w-pat", uri="https://db.test/works/pat", account_id=pat.id)
        session.add(work)
        await session.flush()
        pats = Status(id=new_id(), account_id=pat.id, work_id=work.id, visibility="private", created_at=utcnow())
        session.add(pats)
        await session.commit()
        assert await may_see(session, pats, sam) and await may_see(session, pats, pat)
        assert not await may_see(session, pats, viewers["fay"]) and not await may_see(session, pats, None)
        for visibility in ("private", "direct"):
            for author in ("alice", "remi"):
                assert not await may_see(session, statuses[(author, visibility)], sam)
                assert not await may_see(session, statuses[(author, visibility)], pat)
