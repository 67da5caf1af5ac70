"""How much disk the instance uses: each artist's work files, and the remote media cache (admin storage page);
and the page's two use cases, purging the cache and changing how long it keeps unused files.

Sizes are read off the files themselves (a stat per distinct key), so the page shows what is really on disk:
a file shared by two works counts once, a key whose file is missing counts nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.db import remote_media as media_db
from fediverse.models import Account, LocalUser, Work, WorkImage
from fediverse.services import modlog, remote_media, site_settings
from fediverse.services.works import store_for

if TYPE_CHECKING:
    from fediverse.runtime import Runtime

RETENTION_KEY = "media.remote_cache_retention_days"


@dataclass(frozen=True)
class ArtistUsage:
    username: str
    works: int
    files: int
    bytes: int


@dataclass(frozen=True)
class CacheUsage:
    files: int
    bytes: int
    failed: int  # remote files whose last fetch failed (nothing stored)
    retention_days: int


async def per_artist(rt: Runtime, session: AsyncSession) -> list[ArtistUsage]:
    """Every local artist (not the instance actor) with their works' originals and renditions, biggest first."""
    store = store_for(rt)
    rows = await session.execute(
        select(Account.id, Account.username).join(LocalUser, LocalUser.account_id == Account.id)
        .where(Account.actor_type != "Application"))
    accounts = {account_id: username for account_id, username in rows}
    keys: dict[int, set[str]] = {account_id: set() for account_id in accounts}
    works: dict[int, set[int]] = {account_id: set() for account_id in accounts}
    images = await session.execute(
        select(Work.account_id, Work.id, WorkImage.original_key, WorkImage.large_key, WorkImage.display_key,
               WorkImage.thumbnail_key).join(WorkImage, WorkImage.work_id == Work.id)
        .where(Work.account_id.in_(list(accounts))))
    for account_id, work_id, *image_keys in images:
        works[account_id].add(work_id)
        keys[account_id].update(key for key in image_keys if key)
    usage = []
    for account_id, username in accounts.items():
        sizes = [store.size_of(key) for key in keys[account_id]]
        stored = [size for size in sizes if size]
        usage.append(ArtistUsage(username, len(works[account_id]), len(stored), sum(stored)))
    return sorted(usage, key=lambda u: (-u.bytes, u.username))


async def remote_cache(rt: Runtime, session: AsyncSession) -> CacheUsage:
    files, size, failed = await media_db.cache_totals(session)
    return CacheUsage(files, size, failed, rt.settings.media.remote_cache_retention_days)


async def purge_remote_cache(rt: Runtime, session: AsyncSession, staff: LocalUser, *,
                             expired_only: bool) -> remote_media.Purged:
    """Delete cached remote files unused past the retention (or all of them), audited in the same commit."""
    days = rt.settings.media.remote_cache_retention_days
    purged = await remote_media.purge(rt, session, older_than_days=days if expired_only else None)
    modlog.record(session, staff, "storage.purge_remote", "storage", "remote media cache",
                  f"unused for more than {days} days" if expired_only else "everything",
                  files=purged.files, bytes=purged.bytes)
    await session.commit()
    return purged


async def set_cache_retention(rt: Runtime, session: AsyncSession, staff: LocalUser, days: int) -> None:
    """Change how long unused remote copies are kept (saved over instance.toml): audited, committed, and applied
    in this process at once."""
    before = rt.settings.media.remote_cache_retention_days
    new_settings = await site_settings.save(rt, session, {RETENTION_KEY: days})
    modlog.record(session, staff, "settings.change", "setting", RETENTION_KEY, "", before=before, after=days)
    await session.commit()
    site_settings.apply(rt, new_settings)
