"""Read positions (Mastodon's markers): the last read id of a person's home and notifications timelines, kept
so another app or device opens where she stopped. Each save bumps ``version`` (apps use it to spot races)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.errors import Conflict
from fediverse.models import MARKER_TIMELINES, Marker

MAX_ID = 2 ** 63 - 1


async def markers_of(session: AsyncSession, account_id: int, timelines: list[str]) -> list[Marker]:
    """The account's markers of these timelines (unknown names are none), as saved."""
    wanted = [t for t in dict.fromkeys(timelines) if t in MARKER_TIMELINES]
    if not wanted:
        return []
    return list(await session.scalars(select(Marker).where(Marker.account_id == account_id,
                                                           Marker.timeline.in_(wanted)).order_by(Marker.timeline)))


async def save_markers(session: AsyncSession, account_id: int, positions: dict[str, int],
                       now: datetime) -> list[Marker]:
    """Save the last read id of each named timeline (home, notifications; others ignored) and commit."""
    saved = []
    for timeline, last_read_id in positions.items():
        if timeline not in MARKER_TIMELINES or not 0 <= last_read_id <= MAX_ID:
            continue
        marker = await session.scalar(select(Marker).where(Marker.account_id == account_id,
                                                           Marker.timeline == timeline))
        if marker is None:
            marker = Marker(account_id=account_id, timeline=timeline, last_read_id=last_read_id, version=0)
            session.add(marker)
        else:
            marker.last_read_id, marker.version = last_read_id, marker.version + 1
        marker.updated_at = now
        saved.append(marker)
    try:
        await session.commit()
    except IntegrityError:  # two saves of a first marker at once
        await session.rollback()
        raise Conflict("The marker was saved meanwhile; try again.") from None
    return saved
