"""Following in both directions: our artists follow anyone; remote follows are accepted or held for approval."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.activitypub.render import render_follow, render_response, render_undo
from fediverse.db import blocks as block_db
from fediverse.db import domain_policy
from fediverse.db import follows as follow_db
from fediverse.errors import Conflict, Invalid, NotFound
from fediverse.federation.lookup import resolve_handle
from fediverse.federation.outbox import publish
from fediverse.models import ACCEPTED, PENDING, Account, Follow, LocalUser, Notification, utcnow
from fediverse.services.accounts import require_local_user

if TYPE_CHECKING:
    from fediverse.runtime import Runtime


Action = Callable[["Runtime", AsyncSession, LocalUser, str], Awaitable[Follow | None]]


async def as_user(rt: Runtime, username: str, action: Action, handle: str) -> Follow | None:
    """The use case of the CLI's follow, unfollow, approve and reject: `action` (one of those functions) as
    the local user `username`, in a transaction of its own, committed here."""
    async with rt.sessions() as session:
        user = await require_local_user(session, username)
        result = await action(rt, session, user, handle)
        await session.commit()
    return result


def follow_document(follow: Follow, follower: Account, followee: Account) -> dict[str, Any]:
    return render_follow(follow.uri, follower.uri, followee.uri)


async def follow(rt: Runtime, session: AsyncSession, user: LocalUser, handle: str) -> Follow:
    """Follow `handle` as `user`: a Follow is sent and the edge stays pending until Accept arrives."""
    target = await resolve_handle(rt, session, handle)
    me = user.account
    if target.id == me.id:
        raise Invalid("an account cannot follow itself")
    if target.actor_type == "Application" and target.is_local:
        raise Invalid("the instance actor cannot be followed")
    if await block_db.blocked(session, me.id, target.id):
        raise Invalid("a block stands between these accounts: unblock first")
    existing = await follow_db.between(session, me.id, target.id)
    if existing is not None:
        if existing.state == PENDING and not target.is_local:
            await publish(session, me, follow_document(existing, me, target), inboxes=[target.inbox_url])
        return existing
    edge = Follow(uri=rt.uris.new_activity(), follower_id=me.id, followee_id=target.id,
                  follower_inbox=me.delivery_inbox, state=PENDING)
    session.add(edge)
    await session.flush()
    if target.is_local:
        if not (target.manually_approves_followers or await _limited(session, me)):
            edge.state, edge.accepted_at = ACCEPTED, utcnow()
        kind = "follow" if edge.state == ACCEPTED else "follow_request"  # as a remote follower's would
        session.add(Notification(account_id=target.id, kind=kind, actor_id=me.id))
    else:
        await publish(session, me, follow_document(edge, me, target), inboxes=[target.inbox_url])
    return edge


async def unfollow(rt: Runtime, session: AsyncSession, user: LocalUser, handle: str) -> None:
    """Undo(Follow) with the original, stable Follow id embedded (Mastodon matches on it)."""
    target = await resolve_handle(rt, session, handle)
    me = user.account
    edge = await follow_db.between(session, me.id, target.id)
    if edge is None:
        raise NotFound(f"{user.account.handle} does not follow {handle}")
    await follow_db.remove(session, edge.id)
    if not target.is_local:
        undo = render_undo(rt.uris.new_activity(), me.uri, follow_document(edge, me, target))
        await publish(session, me, undo, inboxes=[target.inbox_url])


async def receive_follow(rt: Runtime, session: AsyncSession, follower: Account, followee: LocalUser, doc: dict[str, Any]) -> Follow | None:
    """A remote Follow of a local actor: auto-accept, or hold when the artist approves followers by hand."""
    target = followee.account
    if target.actor_type == "Application" or await block_db.blocked(session, follower.id, target.id):
        await _respond(rt, session, "Reject", target, follower, doc)
        return None
    edge = await follow_db.between(session, follower.id, target.id)
    if edge is None:
        edge = Follow(uri=doc["id"], follower_id=follower.id, followee_id=target.id,
                      follower_inbox=follower.delivery_inbox, state=PENDING)
        session.add(edge)
    else:  # a repeated Follow (e.g. after a key rotation): keep the newest id and answer again
        edge.uri = doc["id"]
        edge.follower_inbox = follower.delivery_inbox
    await session.flush()
    was_accepted = edge.state == ACCEPTED
    if was_accepted or not (target.manually_approves_followers or await _limited(session, follower)):
        edge.state = ACCEPTED
        edge.accepted_at = edge.accepted_at or utcnow()
        await _respond(rt, session, "Accept", target, follower, doc)
    if not was_accepted:
        kind = "follow" if edge.state == ACCEPTED else "follow_request"
        session.add(Notification(account_id=target.id, kind=kind, actor_id=follower.id))
    return edge


async def _limited(session: AsyncSession, follower: Account) -> bool:
    """A silenced account (or one on a silenced domain) only follows after the artist approves (Mastodon)."""
    return follower.silenced_at is not None or await domain_policy.is_silenced(session, follower.domain)


async def approve(rt: Runtime, session: AsyncSession, user: LocalUser, follower_handle: str) -> Follow:
    """Accept a pending follow request (an Accept goes to a remote follower); commits."""
    edge, follower = await _request_from(rt, session, user, follower_handle)
    if edge.state == ACCEPTED:
        raise Conflict(f"{follower_handle} already follows {user.account.handle}")
    edge.state, edge.accepted_at = ACCEPTED, utcnow()
    await _respond(rt, session, "Accept", user.account, follower, follow_document(edge, follower, user.account))
    await session.commit()
    return edge


async def reject(rt: Runtime, session: AsyncSession, user: LocalUser, follower_handle: str) -> None:
    """Reject a pending request, or remove an existing follower (Mastodon unfollows on Reject); commits."""
    edge, follower = await _request_from(rt, session, user, follower_handle)
    doc = follow_document(edge, follower, user.account)
    await follow_db.remove(session, edge.id)
    await _respond(rt, session, "Reject", user.account, follower, doc)
    await session.commit()


async def _request_from(rt: Runtime, session: AsyncSession, user: LocalUser, follower_handle: str) -> tuple[Follow, Account]:
    follower = await resolve_handle(rt, session, follower_handle)
    edge = await follow_db.between(session, follower.id, user.account_id)
    if edge is None:
        raise NotFound(f"no follow request from {follower_handle} to {user.account.handle}")
    return edge, follower


async def _respond(rt: Runtime, session: AsyncSession, kind: str, actor: Account, follower: Account, follow_doc: dict[str, Any]) -> None:
    if follower.is_local:
        return
    doc = render_response(kind, rt.uris.new_activity(), actor.uri, follow_doc)
    await publish(session, actor, doc, inboxes=[follower.inbox_url])
