"""Accept or refuse one inbox POST. Nothing is stored unless the signature verifies and the signer is the actor
(one exception: a Delete of an actor whose own server now answers 410 for it), or from a suspended domain."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit


from fediverse.activitypub.jsonsafe import load_json
from fediverse.activitypub.parse import parse_activity
from fediverse.activitypub.signatures.errors import SignatureError
from fediverse.activitypub.vocab import Activity, ParseError
from fediverse.db import accounts as account_db
from fediverse.db import domain_policy
from fediverse.db import inbound as inbound_db
from fediverse.errors import RemoteError
from fediverse.federation.actors import instance_signer
from fediverse.federation.client import Gone
from fediverse.federation.signed import (
    REFETCH_COOLDOWN_SECONDS, REFETCH_SCOPE, KeyUnavailable, SignedRequest, key_deadline, verified_signer,
)
from fediverse.inbox.limits import address_wait, signer_wait
from fediverse.jobs.queue import announce_after_commit
from fediverse.models import utcnow

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from fediverse.models import Account
    from fediverse.runtime import Runtime

log = logging.getLogger("fediverse.inbox")


async def _gone_actor(rt: Runtime, session: AsyncSession, activity: Activity, deadline: float) -> Account | None:
    """For a Delete of a known actor whose key can no longer be fetched: the stored account when a fresh fetch
    of the actor's own id answers 410 (a suspended or deleted account: Mastodon deletes it on 410 too)."""
    if activity.type != "Delete" or activity.object_id != activity.actor:
        return None
    account = await account_db.by_uri(session, activity.actor)
    if account is None or account.is_local:
        return None
    if await rt.limiter.hit(REFETCH_SCOPE, f"gone:{activity.actor[:500]}", 1, window=REFETCH_COOLDOWN_SECONDS):
        return None  # asked a moment ago: forged Deletes cannot make us hammer the actor's server
    try:
        await rt.client.fetch_json(activity.actor, signer=await instance_signer(rt, session), deadline=deadline)
    except Gone:
        return account
    except RemoteError:
        return None
    return None


@dataclass(frozen=True)
class InboxAnswer:
    status: int
    error: str | None = None
    retry_after: int | None = None  # seconds, for 429


ACCEPTED = InboxAnswer(202)


async def receive(rt: Runtime, request: SignedRequest, inbox_account_id: int | None, client_key: str) -> InboxAnswer:
    """Parse, verify, store and queue one POSTed activity; the answer says why when it refuses.

    `client_key` is the sender's rate-limit key (its address, IPv6 by /64): the only limit before verification."""
    assert request.body is not None
    limited = await address_wait(rt, client_key)  # before any parsing, key fetch, signature check or write
    if limited is not None:
        return InboxAnswer(429, limited[1], retry_after=limited[0])
    limits = rt.settings.limits
    try:
        doc = load_json(request.body, max_bytes=limits.max_inbox_bytes, max_depth=limits.max_json_depth)
        activity = parse_activity(doc)
    except ParseError as exc:
        return InboxAnswer(400, str(exc))
    async with rt.sessions() as session:
        if await domain_policy.is_suspended(session, activity.actor):  # before any key fetch; nothing stored
            return InboxAnswer(403, "this server does not federate with the actor's domain")
        if activity.type == "Delete" and activity.object_id == activity.actor:
            if await account_db.by_uri(session, activity.actor) is None:
                return ACCEPTED  # an unknown actor deleting itself: nothing to do (Mastodon does the same)
        deadline = key_deadline(rt)  # one deadline for every fetch verification makes
        try:
            signer = await verified_signer(rt, session, request, deadline=deadline)
        except SignatureError as exc:
            known = await _gone_actor(rt, session, activity, deadline)
            if known is None:
                log.info("refused inbox POST for %s: %s", activity.id[:200], exc)
                return InboxAnswer(401, str(exc))
            signer = known  # its own server says 410 for the actor: the Delete is true, whoever signed it
        except KeyUnavailable as exc:
            return InboxAnswer(503, str(exc))
        limited = await signer_wait(rt, signer)  # the verified signer's budgets, never a claimed actor's
        if limited is not None:
            return InboxAnswer(429, limited[1], retry_after=limited[0])
        if signer.uri != activity.actor:
            return InboxAnswer(401, f"signed by {signer.uri} but the activity's actor is {activity.actor}")
        if urlsplit(activity.id).netloc.lower() != urlsplit(activity.actor).netloc.lower():
            return InboxAnswer(400, "activity id is not on the actor's host")
        job = await inbound_db.store(session, uri=activity.id, type=activity.type, actor_uri=activity.actor,
                                        inbox_account_id=inbox_account_id, raw=doc)
        if job is None:
            await session.commit()  # keep what verification learnt (a fetched key)
            return ACCEPTED  # a duplicate delivery of an activity we already have
        announce_after_commit(session, [job])
        if signer.domain:  # a signed POST from them: they are back (no write unless they had failures)
            await rt.domain_health.succeeded(session, signer.domain, utcnow())
        await session.commit()
    return ACCEPTED
