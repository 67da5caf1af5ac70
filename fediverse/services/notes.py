"""Local text notes: an artist posts text (mostly a reply to a remote post or to a work) and deletes it.

The web reply form and, later, the Mastodon client API post through ``post_note``; both are use cases and
commit. A note federates as Create(Note) to the author's followers (public, unlisted, followers-only), to the
replied-to author and to the mentioned accounts; a direct note only to the mentioned accounts. A reply to a
post of another local artist notifies her (when she may see it), as a mention notifies a mentioned one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.activitypub.render_notes import render_note_create, render_note_delete
from fediverse.db import accounts as account_db
from fediverse.db import statuses as status_db
from fediverse.db import local_notes as note_db
from fediverse.db import tags as tag_db
from fediverse.errors import Invalid, NotFound
from fediverse.federation.outbox import publish
from fediverse.models import (
    NOTE_VISIBILITIES, Account, LocalNote, LocalUser, Notification, RemoteNote, Status, utcnow,
)
from fediverse.services import threads
from fediverse.services.consent import local_text_consent
from fediverse.services.text import MentionTarget, format_post
from fediverse.services.visibility import may_see
from fediverse.services.works import resolve_mentions
from fediverse.snowflake import new_id

if TYPE_CHECKING:
    from fediverse.runtime import Runtime

MAX_TEXT = 5_000
MAX_CW = 500
# a reply's visibility by default: the replied-to post's, as Mastodon's compose box does (status names -> ours)
REPLY_DEFAULT = {"public": "public", "unlisted": "unlisted", "private": "followers", "direct": "direct"}


def check_note(text: str, visibility: str, cw: str) -> None:
    """Raises Invalid with a sentence the artist can act on."""
    if not text.strip():
        raise Invalid("a note needs some text")
    if len(text) > MAX_TEXT:
        raise Invalid(f"a note has at most {MAX_TEXT} characters, not {len(text)}")
    if len(cw) > MAX_CW:
        raise Invalid(f"content warning must be at most {MAX_CW} characters")
    if visibility not in NOTE_VISIBILITIES:
        raise Invalid(f"visibility must be one of {', '.join(NOTE_VISIBILITIES)}")


def acct_of(rt: Runtime, account: Account) -> str:
    """user@domain, lower-case, as a mention is written."""
    return f"{account.username}@{account.domain or rt.uris.domain}".lower()


async def reply_target(session: AsyncSession, status_id: int, viewer: Account) -> threads.Post:
    """The post a reply goes to: it must exist and ``viewer`` must be allowed to see it (else NotFound)."""
    post = await threads.visible_post(session, status_id, viewer)
    if post is None:
        raise NotFound("no such post (it may have been deleted, or it is not addressed to you)")
    return post


async def post_note(rt: Runtime, session: AsyncSession, user: LocalUser, text: str, *,
                    in_reply_to: int | None = None, visibility: str = "public", cw: str = "",
                    sensitive: bool = False) -> LocalNote:
    """Post a text note (``in_reply_to``: a status id), publish its Create, notify, and commit."""
    check_note(text, visibility, cw)
    account = user.account
    parent = await reply_target(session, in_reply_to, account) if in_reply_to is not None else None
    public_id = str(new_id())
    note = LocalNote(public_id=public_id, uri=rt.uris.local_note(account.uri, public_id), account=account,
                     account_id=account.id, content=text, visibility=visibility, summary=cw.strip(),
                     in_reply_to_uri=parent.uri if parent else None,
                     in_reply_to_id=parent.status.id if parent else None, published_at=utcnow())
    # An account a moderator marked sensitive posts only sensitive posts (as works).
    note.sensitive = sensitive or bool(note.summary) or account.sensitized_at is not None
    mentioned = await _apply_text(rt, session, note, parent)
    session.add(note)
    await session.flush()
    status = await status_db.add_for_local_note(session, note, [a.uri for a in mentioned])
    await tag_db.index_tags(session, status.id, note.tags)  # its tag page (public notes only show there)
    await publish(session, account, render_note_create(note, rt.uris, consent=local_text_consent(
        rt.settings, rt.uris, account, note.visibility)), inboxes=_inboxes(note, mentioned, parent), followers=visibility != "direct")
    await _notify(session, note, status, mentioned, parent)
    await session.commit()
    return note


async def _apply_text(rt: Runtime, session: AsyncSession, note: LocalNote,
                      parent: threads.Post | None) -> list[Account]:
    """Fill the note's HTML, tags and mentions; returns the mentioned accounts. The replied-to author is known
    already: their prefilled @mention resolves without a WebFinger round trip."""
    known: dict[str, tuple[MentionTarget, Account]] = {}
    if parent is not None:
        author = parent.author
        acct = acct_of(rt, author)
        known[acct] = (MentionTarget(acct, author.uri, author.url or author.uri), author)
    resolved = {**await resolve_mentions(rt, session, _without(note.content, known)), **known}
    formatted = format_post(note.content, tag_url=rt.uris.tag_template(),
                            mentions={acct: target for acct, (target, _account) in resolved.items()})
    note.content_html = formatted.html
    note.tags = list(dict.fromkeys(formatted.tags))
    accounts = [resolved[target.acct][1] for target in formatted.mentions]
    note.mentions = [{"uri": a.uri, "acct": target.acct} for a, target in zip(accounts, formatted.mentions)]
    return accounts


def _without(text: str, known: dict[str, object]) -> str:
    """The text with mentions we already resolved taken out (so they are not looked up again)."""
    for acct in known:
        text = text.replace(f"@{acct}", " ")
    return text


def _inboxes(note: LocalNote, mentioned: list[Account], parent: threads.Post | None) -> list[str]:
    """Remote mentioned accounts; the replied-to remote author too unless the note is direct (then only the
    accounts it mentions get it, as Mastodon's StatusReachFinder)."""
    inboxes = [a.delivery_inbox for a in mentioned if not a.is_local]
    if parent is not None and not parent.author.is_local and note.visibility != "direct":
        inboxes.append(parent.author.delivery_inbox)
    return list(dict.fromkeys(inboxes))


async def _notify(session: AsyncSession, note: LocalNote, status: Status, mentioned: list[Account],
                  parent: threads.Post | None) -> None:
    """A local author replied to hears of it (the work named when it is a work); local mentioned accounts too."""
    notified = {note.account_id}
    if parent is not None and parent.author.is_local and parent.author.id not in notified \
            and await may_see(session, status, parent.author):
        session.add(Notification(account_id=parent.author.id, kind="reply", actor_id=note.account_id,
                                 work_id=parent.work.id if parent.work else None, local_note_id=note.id))
        notified.add(parent.author.id)
    for account in mentioned:
        if account.is_local and account.id not in notified and await may_see(session, status, account):
            session.add(Notification(account_id=account.id, kind="mention", actor_id=note.account_id,
                                     local_note_id=note.id))
            notified.add(account.id)


async def delete_note(rt: Runtime, session: AsyncSession, user: LocalUser, public_id: str) -> None:
    """Tombstone the note (its id answers 410), take its status and notifications away, send Delete to
    everyone who got it (and the servers of those who replied to it), and commit."""
    note = await note_db.by_public_id(session, public_id)
    if note is None or note.account_id != user.account_id or note.deleted_at is not None:
        raise NotFound(f"no note {public_id!r} by {user.account.username}")
    await tombstone_note(rt, session, note)
    await session.commit()


async def tombstone_note(rt: Runtime, session: AsyncSession, note: LocalNote) -> None:
    """The deletion itself, by its author or by a moderator resolving a report; the caller commits."""
    mentioned = [a for a in [await account_db.by_uri(session, m["uri"]) for m in note.mentions] if a is not None]
    parent_status = await threads.status_by_uri(session, note.in_reply_to_uri) if note.in_reply_to_uri else None
    parent = await threads.post_of(session, parent_status) if parent_status is not None else None
    repliers = await session.scalars(select(RemoteNote).where(RemoteNote.in_reply_to_uri == note.uri))
    inboxes = list(dict.fromkeys([*_inboxes(note, mentioned, parent), *(r.account.delivery_inbox for r in repliers)]))
    note.deleted_at = utcnow()
    await status_db.remove_for_local_note(session, note.id)  # its status_tags go with it (ON DELETE CASCADE)
    await session.execute(delete(Notification).where(Notification.local_note_id == note.id))
    await publish(session, note.account, render_note_delete(note), inboxes=inboxes,
                  followers=note.visibility != "direct")
