"""Who may see what: the one rule for every status (local work, stored remote note, boost), used by timelines,
pages, feeds, counts, caches and the client API.

- public and unlisted: everyone, signed out included (unlisted only stays off public listings; that is the
  listing's filter, not this one);
- private (followers-only): the author's accepted local followers and the local accounts it is addressed to;
- direct: only the local accounts it is addressed to;
- the author always sees their own.

The addressed accounts of a status are its ``StatusAudience`` rows (a work's mentioned local artists, a remote
note's local actors in ``to``/``cc``). Remote notes listed through ``RemoteNote`` (replies under a work) keep
``note_visible_to`` from db/audience.py, the same rule over the note's stored audience and the same follower
clause.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.activitypub.audience import DIRECT, LISTED_VISIBILITIES, PRIVATE
from fediverse.db.audience import follows
from fediverse.db.audience import may_see as note_may_see
from fediverse.db.audience import visible_to as note_visible_to
from fediverse.models import Account, Status, StatusAudience

__all__ = ["may_see", "note_may_see", "note_visible_to", "visible_to"]


def visible_to(viewer: Account | None, status: Any = Status) -> ColumnElement[bool]:
    """A WHERE clause on ``Status``: what the local account ``viewer`` (None: signed out) may see. ``status``: an
    alias of Status to say it of instead (the boosted status of a boost, in the same query)."""
    listed = status.visibility.in_(LISTED_VISIBILITIES)
    if viewer is None or not viewer.is_local:  # viewers are local accounts; anyone else is as signed out
        return listed
    addressed = and_(status.visibility.in_((PRIVATE, DIRECT)), exists().where(
        StatusAudience.status_id == status.id, StatusAudience.account_id == viewer.id))
    follower = and_(status.visibility == PRIVATE, follows(viewer, status.account_id))
    return or_(listed, status.account_id == viewer.id, addressed, follower)


async def may_see(session: AsyncSession, status: Status, viewer: Account | None) -> bool:
    """Whether ``viewer`` may see this one status (the same rule as ``visible_to``; no query when it is listed
    or their own)."""
    if status.visibility in LISTED_VISIBILITIES:
        return True
    if viewer is None or not viewer.is_local:
        return False
    if status.account_id == viewer.id:
        return True
    found = await session.scalar(select(Status.id).where(Status.id == status.id, visible_to(viewer)))
    return found is not None
