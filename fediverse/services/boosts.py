"""Boosts of remote notes by our artists: Announce and Undo(Announce), to their followers and the note's author.

The Announce carries the boosted note's consent record (its author's signals, stored with provenance; our
instance policy for what they did not say) as our JSON-LD properties, so a refusal is passed on with the
boost (consent doc §16, "Propagate onward"). Only public and unlisted notes can be boosted, as on Mastodon.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.activitypub.render import AS_PUBLIC, render_announce, render_undo
from fediverse.activitypub.audience import LISTED_VISIBILITIES
from fediverse.consent import JSONLD_TERMS, jsonld_properties
from fediverse.db import boosts as boost_db
from fediverse.db import statuses as status_db
from fediverse.errors import Conflict, Invalid, NotFound
from fediverse.federation.actors import remote_record, stored_note_signals
from fediverse.federation.outbox import publish
from fediverse.models import LocalUser, OutboundActivity, RemoteNote, utcnow
from fediverse.services.consent import instance_policy_url, instance_record

if TYPE_CHECKING:
    from fediverse.runtime import Runtime


def is_public(note: RemoteNote) -> bool:
    """Addressed to the public (``to``: public; ``cc``: unlisted). Followers-only and direct notes are not."""
    return note.visibility in LISTED_VISIBILITIES


async def _note(session: AsyncSession, note_id: int) -> RemoteNote:
    note = await session.get(RemoteNote, note_id)
    if note is None:
        raise NotFound("That post is not (or no longer) stored here.")
    return note


async def boost(rt: Runtime, session: AsyncSession, user: LocalUser, note_id: int) -> OutboundActivity:
    """Announce the note as ``user``; commits, and deliveries go out after."""
    note = await _note(session, note_id)
    me = user.account
    if not is_public(note):
        raise Invalid("Only public posts can be boosted.")
    if await boost_db.current(session, me.id, me.uri, note.id) is not None:
        raise Conflict("You already boosted this post.")
    number = await boost_db.count(session, me.id, me.uri, note.id) + 1
    signals = stored_note_signals(note)
    record = remote_record(signals, instance_record(rt.settings))
    consent = jsonld_properties(record, kind="object", policy_url=signals.tdm_policy or instance_policy_url(rt.uris))
    announce_id = f"{boost_db.prefix(me.uri, note.id)}{number}"
    doc = render_announce(announce_id, me.uri, note.uri, to=[AS_PUBLIC],
                          cc=[note.account.uri, me.followers_url], published=utcnow(), consent=consent,
                          terms=JSONLD_TERMS)
    await status_db.add_boost(session, me.id, announce_id, await status_db.for_note(session, note))
    announce = await publish(session, me, doc, inboxes=[note.account.inbox_url], followers=True)
    await session.commit()
    return announce


async def unboost(rt: Runtime, session: AsyncSession, user: LocalUser, note_id: int) -> OutboundActivity:
    """Undo(Announce) with the Announce embedded as sent, to everyone who got it; commits."""
    note = await _note(session, note_id)
    me = user.account
    announce = await boost_db.current(session, me.id, me.uri, note.id)
    if announce is None:
        raise Conflict("You have not boosted this post.")
    undo = render_undo(f"{announce.uri}/undo", me.uri, orjson.loads(announce.body))
    await status_db.remove_boost(session, announce.uri)
    activity = await publish(session, me, undo, inboxes=[note.account.inbox_url], followers=True)
    await session.commit()
    return activity
