"""Who may see a remote note: the one SQL condition every listing, count and media check uses.

The same rule over ``Status`` (works, notes and boosts alike) is fediverse/services/visibility.py, which builds
on the clauses here; both must say the same thing, so the shared parts live here once.

Public and unlisted notes: everyone. Followers-only and direct ones: a signed-in local account the note was
addressed to (its IRI in the note's ``to``/``cc``), and for followers-only also the author's accepted local
followers (the followers collection is the audience). Nobody else, whatever page or file they ask for.
"""

from __future__ import annotations

from typing import Iterable

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from fediverse.activitypub.audience import LISTED_VISIBILITIES, PRIVATE
from fediverse.models import ACCEPTED, Account, Follow, RemoteNote, RemoteNoteAudience


def visible_to(viewer: Account | None) -> ColumnElement[bool]:
    """A WHERE clause on ``RemoteNote``: the notes the local account ``viewer`` (None: anyone signed out) may see."""
    listed = RemoteNote.visibility.in_(LISTED_VISIBILITIES)
    if viewer is None:
        return listed
    addressed = exists().where(RemoteNoteAudience.note_id == RemoteNote.id,
                               RemoteNoteAudience.iri == viewer.uri)
    follower = and_(RemoteNote.visibility == PRIVATE, follows(viewer, RemoteNote.account_id))
    return or_(listed, addressed, follower)


def follows(viewer: Account, author_id: ColumnElement[int] | InstrumentedAttribute[int]) -> ColumnElement[bool]:
    """``viewer`` is an accepted follower of the author (the audience of a followers-only post)."""
    return exists().where(Follow.follower_id == viewer.id, Follow.followee_id == author_id, Follow.state == ACCEPTED)


async def may_see(session: AsyncSession, note_id: int, viewer: Account | None) -> bool:
    found = await session.scalar(select(RemoteNote.id).where(RemoteNote.id == note_id, visible_to(viewer)))
    return found is not None


def add_audience(session: AsyncSession, note_id: int, iris: Iterable[str]) -> None:
    """Record the addressed IRIs of a just-stored note (the caller commits)."""
    session.add_all(RemoteNoteAudience(note_id=note_id, iri=iri) for iri in dict.fromkeys(iris))
