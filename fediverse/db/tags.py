"""Tags of statuses: indexing a post's hashtags, finding a tag, and the statuses of a tag page.

Nothing here commits: the use case that stores the post (services/works.py, the inbox) commits, so a post and
its tags are stored together.
"""

from __future__ import annotations

from typing import Iterable

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.models import Account, Status
from fediverse.models.tags import MAX_TAG, StatusTag, Tag, display_form, normalize_tag

MAX_TAGS_PER_STATUS = 100  # a hostile note with thousands of tags is indexed by its first hundred


def normalized(names: Iterable[str]) -> dict[str, str]:
    """name -> display form, in order, without repeats or invalid names."""
    found: dict[str, str] = {}
    for written in list(names)[:MAX_TAGS_PER_STATUS]:
        name = normalize_tag(written) if isinstance(written, str) else None
        if name is not None and name not in found:
            found[name] = display_form(written) or name
    return found


async def _tag_ids(session: AsyncSession, wanted: dict[str, str]) -> list[int]:
    """Ids of the named tags, created when missing (a concurrent insert of the same name is tolerated)."""
    existing = dict((await session.execute(select(Tag.name, Tag.id).where(Tag.name.in_(list(wanted))))).all())
    for name, shown in wanted.items():
        if name in existing:
            continue
        try:
            async with session.begin_nested():
                tag = Tag(name=name, display_name=shown[:MAX_TAG * 4])
                session.add(tag)
            existing[name] = tag.id
        except IntegrityError:
            existing[name] = (await session.scalar(select(Tag.id).where(Tag.name == name)))  # type: ignore[assignment]
    return [existing[name] for name in wanted]


async def index_tags(session: AsyncSession, status_id: int, names: Iterable[str]) -> list[str]:
    """Make the status carry exactly these hashtags (names as written, ``#`` optional; invalid ones ignored).
    Returns the normalised names kept. Never commits."""
    wanted = normalized(names)
    ids = await _tag_ids(session, wanted) if wanted else []
    current = set(await session.scalars(select(StatusTag.tag_id).where(StatusTag.status_id == status_id)))
    gone = current - set(ids)
    if gone:
        await session.execute(delete(StatusTag).where(StatusTag.status_id == status_id, StatusTag.tag_id.in_(gone)))
    for tag_id in dict.fromkeys(ids):
        if tag_id not in current:
            session.add(StatusTag(status_id=status_id, tag_id=tag_id))
    await session.flush()
    return list(wanted)


async def by_name(session: AsyncSession, name: str) -> Tag | None:
    """The tag with this normalised name."""
    return await session.scalar(select(Tag).where(Tag.name == name))


async def with_prefix(session: AsyncSession, prefix: str, limit: int = 10) -> list[Tag]:
    """Tags whose normalised name starts with ``prefix`` (the unique index serves the range scan)."""
    if not prefix:
        return []
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    rows = await session.scalars(select(Tag).where(Tag.name >= prefix, Tag.name < upper)
                                 .order_by(Tag.name).limit(limit))
    return list(rows)


async def tagged(session: AsyncSession, tag_id: int, condition: ColumnElement[bool], *, max_id: int | None,
                 limit: int) -> list[Status]:
    """Statuses carrying the tag that match ``condition`` (the visibility rule), newest first, below ``max_id``;
    none by suspended or silenced accounts."""
    query = (select(Status).join(StatusTag, StatusTag.status_id == Status.id)
             .join(Account, Account.id == Status.account_id)
             .where(StatusTag.tag_id == tag_id, condition, Account.suspended_at.is_(None),
                    Account.silenced_at.is_(None)))
    if max_id is not None:
        query = query.where(StatusTag.status_id < max_id)
    # ordered by the tag row's copy of the id: the (tag_id, status_id) index is then walked newest first and
    # stops at the page; ordering by statuses.id made SQLite read every row of the tag and sort them
    return list(await session.scalars(query.order_by(StatusTag.status_id.desc()).limit(limit)))


async def status_of_work(session: AsyncSession, work_id: int) -> int | None:
    """The id of a work's status (None for a deleted work)."""
    return await session.scalar(select(Status.id).where(Status.work_id == work_id))
