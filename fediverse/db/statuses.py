"""Statuses written alongside the post they index: a work, a stored remote note, our boost of a note.

Every function here only adds, changes or deletes rows in the caller's session; the use case commits, in the
same transaction as the post itself, so a post never exists without its status (or the other way round).
"""

from __future__ import annotations

from datetime import datetime
from typing import Iterable

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.db.stream_events import DELETE, STATUS_UPDATE, Event, mark, status_event
from fediverse.models import (
    NOTE_VISIBILITY, WORK_VISIBILITY, Account, LocalNote, RemoteNote, RemoteNoteAudience, Status, StatusAudience, Work,
)
from fediverse.models.statuses import DIRECT
from fediverse.snowflake import id_for_published, new_id
from fediverse.models.base import utcnow


def work_visibility(work: Work) -> str:
    """The status visibility of a work; anything unknown is the closed one."""
    return WORK_VISIBILITY.get(work.visibility, DIRECT)


async def _local_accounts(session: AsyncSession, iris: Iterable[str]) -> list[int]:
    wanted = list(dict.fromkeys(iris))
    if not wanted:
        return []
    rows = await session.scalars(select(Account.id).where(Account.uri.in_(wanted), Account.domain.is_(None)))
    return sorted(set(rows))


async def _mark_deleted(session: AsyncSession, which: ColumnElement[bool]) -> None:
    """Streaming clients hear of the deletion once it commits (db/stream_events.py)."""
    rows = await session.execute(select(Status.id, Status.account_id, Status.visibility).where(which))
    for status_id, account_id, visibility in rows:
        mark(session, Event(DELETE, status_id, account_id, visibility))


async def _set_audience(session: AsyncSession, status_id: int, iris: Iterable[str], *, author_id: int) -> None:
    await session.execute(delete(StatusAudience).where(StatusAudience.status_id == status_id))
    for account_id in await _local_accounts(session, iris):
        if account_id != author_id:
            session.add(StatusAudience(status_id=status_id, account_id=account_id))


def _mentioned(work: Work) -> list[str]:
    return [m["uri"] for m in work.mentions if isinstance(m, dict) and isinstance(m.get("uri"), str)]


async def add_for_work(session: AsyncSession, work: Work) -> Status:
    """The status of a just-posted work (flushed, so it has its id); addressed to the local accounts it mentions."""
    status = Status(id=new_id(), account_id=work.account_id, work_id=work.id, visibility=work_visibility(work),
                    created_at=work.published_at)
    session.add(status)
    await session.flush()
    await _set_audience(session, status.id, _mentioned(work), author_id=work.account_id)
    return status


async def sync_work(session: AsyncSession, work: Work) -> None:
    """After an edit: the visibility and the mentioned accounts may have changed (a work without a status, made
    before statuses existed and not backfilled, gets one)."""
    status = await session.scalar(select(Status).where(Status.work_id == work.id))
    if status is None:
        await add_for_work(session, work)
        return
    status.visibility = work_visibility(work)
    await _set_audience(session, status.id, _mentioned(work), author_id=work.account_id)
    mark(session, status_event(STATUS_UPDATE, status))


async def remove_for_work(session: AsyncSession, work_id: int) -> None:
    """A tombstoned work leaves every timeline (the row stays for its 410, the status and its boosts go)."""
    await _mark_deleted(session, Status.work_id == work_id)
    await session.execute(delete(Status).where(Status.work_id == work_id))


async def add_for_note(session: AsyncSession, note: RemoteNote, addressed: Iterable[str]) -> Status:
    """The status of a just-stored remote note: id from its published time (never later than now)."""
    status = Status(id=id_for_published(note.published_at, utcnow()), account_id=note.account_id,
                    remote_note_id=note.id, visibility=note.visibility, created_at=note.published_at)
    session.add(status)
    await session.flush()
    await _set_audience(session, status.id, addressed, author_id=note.account_id)
    return status


async def for_note(session: AsyncSession, note: RemoteNote) -> Status:
    """The note's status; made now from its stored audience when it has none yet."""
    status = await session.scalar(select(Status).where(Status.remote_note_id == note.id))
    if status is not None:
        return status
    iris = await session.scalars(select(RemoteNoteAudience.iri).where(RemoteNoteAudience.note_id == note.id))
    return await add_for_note(session, note, list(iris))


