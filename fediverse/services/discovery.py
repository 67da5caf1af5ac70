"""The instance's front page: recent public works of this instance's artists, newest first, paged by status id.

Only ``public`` statuses are listed (unlisted ones stay off every public listing; visibility.visible_to(None)
is the outer rule). Works of suspended or silenced artists, deleted works and remote posts never appear. Works
of artists who opted out of search indexing do appear (this is the instance's own portfolio); the page marks
them so the headers and links follow that choice.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.models import Account, LocalUser, Status, Work
from fediverse.models.statuses import PUBLIC
from fediverse.services.visibility import visible_to

MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class RecentWorks:
    """One page of the front grid: (status id, work) newest first, and the id to page on from (None: the end)."""

    items: list[tuple[int, Work]]
    next_max_id: int | None


async def recent_public_works(session: AsyncSession, *, max_id: int | None, limit: int) -> RecentWorks:
    """Public works of local, approved, unsuspended, unsilenced artists with a status id below ``max_id``."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    stmt = (
        select(Status.id, Work)
        .join(Work, Work.id == Status.work_id)
        .join(Account, Account.id == Status.account_id)
        .join(LocalUser, LocalUser.account_id == Account.id)
        .where(visible_to(None), Status.visibility == PUBLIC, Status.work_id.is_not(None),
               Work.deleted_at.is_(None), Work.visibility == "public",
               Account.domain.is_(None), Account.suspended_at.is_(None), Account.silenced_at.is_(None),
               Account.actor_type != "Application", LocalUser.approved.is_(True))
        .order_by(Status.id.desc())
        .limit(limit + 1)
    )
    if max_id is not None:
        stmt = stmt.where(Status.id < max_id)
    rows = [(row[0], row[1]) for row in (await session.execute(stmt)).all()]
    more = len(rows) > limit
    rows = rows[:limit]
    return RecentWorks(rows, rows[-1][0] if more and rows else None)
