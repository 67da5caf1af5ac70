"""Process one stored inbound activity: dispatch by type to a handler module; unknown types are ignored."""

from __future__ import annotations

from typing import TYPE_CHECKING, Awaitable, Callable

from fediverse.activitypub.parse import parse_activity
from fediverse.activitypub.vocab import Activity, ParseError
from fediverse.db import accounts as account_db
from fediverse.db import domain_policy
from fediverse.inbox import quarantine
from fediverse.jobs.outcome import Done, GiveUp, Outcome
from fediverse.models import InboundActivity, utcnow

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from fediverse.models import Account
    from fediverse.runtime import Runtime

Handler = Callable[["Runtime", "AsyncSession", Activity, "Account"], Awaitable[str]]


def _handlers() -> dict[str, Handler]:
    from fediverse.inbox import boosts, flag, follow, quotes, undo, update, works

    return {
        "Follow": follow.on_follow, "Accept": follow.on_accept, "Reject": follow.on_reject, "Undo": undo.on_undo,
        "Like": works.on_reaction, "EmojiReact": works.on_reaction, "Announce": boosts.on_announce,
        "Create": works.on_create, "Update": update.on_update, "Delete": works.on_delete, "Flag": flag.on_flag,
        "QuoteRequest": quotes.on_quote_request,
    }


async def process_inbound(rt: Runtime, inbound_id: int) -> Outcome:
    """Idempotent: a row already processed is left alone; the handler and the mark commit together."""
    async with rt.sessions() as session:
        row = await session.get(InboundActivity, inbound_id)
        if row is None:
            return GiveUp("inbound activity no longer exists")
        if row.processed_at is not None:
            return Done("already processed")
        if row.quarantine_reason is not None and row.reviewed_at is None:
            return Done("held in the quarantine")
        try:
            activity = parse_activity(row.raw)
        except ParseError as exc:
            return GiveUp(f"unparseable: {exc}")
        actor = await account_db.by_uri(session, activity.actor)
        handler = _handlers().get(activity.type)
        if actor is None:
            outcome = "actor unknown"
        elif handler is None:
            outcome = f"ignored: {activity.type} is not handled"
        elif await domain_policy.is_suspended(session, actor.domain):
            outcome = "ignored: the actor's domain is suspended"  # stored before the block was made
        elif actor.suspended_at is not None and not (activity.type == "Delete" and activity.object_id == actor.uri):
            outcome = "ignored: the actor is suspended here"
        elif (held := await quarantine.hold_reason(rt, session, row, activity, actor)) is not None:
            row.quarantine_reason = held[:200]  # not processed: a moderator releases or discards it
            await session.commit()
            return Done(f"held: {held}")
        else:
            outcome = await handler(rt, session, activity, actor)
        row.processed_at = utcnow()
        row.outcome = outcome
        await session.commit()
    return Done(outcome)
