"""Queries on the remote media cache (``RemoteMedia`` rows): lookups, what to purge, how big the cache is."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.db.upsert import insert_or_skip
from fediverse.models import RemoteMedia


async def by_url(session: AsyncSession, url: str) -> RemoteMedia | None:
    return await session.scalar(select(RemoteMedia).where(RemoteMedia.url == url))


async def insert_new(session: AsyncSession, url: str, *, account_id: int, note_id: int | None = None) -> int | None:
    """A new row for `url` and its id, or None when the URL has a row already. Two notes with the same file may
    be stored at once (the same image posted twice, two posts of one author and their avatar): insert-or-skip
    on the unique URL, so the job that loses the race goes on instead of failing on a unique violation."""
    return await session.scalar(insert_or_skip(session, RemoteMedia, "url", url=url, account_id=account_id,
                                               note_id=note_id).returning(RemoteMedia.id))


async def claim(session: AsyncSession, url: str, *, account_id: int, note_id: int | None) -> RemoteMedia:
    """The row for `url`, inserted if missing (see insert_new), whichever job created it."""
    await insert_new(session, url, account_id=account_id, note_id=note_id)
    row = await by_url(session, url)
    assert row is not None
    return row


async def by_token(session: AsyncSession, token: str) -> RemoteMedia | None:
    """The row a /media/remote/<token>/… URL names (tokens are random: see RemoteMedia.token)."""
    return await session.scalar(select(RemoteMedia).where(RemoteMedia.token == token))


async def cached_by_urls(session: AsyncSession, urls: list[str]) -> list[RemoteMedia]:
    """The cached (stored) copies of these remote URLs (attachments, avatars), in the order first seen."""
    if not urls:
        return []
    rows = await session.scalars(select(RemoteMedia).where(
        RemoteMedia.url.in_(list(dict.fromkeys(urls))[:500]), RemoteMedia.storage_key.is_not(None))
        .order_by(RemoteMedia.id))
    return list(rows)


async def owned_by(session: AsyncSession, *, note_id: int | None, account_id: int | None) -> list[RemoteMedia]:
    """The rows of a note's attachments, or of everything an actor's notes and profile brought in."""
    if note_id is not None:
        query = select(RemoteMedia).where(RemoteMedia.note_id == note_id)
    elif account_id is not None:
        query = select(RemoteMedia).where(RemoteMedia.account_id == account_id)
    else:
        return []
    return list(await session.scalars(query.order_by(RemoteMedia.id)))


async def stored_unused_since(session: AsyncSession, cutoff: datetime | None, *, limit: int) -> list[RemoteMedia]:
    """Cached copies not used since ``cutoff`` (every cached copy when None), oldest first."""
    query = select(RemoteMedia).where(RemoteMedia.storage_key.is_not(None))
    if cutoff is not None:
        used = func.coalesce(RemoteMedia.last_used_at, RemoteMedia.fetched_at, RemoteMedia.created_at)
        query = query.where(used < cutoff)
    return list(await session.scalars(query.order_by(RemoteMedia.id).limit(limit)))


async def key_in_use(session: AsyncSession, key: str, *, besides: int) -> bool:
    """Content addressing: two URLs may give the same bytes; a file is deleted only when no other row has it."""
    found = await session.scalar(select(RemoteMedia.id).where(
        RemoteMedia.storage_key == key, RemoteMedia.id != besides).limit(1))
    return found is not None


async def cache_totals(session: AsyncSession) -> tuple[int, int, int]:
    """(cached files, their bytes, rows whose last fetch failed)."""
    count, size = (await session.execute(select(func.count(), func.coalesce(func.sum(RemoteMedia.size), 0))
                                         .where(RemoteMedia.storage_key.is_not(None)))).one()
    failed = await session.scalar(select(func.count()).select_from(RemoteMedia).where(
        RemoteMedia.fetch_error.is_not(None), RemoteMedia.storage_key.is_(None)))
    return int(count), int(size), int(failed or 0)
