"""The quarantine: inbound notes that look like spam are held, unprocessed, until a moderator reviews them.

Checked in the processing step (inbox.dispatch), after the signature and before any side effect, on Creates
of notes addressed to our artists (mentions, or replies to their works and notes):
(a) a remote account first seen less than `spam.quarantine_new_account_hours` ago with no history here (no
    follow with a local account either way, no earlier activity of theirs that we acted on) mentions locals;
(b) the same text (fingerprint of words and links, mentions left out) reached `spam.identical_message_threshold`
    or more distinct local accounts within the last hour, this note included;
(c) the note is nothing but links, when `spam.quarantine_link_only` is on.
A held row keeps `processed_at` NULL and gets `quarantine_reason`; `release` sets `reviewed_at` and runs the
normal processing path, `discard` sets `reviewed_at` and an outcome. Mastodon has no such queue (it relies on
reports and its spam filter gem); this is closer to Misskey's "sensitive words" hold and GoToSocial's review.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select

from fediverse.activitypub.note_text import NoteText, read_note_text
from fediverse.activitypub.parse import parse_actor
from fediverse.activitypub.parse_note import parse_note
from fediverse.activitypub.vocab import Activity, ParseError
from fediverse.db import accounts as account_db
from fediverse.db import local_notes as local_note_db
from fediverse.db import works as work_db
from fediverse.errors import Invalid, NotFound
from fediverse.jobs.outcome import Done
from fediverse.models import Account, Follow, InboundActivity, LocalUser
from fediverse.services import account_actions, modlog
from fediverse.services.text import sanitize

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from fediverse.runtime import Runtime

IDENTICAL_WINDOW = timedelta(hours=1)
MAX_SCAN = 1000  # Creates of the last hour compared for (b): a bound on the work per note, newest first
DISCARDED = "discarded by a moderator"
_NOT_HISTORY = ("ignored", "actor unknown", "discarded")


@dataclass(frozen=True)
class Held:
    row: InboundActivity
    actor: Account | None
    excerpt_html: str
    held_from_actor: int


async def hold_reason(rt: Runtime, session: AsyncSession, row: InboundActivity, activity: Activity,
                      actor: Account) -> str | None:
    """Why this activity should wait for a moderator, or None to process it now."""
    if activity.type != "Create" or not isinstance(activity.object, dict) or row.reviewed_at is not None:
        return None
    try:
        note = parse_note(activity.object)
    except ParseError:
        return None  # the handler ignores it anyway
    base = rt.settings.base_url + "/"
    local_mentions = [uri for uri in note.mentions if uri.startswith(base)]
    reply_to_ours = bool(note.in_reply_to and (await work_db.by_uri(session, note.in_reply_to)
                                               or await local_note_db.by_uri(session, note.in_reply_to)))
    if not local_mentions and not reply_to_ours:
        return None
    spam = rt.settings.spam
    text = read_note_text(note.content, note.mentions)
    if local_mentions and spam.quarantine_new_account_hours > 0:
        age, seen = account_age(actor, rt.clock.now())
        if age < timedelta(hours=spam.quarantine_new_account_hours) and not await _has_history(session, actor, row.id):
            return (f"new account: {seen} {int(age.total_seconds() // 3600)} h ago, no history here, "
                    f"mentions {len(set(local_mentions))} local account(s)")
    reached = await _recipients_of_same_text(session, rt, text, row.id) | set(local_mentions)
    if len(reached) >= spam.identical_message_threshold:
        return f"identical message: the same text reached {len(reached)} local accounts within an hour"
    if spam.quarantine_link_only and text.link_only:
        return f"link-only post ({len(text.links)} link(s), no other text)"
    return None


def account_age(actor: Account, now: datetime) -> tuple[timedelta, str]:
    """How old the account is at `now`: by the `published` date its own server states (Mastodon, GoToSocial and
    Misskey send it), so a long-standing stranger's first reply is not held; else since we first saw it."""
    try:
        published = parse_actor(actor.raw).published if actor.raw else None
    except ParseError:
        published = None
    if published is not None and published <= now:
        return now - published, "created"
    return now - actor.created_at, "first seen"


async def _has_history(session: AsyncSession, actor: Account, row_id: int) -> bool:
    follows = await session.scalar(select(func.count()).select_from(Follow).where(
        or_(Follow.follower_id == actor.id, Follow.followee_id == actor.id)))
    if follows:
        return True
    acted_on = select(InboundActivity.outcome).where(
        InboundActivity.actor_uri == actor.uri, InboundActivity.id != row_id,
        InboundActivity.processed_at.is_not(None)).order_by(InboundActivity.id.desc()).limit(50)
    return any(outcome and not outcome.startswith(_NOT_HISTORY) for outcome in (await session.scalars(acted_on)))


