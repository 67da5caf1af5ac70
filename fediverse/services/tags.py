"""The tag page: local works, local text notes and stored remote posts carrying a hashtag, newest first, paged by status id.

A public listing, as Mastodon's tag timeline: only public statuses (unlisted, followers-only and direct ones
never appear, whoever looks), through the one visibility rule (services/visibility.py); nothing by suspended or
silenced accounts or from suspended or silenced domains.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from fediverse import snowflake
from fediverse.db import domain_policy
from fediverse.db import tags as tag_db
from fediverse.errors import Invalid, NotFound
from fediverse.models import Account, LocalNote, RemoteNote, Status, Work
from fediverse.models.statuses import PUBLIC
from fediverse.models.tags import lookup_name
from fediverse.services.visibility import visible_to

PAGE_SIZE = 24
index_tags = tag_db.index_tags  # the indexer the works service and the inbox call (never commits)


@dataclass(frozen=True)
class Entry:
    """One post on the tag page: a local work, a local text note or a stored remote note, with its status id
    (the page cursor)."""

    status_id: int
    work: Work | None = None
    note: RemoteNote | None = None
    local_note: LocalNote | None = None

    @property
    def uri(self) -> str:
        post = self.work or self.local_note or self.note
        assert post is not None
        return post.uri


@dataclass(frozen=True)
class TagPage:
    name: str  # normalised
    display_name: str
    entries: list[Entry]
    next_max_id: int | None  # the cursor of the next (older) page; None on the last page


def tag_name(raw: str) -> str:
    """The normalised name of a tag in a URL, or NotFound (hostile or invalid names match no tag)."""
    name = lookup_name(raw)
    if name is None:
        raise NotFound("no such tag")
    return name


def max_id_of(raw: str | None) -> int | None:
    """The ``max_id`` cursor: digits within a signed 64-bit id, else Invalid (a 400)."""
    if raw is None or raw == "":
        return None
    max_id = snowflake.parse_id(raw)
    if max_id is None:
        raise Invalid("max_id must be a status id (digits)")
    return max_id


@dataclass(frozen=True)
class _Rows:
    """The posts behind a page of statuses, by id (deleted ones missing)."""

    works: dict[int, Work]
    notes: dict[int, RemoteNote]
    local_notes: dict[int, LocalNote]


async def _rows(session: AsyncSession, statuses: list[Status]) -> _Rows:
    work_ids = [s.work_id for s in statuses if s.work_id is not None]
    note_ids = [s.remote_note_id for s in statuses if s.remote_note_id is not None]
    local_ids = [s.local_note_id for s in statuses if s.local_note_id is not None]
    works = {w.id: w for w in (await session.scalars(select(Work).options(joinedload(Work.images)).where(
        Work.id.in_(work_ids), Work.deleted_at.is_(None)))).unique()} if work_ids else {}  # images: same query
    notes = {n.id: n for n in await session.scalars(select(RemoteNote).where(
        RemoteNote.id.in_(note_ids)))} if note_ids else {}
    local = {n.id: n for n in await session.scalars(select(LocalNote).where(  # author: joined (lazy="joined")
        LocalNote.id.in_(local_ids), LocalNote.deleted_at.is_(None)))} if local_ids else {}
    return _Rows(works, notes, local)


def _entries(statuses: Iterable[Status], rows: _Rows, rules: dict[str, domain_policy.Rule]) -> list[Entry]:
    found = []
    for status in statuses:
        if status.work_id is not None and status.work_id in rows.works:
            found.append(Entry(status.id, work=rows.works[status.work_id]))
        elif status.local_note_id is not None and status.local_note_id in rows.local_notes:
            found.append(Entry(status.id, local_note=rows.local_notes[status.local_note_id]))
        elif status.remote_note_id is not None and status.remote_note_id in rows.notes:
            note = rows.notes[status.remote_note_id]
            rule = domain_policy.match(rules, note.account.domain or "")
            if rule is None or not (rule.suspended or rule.silenced):
                found.append(Entry(status.id, note=note))
    return found


async def tag_page(session: AsyncSession, raw_name: str, viewer: Account | None, *, max_id: int | None = None,
                   limit: int = PAGE_SIZE) -> TagPage:
    """One page of the tag ``raw_name`` (as in the URL) for ``viewer``: NotFound for a name that is no tag; an
    empty page for a valid name nobody used yet."""
    name = tag_name(raw_name)
    tag = await tag_db.by_name(session, name)  # its id as a constant: SQLite then walks the tag's index in order
    if tag is None:
        return TagPage(name=name, display_name=name, entries=[], next_max_id=None)
    condition = and_(visible_to(viewer), Status.visibility == PUBLIC)
    statuses = await tag_db.tagged(session, tag.id, condition, max_id=max_id, limit=limit + 1)
    more = len(statuses) > limit
    statuses = statuses[:limit]
    entries = _entries(statuses, await _rows(session, statuses), await domain_policy.hidden_hosts(session))
    return TagPage(name=name, display_name=tag.display_name or name, entries=entries,
                   next_max_id=statuses[-1].id if more and statuses else None)
