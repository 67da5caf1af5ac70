"""Update: of the actor itself (refresh the stored profile) or of a stored remote note."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fediverse.activitypub.parse import parse_actor
from fediverse.activitypub.vocab import Activity, ParseError
from fediverse.federation.actors import store_actor
from fediverse.inbox.works import on_update_note
from fediverse.models import Account
from fediverse.services.remote_media import schedule_for_account

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from fediverse.runtime import Runtime

ACTOR_TYPES = ("Person", "Service", "Application", "Group", "Organization")


async def on_update(rt: Runtime, session: AsyncSession, activity: Activity, actor: Account) -> str:
    if not isinstance(activity.object, dict):
        return "ignored: Update without an embedded object"
    if activity.object.get("type") in ACTOR_TYPES:
        if activity.object_id != actor.uri:
            return "ignored: an actor may only update itself"
        try:
            parsed = parse_actor(activity.object, embedded=True)
        except ParseError as exc:
            return f"ignored: {exc}"
        account = await store_actor(session, parsed, prefer_key=actor.key_id)
        await schedule_for_account(session, account)  # a new avatar or header is a new URL: cache it
        return "profile updated"
    return await on_update_note(rt, session, activity, actor)
