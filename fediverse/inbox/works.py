"""Inbound notes and reactions: Like and Announce of our works; replies, mentions and the posts of followed
accounts (Create Note); their Update, Delete and Undo."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from sqlalchemy import delete, select

from fediverse.activitypub.parse import object_id
from fediverse.activitypub.parse_note import RemoteNoteDoc, parse_note
from fediverse.activitypub.vocab import Activity, ParseError
from fediverse.db import accounts as account_db
from fediverse.db import follows as follow_db
from fediverse.db import local_notes as local_note_db
from fediverse.db import statuses as status_db
from fediverse.db import tags as tag_db
from fediverse.db import works as work_db
from fediverse.db.audience import add_audience, may_see
from fediverse.federation.actors import remote_note_consent
from fediverse.models import Account, LocalNote, Notification, Reaction, RemoteNote, RemoteNoteAudience, Work, utcnow
from fediverse.services import remote_media
from fediverse.services.consent import note_interaction_policy, work_interaction_policy
from fediverse.services.quotes import may_interact
from fediverse.services.remote_media import schedule_for_note
from fediverse.services.remote_accounts import HANDLE_RE
from fediverse.services.text import LocalMention, localize_links

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from fediverse.runtime import Runtime

REACTION_KINDS = {"Like": "like", "EmojiReact": "like", "Announce": "announce"}


def _same_host(a: str, b: str) -> bool:
    return urlsplit(a).netloc.lower() == urlsplit(b).netloc.lower()


async def on_reaction(rt: Runtime, session: AsyncSession, activity: Activity, actor: Account) -> str:
    """A Like or Announce of one of our works: counted once per account, and a notification."""
    work = await work_db.by_uri(session, activity.object_id or "")
    if work is None or work.deleted_at is not None:
        return f"ignored: {activity.type} of no work of ours"
    if work.visibility == "followers" and activity.type == "Announce":
        return "ignored: followers-only works cannot be boosted"
    kind = REACTION_KINDS[activity.type]
    existing = await session.scalar(select(Reaction).where(
        Reaction.kind == kind, Reaction.work_id == work.id, Reaction.account_id == actor.id))
    if existing is not None:
        existing.uri = activity.id
        return f"{kind} already counted"
    if kind == "announce" and not await may_interact(
            session, work_interaction_policy(rt.settings, work).boosts, work.account, actor):
        session.add(Reaction(kind=kind, uri=activity.id, work_id=work.id, account_id=actor.id, against_policy=True))
        return "announce stored, not counted: the work's boost policy does not include the booster"
    session.add(Reaction(kind=kind, uri=activity.id, work_id=work.id, account_id=actor.id))
    session.add(Notification(account_id=work.account_id, kind=kind, actor_id=actor.id, work_id=work.id))
    return f"{kind} counted"


async def undo_reaction(session: AsyncSession, activity: Activity, actor: Account) -> str:
    inner = activity.object if isinstance(activity.object, dict) else {}
    result = await session.execute(delete(Reaction).where(Reaction.uri == (activity.object_id or ""),
                                                          Reaction.account_id == actor.id))
    if not result.rowcount and inner.get("object"):  # some servers give the undone activity a new id
        work = await work_db.by_uri(session, object_id(inner.get("object")) or "")
        kind = REACTION_KINDS.get(str(inner.get("type")))
        if work is not None and kind is not None:
            result = await session.execute(delete(Reaction).where(
                Reaction.kind == kind, Reaction.work_id == work.id, Reaction.account_id == actor.id))
    return "reaction removed" if result.rowcount else "ignored: nothing to undo"


async def on_create(rt: Runtime, session: AsyncSession, activity: Activity, actor: Account) -> str:
    """Keep replies to our works, notes that mention our artists, and the posts of accounts a local artist
    follows; everything else is not ours to store."""
    if not isinstance(activity.object, dict):
        return "ignored: Create without an embedded object"
    if actor.is_local:  # our own artist's post, fanned out to her local followers: its status is here already
        return "ignored: a post of ours"
    try:
        note = parse_note(activity.object, followers=actor.followers_url, envelope=activity)
    except ParseError as exc:
        return f"ignored: {exc}"
    if note.attributed_to != actor.uri or not _same_host(note.id, actor.uri):
        return "ignored: note is not by the actor or not on its host"
    if await session.scalar(select(RemoteNote.id).where(RemoteNote.uri == note.id)) is not None:
        return "ignored: note already stored"
    work = await work_db.by_uri(session, note.in_reply_to) if note.in_reply_to else None
    if work is not None and work.deleted_at is not None:
        work = None
    local_note = await local_note_db.by_uri(session, note.in_reply_to) if note.in_reply_to and not work else None
    if local_note is not None and local_note.deleted_at is not None:
        local_note = None
    mentioned = [a for a in [await account_db.by_uri(session, uri) for uri in note.mentions] if a is not None and a.is_local]
    if work is None and local_note is None and not mentioned \
            and not await follow_db.followed_locally(session, actor.id):
        return "ignored: not a reply to our works and mentions none of our artists"
    row = await store_note(rt, session, note, actor, work_id=work.id if work else None)
    notified: set[int] = set()
    if not await _reply_allowed(rt, session, work, local_note, actor):
        row.against_policy = True  # stored as usual, but neither listed, counted nor notified
        notified.update(post.account_id for post in (work, local_note) if post is not None)
        work = local_note = None
    if work is not None and await may_see(session, row.id, work.account):  # a direct note to others is not theirs
        session.add(Notification(account_id=work.account_id, kind="reply", actor_id=actor.id, work_id=work.id, note_id=row.id))
        notified.add(work.account_id)
    if local_note is not None and await may_see(session, row.id, local_note.account):  # a reply to an artist's note
        session.add(Notification(account_id=local_note.account_id, kind="reply", actor_id=actor.id, note_id=row.id))
        notified.add(local_note.account_id)
    for account in mentioned:
        if account.id not in notified and await may_see(session, row.id, account):
            session.add(Notification(account_id=account.id, kind="mention", actor_id=actor.id, note_id=row.id))
            notified.add(account.id)
    if row.against_policy:
        return "reply stored, not shown: the post's reply policy does not include its author"
    return "reply stored" if work is not None or local_note is not None else "mention stored" if mentioned else "post stored"


async def _reply_allowed(rt: Runtime, session: AsyncSession, work: Work | None, local_note: LocalNote | None,
                         actor: Account) -> bool:
    """Does the reply policy of the work or text note replied to include ``actor``? (True when it replies to
    neither.)"""
    if work is not None:
        return await may_interact(session, work_interaction_policy(rt.settings, work).replies, work.account, actor)
    if local_note is not None:
        policy = note_interaction_policy(rt.settings, local_note.account, local_note.visibility)
        return await may_interact(session, policy.replies, local_note.account, actor)
    return True


async def store_note(rt: Runtime, session: AsyncSession, note: RemoteNoteDoc, author: Account, *,
                     work_id: int | None = None) -> RemoteNote:
    """A parsed note becomes a row with its audience, its status and its images' fetch jobs (the caller
    commits). Its hashtags are indexed on its status for the tag pages."""
    row = RemoteNote(uri=note.id, url=note.url, account_id=author.id, work_id=work_id,
                     content_html=await stored_html(rt, session, note), summary=note.summary, sensitive=note.sensitive,
                     published_at=note.published or utcnow(), raw=note.raw, visibility=note.visibility,
                     in_reply_to_uri=note.in_reply_to if note.in_reply_to and len(note.in_reply_to) <= 2048 else None,
                     consent=remote_note_consent(note.raw, author.consent))
    session.add(row)
    await session.flush()
    add_audience(session, row.id, note.addressed)
    status = await status_db.add_for_note(session, row, note.addressed)  # flushes
    await tag_db.index_tags(session, status.id, note.hashtags)
    await schedule_for_note(rt, session, row, author)  # its images are fetched (and their signals read) in the background
    return row


async def stored_html(rt: Runtime, session: AsyncSession, note: RemoteNoteDoc) -> str:
    """The note's HTML as we keep it: sanitised, its hashtags linking to our tag pages and its mentions of accounts
    whose handle we know (held here, or stated as ``@user@domain`` by the Mention) to our pages of them, so a
    reader stays on this instance."""
    hrefs = [ref.href for ref in note.mention_refs]
    known = {a.uri: a for a in await session.scalars(select(Account).where(Account.uri.in_(hrefs)))} if hrefs else {}
    mentions = []
    for ref in note.mention_refs:
        account = known.get(ref.href)
        if account is not None and account.is_local:
            mentions.append(LocalMention(ref.href, f"{account.username}@{rt.uris.domain}",
                                         rt.uris.profile(account.username)))
            continue
        found = HANDLE_RE.match(f"{account.username}@{account.domain}" if account is not None else ref.name)
        if found is not None:
            acct = f"{found.group(1)}@{found.group(2).lower()}"
            mentions.append(LocalMention(ref.href, acct, f"{rt.uris.base}/@{acct}"))
    return localize_links(note.content, tag_url=rt.uris.tag_template(),
                          hashtags={ref.href: ref.name for ref in note.hashtag_refs}, mentions=mentions)


async def on_update_note(rt: Runtime, session: AsyncSession, activity: Activity, actor: Account) -> str:
    """Apply an edit only when `updated` is newer than what we have (as Mastodon does): text, content warning,
    attachments, tags (in ``raw``) and audience are replaced, and the note's status follows."""
    try:
        note = parse_note(activity.object, followers=actor.followers_url, envelope=activity)
    except ParseError as exc:
        return f"ignored: {exc}"
    row = await session.scalar(select(RemoteNote).where(RemoteNote.uri == note.id))
    if row is None or row.account_id != actor.id:
        return "ignored: update of a note we do not have"
    if note.updated is None or (row.updated_at is not None and note.updated <= row.updated_at):
        return "ignored: not newer than the stored version"
    row.content_html = await stored_html(rt, session, note)
    row.summary = note.summary
    row.sensitive = note.sensitive
    row.updated_at = note.updated
    row.raw = note.raw
    if _addressed(activity):  # an edit that says nothing of its audience keeps the one we have
        row.visibility = note.visibility
        await session.execute(delete(RemoteNoteAudience).where(RemoteNoteAudience.note_id == row.id))
        add_audience(session, row.id, note.addressed)
        await status_db.sync_note(session, row, note.addressed)
    await tag_db.index_tags(session, (await status_db.for_note(session, row)).id, note.hashtags)
    row.consent = remote_note_consent(note.raw, actor.consent)  # a changed (or withdrawn) signal replaces the old one
    await schedule_for_note(rt, session, row, actor)  # the files' headers and XMP are read again too
    return "note updated"


def _addressed(activity: Activity) -> bool:
    obj = activity.object if isinstance(activity.object, dict) else {}
    return "to" in obj or "cc" in obj or bool(activity.to or activity.cc)


async def on_delete(rt: Runtime, session: AsyncSession, activity: Activity, actor: Account) -> str:
    """A deleted note disappears (with its notifications); a deleted actor takes all of its traces along."""
    target = activity.object_id or ""
    if target == actor.uri:
        await remote_media.forget(rt, session, account_id=actor.id)
        await session.execute(delete(Account).where(Account.id == actor.id))
        return "actor deleted"
    note_id = await session.scalar(select(RemoteNote.id).where(RemoteNote.uri == target,
                                                               RemoteNote.account_id == actor.id))
    if note_id is not None:
        await remote_media.forget(rt, session, note_id=note_id)  # the cached copies of its images go with it
        await status_db.remove_for_notes(session, [note_id])  # its status and every boost of it
    result = await session.execute(delete(RemoteNote).where(RemoteNote.uri == target, RemoteNote.account_id == actor.id))
    return "note deleted" if result.rowcount else "ignored: delete of a note we do not have"
