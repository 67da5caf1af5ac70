"""Quote consent (FEP-044f): answer a remote QuoteRequest by the artist's policy, serve the authorization, and
revoke authorizations her policy no longer allows.

Why here: the policy (consent.interaction) is pure; deciding needs the follow graph and the quoted post, and an
answer is an activity delivered to the requester's inbox.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.activitypub.parse_quote import QuoteRequest
from fediverse.activitypub.render_policy import (
    render_quote_answer, render_quote_authorization, render_quote_revocation,
)
from fediverse.consent.interaction import InteractionPolicy, permits, policy_changes, set_policies
from fediverse.db import follows as follow_db
from fediverse.db import local_notes as local_note_db
from fediverse.db import quote_authorizations as quote_db
from fediverse.db import works as work_db
from fediverse.federation.outbox import publish
from fediverse.models import ACCEPTED, Account, QuoteAuthorization, utcnow
from fediverse.services.consent import note_interaction_policy, work_interaction_policy

if TYPE_CHECKING:
    from fediverse.runtime import Runtime


@dataclass(frozen=True)
class QuotedPost:
    """Our post a QuoteRequest names: its author and the policy it carries; ``deleted`` posts take no quotes."""

    uri: str
    author: Account
    policy: InteractionPolicy
    deleted: bool


async def quoted_post(rt: Runtime, session: AsyncSession, uri: str) -> QuotedPost | None:
    """One of our works or text notes by its id; None when the id is not a post of ours."""
    if not rt.uris.is_local(uri):
        return None
    work = await work_db.by_uri(session, uri)
    if work is not None:
        return QuotedPost(uri, work.account, work_interaction_policy(rt.settings, work), work.deleted_at is not None)
    note = await local_note_db.by_uri(session, uri)
    if note is not None:
        return QuotedPost(uri, note.account, note_interaction_policy(rt.settings, note.account, note.visibility),
                          note.deleted_at is not None)
    return None


async def may_interact(session: AsyncSession, value: str, author: Account, actor: Account) -> bool:
    """``value`` (anyone | followers | nobody) applied to ``actor``: a follower is one whose follow was accepted."""
    if value in ("anyone", "nobody") or actor.id == author.id:
        return permits(value, is_author=actor.id == author.id, is_follower=False)
    edge = await follow_db.between(session, actor.id, author.id)
    return permits(value, is_author=False, is_follower=edge is not None and edge.state == ACCEPTED)


async def answer_quote_request(rt: Runtime, session: AsyncSession, request: QuoteRequest, actor: Account) -> str:
    """Accept (with a stored, dereferenceable QuoteAuthorization) or Reject by the post's quote policy; the inbox
    records the returned outcome. Refusals that are not a policy decision store and send nothing."""
    post = await quoted_post(rt, session, request.target)
    if post is None:
        return "refused: QuoteRequest for a post that is not ours"
    if post.deleted:
        return "refused: QuoteRequest for a deleted post"
    raw: dict[str, Any] = {"id": request.id, "type": "QuoteRequest", "actor": request.actor,
                           "object": request.target, "instrument": request.quoting}
    inboxes = [actor.inbox_url]
    if not await may_interact(session, post.policy.quotes, post.author, actor):
        doc = render_quote_answer("Reject", rt.uris.new_activity(), post.author.uri, raw)
        await publish(session, post.author, doc, inboxes=inboxes)
        return f"quote rejected: the quote policy is {post.policy.quotes}"
    grant = await quote_db.between(session, post.uri, request.quoting)
    if grant is not None and (grant.revoked_at is not None or grant.quoter_id != actor.id):
        return "refused: this quote's authorization was revoked or belongs to another actor"
    if grant is None:
        public_id = secrets.token_hex(12)
        grant = QuoteAuthorization(public_id=public_id, uri=rt.uris.quote_authorization(post.author.uri, public_id),
                                   author_id=post.author.id, quoter_id=actor.id, target_uri=post.uri,
                                   quoting_uri=request.quoting, request_uri=request.id)
        session.add(grant)
        await session.flush()
    doc = render_quote_answer("Accept", rt.uris.new_activity(), post.author.uri, raw, result=grant.uri)
    await publish(session, post.author, doc, inboxes=inboxes)
    return "quote accepted"


async def authorization(session: AsyncSession, username: str, public_id: str) -> tuple[str, dict[str, Any] | None]:
    """("active", the QuoteAuthorization JSON), ("revoked", None) or ("unknown", None): the route answers 200,
    410 or 404."""
    grant = await quote_db.by_public_id(session, public_id)
    if grant is None or grant.author.username != username.lower() or not grant.author.is_local:
        return "unknown", None
    if grant.revoked_at is not None:
        return "revoked", None
    return "active", render_quote_authorization(grant.uri, grant.author.uri, grant.quoting_uri, grant.target_uri)


async def revoke_disallowed(rt: Runtime, session: AsyncSession, author: Account) -> int:
    """Revoke (Delete to the quoter) every authorization of ``author`` her current policies no longer allow; the
    caller commits. Call it after changing the artist's or a work's quote policy."""
    revoked = 0
    for grant in await quote_db.active_of_author(session, author.id):
        post = await quoted_post(rt, session, grant.target_uri)
        if post is not None and not post.deleted and await may_interact(session, post.policy.quotes, author,
                                                                        grant.quoter):
            continue
        grant.revoked_at = utcnow()
        doc = render_quote_revocation(rt.uris.new_activity(), author.uri, grant.uri, grant.quoter.uri)
        await publish(session, author, doc, inboxes=[grant.quoter.inbox_url])
        revoked += 1
    return revoked


async def apply_policies(rt: Runtime, session: AsyncSession, author: Account, holder: Any,
                         values: Mapping[str, Any]) -> int:
    """Change the artist's (``holder`` = her account) or a work's policies and revoke what they no longer allow;
    the caller commits (the studio's profile and work saves). Raises Invalid naming a bad value."""
    set_policies(holder, policy_changes(values))
    return await revoke_disallowed(rt, session, author)


async def change_policies(rt: Runtime, session: AsyncSession, author: Account, holder: Any,
                          values: Mapping[str, Any]) -> int:
    """Change the artist's (holder = her account) or a work's policies, revoke what they no longer allow and
    commit; returns the number of authorizations revoked."""
    revoked = await apply_policies(rt, session, author, holder, values)
    await session.commit()
    return revoked