async def _recipients_of_same_text(session: AsyncSession, rt: Runtime, text: NoteText, row_id: int) -> set[str]:
    """Local accounts mentioned by any Create of the last hour carrying the same text (held ones included)."""
    if not text.words and not text.links:
        return set()  # an empty note is not "the same message"
    base = rt.settings.base_url + "/"
    recent = select(InboundActivity.raw).where(
        InboundActivity.type == "Create", InboundActivity.id != row_id,
        InboundActivity.received_at >= rt.clock.now() - IDENTICAL_WINDOW).order_by(InboundActivity.id.desc()).limit(MAX_SCAN)
    reached: set[str] = set()
    for raw in await session.scalars(recent):
        try:
            other = parse_note(raw.get("object") if isinstance(raw, dict) else None)
        except ParseError:
            continue
        mentions = [uri for uri in other.mentions if uri.startswith(base)]
        if mentions and read_note_text(other.content, other.mentions).fingerprint == text.fingerprint:
            reached.update(mentions)
    return reached


# --- review -------------------------------------------------------------------------------------------------

def _held() -> Any:
    return select(InboundActivity).where(InboundActivity.quarantine_reason.is_not(None),
                                         InboundActivity.reviewed_at.is_(None))


async def held_count(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(_held().subquery())) or 0


async def list_held(session: AsyncSession, limit: int = 200) -> list[Held]:
    """Oldest first (the order they arrived), with a sanitised excerpt and how many each actor has waiting."""
    rows = list((await session.scalars(_held().order_by(InboundActivity.id).limit(limit))).all())
    per_actor: dict[str, int] = dict((await session.execute(
        select(InboundActivity.actor_uri, func.count()).where(
            InboundActivity.quarantine_reason.is_not(None), InboundActivity.reviewed_at.is_(None))
        .group_by(InboundActivity.actor_uri))).all())
    actors: dict[str, Account | None] = {}
    found = []
    for row in rows:
        if row.actor_uri not in actors:
            actors[row.actor_uri] = await account_db.by_uri(session, row.actor_uri)
        found.append(Held(row, actors[row.actor_uri], _excerpt(row.raw), per_actor.get(row.actor_uri, 0)))
    return found


def _excerpt(raw: dict[str, Any]) -> str:
    try:
        note = parse_note(raw.get("object"))
    except ParseError:
        return ""
    content = note.content if len(note.content) <= 600 else note.content[:600] + "…"
    return sanitize(content)


async def _held_row(session: AsyncSession, inbound_id: int) -> InboundActivity:
    row = await session.get(InboundActivity, inbound_id)
    if row is None or row.quarantine_reason is None or row.reviewed_at is not None:
        raise NotFound("That activity is not waiting in the quarantine (already reviewed?).")
    return row


async def release(rt: Runtime, session: AsyncSession, staff: LocalUser, inbound_id: int) -> str:
    """Mark reviewed, commit, then process it through the normal path; the outcome of that processing."""
    from fediverse.inbox.dispatch import process_inbound  # dispatch imports this module: resolved at call time

    row = await _held_row(session, inbound_id)
    row.reviewed_at = rt.clock.now()
    modlog.record(session, staff, "quarantine.release", "activity", row.uri, "", reason_held=row.quarantine_reason,
                  sender=row.actor_uri)
    await session.commit()
    outcome = await process_inbound(rt, inbound_id)
    return (outcome.note or "processed") if isinstance(outcome, Done) else getattr(outcome, "error", "")


def _discard(row: InboundActivity, now: datetime) -> None:
    row.reviewed_at = now
    row.processed_at = now
    row.outcome = DISCARDED


async def discard(rt: Runtime, session: AsyncSession, staff: LocalUser, inbound_id: int, reason: str = "") -> None:
    """Mark one held activity reviewed and discarded, unprocessed; audited and committed."""
    row = await _held_row(session, inbound_id)
    _discard(row, rt.clock.now())
    modlog.record(session, staff, "quarantine.discard", "activity", row.uri, reason, reason_held=row.quarantine_reason,
                  sender=row.actor_uri)
    await session.commit()


async def discard_actor(rt: Runtime, session: AsyncSession, staff: LocalUser, inbound_id: int, reason: str = "") -> int:
    """Discard everything this actor has waiting and suspend the (remote) account, in one commit; how many
    were discarded."""
    row = await _held_row(session, inbound_id)
    actor_uri = row.actor_uri
    account = await account_db.by_uri(session, actor_uri)
    if account is not None and account.is_local:
        raise Invalid("A local account cannot be suspended from the quarantine; use the accounts page.")
    now = rt.clock.now()
    rows = (await session.scalars(_held().where(InboundActivity.actor_uri == actor_uri))).all()
    for held in rows:
        _discard(held, now)
    if account is not None and account.suspended_at is None:  # the accounts page's suspend: follows go too
        await account_actions.apply(rt, session, staff, account, "suspend", reason or "spam held in quarantine")
    modlog.record(session, staff, "quarantine.discard_actor", "account", actor_uri, reason, discarded=len(rows),
                  suspended=account is not None)
    await session.commit()
    return len(rows)
