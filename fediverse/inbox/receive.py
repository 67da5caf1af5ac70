"""Accept or refuse one inbox POST. Nothing is stored unless the signature verifies and the signer is the actor."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit


from fediverse.activitypub.jsonsafe import load_json
from fediverse.activitypub.parse import parse_activity
from fediverse.activitypub.signatures.errors import SignatureError
from fediverse.activitypub.vocab import ParseError
from fediverse.db import accounts as account_db
from fediverse.db import inbound as inbound_db
from fediverse.federation import health
from fediverse.federation.signed import KeyUnavailable, SignedRequest, verified_signer
from fediverse.inbox.dispatch import PROCESS_INBOUND
from fediverse.inbox.limits import inbox_wait
from fediverse.jobs.queue import announce_after_commit
from fediverse.models import utcnow

if TYPE_CHECKING:
    from fediverse.runtime import Runtime

log = logging.getLogger("fediverse.inbox")


@dataclass(frozen=True)
class InboxAnswer:
    status: int
    error: str | None = None
    retry_after: int | None = None  # seconds, for 429


ACCEPTED = InboxAnswer(202)


async def receive(rt: Runtime, request: SignedRequest, inbox_account_id: int | None) -> InboxAnswer:
    """Parse, verify, store and queue one POSTed activity; the answer says why when it refuses."""
    assert request.body is not None
    limits = rt.settings.limits
    try:
        doc = load_json(request.body, max_bytes=limits.max_inbox_bytes, max_depth=limits.max_json_depth)
        activity = parse_activity(doc)
    except ParseError as exc:
        return InboxAnswer(400, str(exc))
    limited = await inbox_wait(rt, activity.actor)  # before any key fetch, signature check or write
    if limited is not None:
        return InboxAnswer(429, limited[1], retry_after=limited[0])
    async with rt.sessions() as session:
        if activity.type == "Delete" and activity.object_id == activity.actor:
            if await account_db.by_uri(session, activity.actor) is None:
                return ACCEPTED  # an unknown actor deleting itself: nothing to do (Mastodon does the same)
        try:
            signer = await verified_signer(rt, session, request)
        except SignatureError as exc:
            log.info("refused inbox POST for %s: %s", activity.id[:200], exc)
            return InboxAnswer(401, str(exc))
        except KeyUnavailable as exc:
            return InboxAnswer(503, str(exc))
        if signer.uri != activity.actor:
            return InboxAnswer(401, f"signed by {signer.uri} but the activity's actor is {activity.actor}")
        if urlsplit(activity.id).netloc.lower() != urlsplit(activity.actor).netloc.lower():
            return InboxAnswer(400, "activity id is not on the actor's host")
        job = await inbound_db.store(session, uri=activity.id, type=activity.type, actor_uri=activity.actor,
                                        inbox_account_id=inbox_account_id, raw=doc, job_kind=PROCESS_INBOUND)
        if job is None:
            await session.commit()  # keep what verification learnt (a fetched key)
            return ACCEPTED  # a duplicate delivery of an activity we already have
        announce_after_commit(session, [job])
        if signer.domain and signer.domain in rt.unhealthy_domains:  # a signed POST from them: they are back
            rt.unhealthy_domains.discard(signer.domain)
            await health.record_success(session, signer.domain, utcnow())
        await session.commit()
    return ACCEPTED
