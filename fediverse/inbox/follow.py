"""Follow, Accept, Reject and Undo(Follow) from remote actors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fediverse.activitypub.parse import object_id
from fediverse.activitypub.vocab import Activity
from fediverse.db import accounts as account_db
from fediverse.db import follows as follow_db
from fediverse.models import ACCEPTED, Account, Follow, utcnow
from fediverse.services.following import receive_follow

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from fediverse.runtime import Runtime


async def on_follow(rt: Runtime, session: AsyncSession, activity: Activity, actor: Account) -> str:
    target_uri = activity.object_id
    target = await account_db.by_uri(session, target_uri) if target_uri else None
    if target is None or not target.is_local:
        return "ignored: Follow of an account that is not ours"
    user = await account_db.local_user_by_account(session, target.id)
    assert user is not None
    edge = await receive_follow(rt, session, actor, user, activity.raw)
    return f"follow {edge.state}" if edge else "rejected"


async def on_accept(rt: Runtime, session: AsyncSession, activity: Activity, actor: Account) -> str:
    edge = await _our_follow_of(session, activity, actor)
    if edge is None:
        return "ignored: Accept of no follow we sent"
    edge.state = ACCEPTED
    edge.accepted_at = edge.accepted_at or utcnow()
    return "follow accepted"


async def on_reject(rt: Runtime, session: AsyncSession, activity: Activity, actor: Account) -> str:
    edge = await _our_follow_of(session, activity, actor)
    if edge is None:
        return "ignored: Reject of no follow we sent"
    await follow_db.remove(session, edge.id)
    return "follow rejected"


async def undo_follow(session: AsyncSession, activity: Activity, actor: Account) -> str | None:
    """Remove the follow an Undo names; None when it names no follow of this actor."""
    inner = activity.object if isinstance(activity.object, dict) else {}
    inner_type = inner.get("type")
    edge = await follow_db.by_uri(session, activity.object_id) if activity.object_id else None
    if edge is None and inner_type == "Follow":
        target = await account_db.by_uri(session, object_id(inner.get("object")) or "")
        edge = await follow_db.between(session, actor.id, target.id) if target else None
    if edge is None or edge.follower_id != actor.id:
        return None
    await follow_db.remove(session, edge.id)
    return "unfollowed"


async def _our_follow_of(session: AsyncSession, activity: Activity, actor: Account) -> Follow | None:
    """The Follow we sent that `actor` answers: by id, or by the embedded Follow's actor/object."""
    edge = await follow_db.by_uri(session, activity.object_id) if activity.object_id else None
    if edge is None and isinstance(activity.object, dict):
        follower = await account_db.by_uri(session, object_id(activity.object.get("actor")) or "")
        if follower is not None and follower.is_local:
            edge = await follow_db.between(session, follower.id, actor.id)
    if edge is None or edge.followee_id != actor.id:
        return None
    return edge