async def add_boost(session: AsyncSession, account_id: int, announce_uri: str, boosted: Status) -> Status:
    """Our account's boost: a status of its own (id: now) pointing at the boosted one, as public as that one."""
    status = Status(id=new_id(), account_id=account_id, reblog_of_id=boosted.id, uri=announce_uri,
                    visibility=boosted.visibility, created_at=utcnow())
    session.add(status)
    await session.flush()
    return status


async def remove_boost(session: AsyncSession, announce_uri: str) -> None:
    await session.execute(delete(Status).where(Status.uri == announce_uri, Status.reblog_of_id.is_not(None)))


async def sync_note(session: AsyncSession, note: RemoteNote, addressed: Iterable[str]) -> None:
    """After an applied edit: the note's visibility and addressed local accounts may have changed."""
    status = await session.scalar(select(Status).where(Status.remote_note_id == note.id))
    if status is None:
        await add_for_note(session, note, addressed)
        return
    status.visibility = note.visibility
    await _set_audience(session, status.id, addressed, author_id=note.account_id)
    mark(session, status_event(STATUS_UPDATE, status))


async def add_remote_boost(session: AsyncSession, account_id: int, announce_uri: str, boosted: Status, *,
                           visibility: str, published: datetime | None, addressed: Iterable[str]) -> Status:
    """A remote account's boost (its Announce): id from the Announce's published time (never later than now),
    visibility as the Announce is addressed."""
    now = utcnow()
    created = min(published, now) if published is not None else now
    status = Status(id=id_for_published(created, now), account_id=account_id, reblog_of_id=boosted.id,
                    uri=announce_uri, visibility=visibility, created_at=created)
    session.add(status)
    await session.flush()
    await _set_audience(session, status.id, addressed, author_id=account_id)
    return status


async def remove_boost_by(session: AsyncSession, announce_uri: str, account_id: int) -> int:
    """Undo of a boost: only the booster's own Announce goes."""
    result = await session.execute(delete(Status).where(
        Status.uri == announce_uri, Status.reblog_of_id.is_not(None), Status.account_id == account_id))
    return result.rowcount or 0


async def remove_for_notes(session: AsyncSession, note_ids: list[int]) -> None:
    """Before notes go: their statuses and every boost of them (the foreign keys cascade too; this says it)."""
    if not note_ids:
        return
    await _mark_deleted(session, Status.remote_note_id.in_(note_ids))
    own = select(Status.id).where(Status.remote_note_id.in_(note_ids))
    await session.execute(delete(Status).where(Status.reblog_of_id.in_(own)))
    await session.execute(delete(Status).where(Status.remote_note_id.in_(note_ids)))


async def by_uri(session: AsyncSession, uri: str) -> Status | None:
    return await session.scalar(select(Status).where(Status.uri == uri))


async def for_work_id(session: AsyncSession, work_id: int) -> Status | None:
    return await session.scalar(select(Status).where(Status.work_id == work_id))


async def for_local_note(session: AsyncSession, note_id: int) -> Status | None:
    return await session.scalar(select(Status).where(Status.local_note_id == note_id))


def local_note_visibility(note: LocalNote) -> str:
    """The status visibility of a local note; anything unknown is the closed one."""
    return NOTE_VISIBILITY.get(note.visibility, DIRECT)


async def add_for_local_note(session: AsyncSession, note: LocalNote, addressed: Iterable[str]) -> Status:
    """The status of a just-posted local note: its id is the note's public id (minted first, so the note's uri
    and page name it); addressed to the local accounts among ``addressed``."""
    status = Status(id=int(note.public_id), account_id=note.account_id, local_note_id=note.id,
                    visibility=local_note_visibility(note), created_at=note.published_at)
    session.add(status)
    await session.flush()
    await _set_audience(session, status.id, addressed, author_id=note.account_id)
    return status


async def remove_for_local_note(session: AsyncSession, note_id: int) -> None:
    """A deleted local note leaves every timeline, with the boosts of it."""
    await _mark_deleted(session, Status.local_note_id == note_id)
    own = select(Status.id).where(Status.local_note_id == note_id)
    await session.execute(delete(Status).where(Status.reblog_of_id.in_(own)))
    await session.execute(delete(Status).where(Status.local_note_id == note_id))


async def by_id(session: AsyncSession, status_id: int) -> Status | None:
    return await session.get(Status, status_id)
