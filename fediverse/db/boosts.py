"""Our artists' boosts of remote notes, as the Announce and Undo activities we sent (no table of their own).

An Announce of note N by actor A has the id ``<A>/boosts/<N>-<n>``; its Undo has that id plus ``/undo``. The
newest of them says whether the note is boosted now."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.models import OutboundActivity


def prefix(actor_uri: str, note_id: int) -> str:
    return f"{actor_uri}/boosts/{note_id}-"


async def current(session: AsyncSession, actor_id: int, actor_uri: str, note_id: int) -> OutboundActivity | None:
    """The Announce of the note by this actor that is in force (not undone), or None."""
    latest = await session.scalar(select(OutboundActivity).where(
        OutboundActivity.actor_id == actor_id, OutboundActivity.type.in_(("Announce", "Undo")),
        OutboundActivity.uri.startswith(prefix(actor_uri, note_id), autoescape=True),
    ).order_by(OutboundActivity.id.desc()).limit(1))
    return latest if latest is not None and latest.type == "Announce" else None


async def boosted_notes(session: AsyncSession, actor_id: int, actor_uri: str, note_ids: list[int]) -> set[int]:
    return {note_id for note_id in note_ids if await current(session, actor_id, actor_uri, note_id) is not None}


async def count(session: AsyncSession, actor_id: int, actor_uri: str, note_id: int) -> int:
    """How many Announces of the note this actor ever sent (the next id's number)."""
    rows = await session.scalars(select(OutboundActivity.id).where(
        OutboundActivity.actor_id == actor_id, OutboundActivity.type == "Announce",
        OutboundActivity.uri.startswith(prefix(actor_uri, note_id), autoescape=True)))
    return len(list(rows))


async def by_uri(session: AsyncSession, uri: str) -> OutboundActivity | None:
    return await session.scalar(select(OutboundActivity).where(OutboundActivity.uri == uri))
