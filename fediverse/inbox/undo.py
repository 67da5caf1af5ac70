"""Undo: of a Follow, a Like or an Announce (a reaction to our work, a boost status or both) (matched by the undone activity's id, or its content)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fediverse.activitypub.vocab import Activity
from fediverse.inbox.boosts import undo_announce
from fediverse.inbox.follow import undo_follow
from fediverse.inbox.works import REACTION_KINDS, undo_reaction
from fediverse.models import Account

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from fediverse.runtime import Runtime


async def on_undo(rt: Runtime, session: AsyncSession, activity: Activity, actor: Account) -> str:
    inner_type = activity.object.get("type") if isinstance(activity.object, dict) else None
    if inner_type == "Announce":
        return await undo_announce(session, activity, actor)
    if inner_type in REACTION_KINDS:
        return await undo_reaction(session, activity, actor)
    if inner_type in (None, "Follow"):
        outcome = await undo_follow(session, activity, actor)
        if outcome is not None:
            return outcome
        if inner_type is None:  # a bare id: it may name a reaction or a boost
            return await undo_announce(session, activity, actor)
        return "ignored: Undo of no follow by this actor"
    return f"ignored: Undo of {inner_type}"
