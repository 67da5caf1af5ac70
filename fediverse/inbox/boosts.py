"""Announce (boost) and its Undo: of one of our works (a counted reaction), or, by an account a local artist
follows, of any public or unlisted post, which is fetched when we do not hold it."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from sqlalchemy import select

from fediverse.activitypub.audience import LISTED_VISIBILITIES, addressed, note_visibility
from fediverse.activitypub.parse_note import parse_note
from fediverse.activitypub.vocab import Activity, ParseError
from fediverse.db import accounts as account_db
from fediverse.db import domain_policy
from fediverse.db import follows as follow_db
from fediverse.db import statuses as status_db
from fediverse.db import works as work_db
from fediverse.errors import RemoteError
from fediverse.federation.actors import fetch_actor, instance_signer
from fediverse.inbox.works import on_reaction, store_note, undo_reaction
from fediverse.models import Account, RemoteNote, Status

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from fediverse.runtime import Runtime


def _host(uri: str) -> str:
    return (urlsplit(uri).hostname or "").lower()


async def on_announce(rt: Runtime, session: AsyncSession, activity: Activity, actor: Account) -> str:
    """A boost of our work counts as before; a followed account's boost of a remote post becomes a status."""
    target = activity.object_id or ""
    work = await work_db.by_uri(session, target)
    if work is not None or rt.uris.is_local(target):
        outcome = await on_reaction(rt, session, activity, actor)
        if outcome == "announce counted" and work is not None:
            status = await status_db.for_work_id(session, work.id)
            if status is not None and await follow_db.followed_locally(session, actor.id):
                await _add_boost(session, activity, actor, status)
        return outcome
    if not await follow_db.followed_locally(session, actor.id):
        return "ignored: Announce of no work of ours"  # nobody here follows the booster: not ours to store
    if await status_db.by_uri(session, activity.id) is not None:
        return "ignored: boost already stored"
    note = await session.scalar(select(RemoteNote).where(RemoteNote.uri == target))
    if note is None:
        fetched = await fetch_public_post(rt, session, target)
        if isinstance(fetched, str):
            return f"ignored: {fetched}"
        note = fetched
    if note.visibility not in LISTED_VISIBILITIES:
        return "ignored: only public and unlisted posts can be boosted"
    await _add_boost(session, activity, actor, await status_db.for_note(session, note))
    return "boost stored"


async def _add_boost(session: AsyncSession, activity: Activity, actor: Account, boosted: Status) -> None:
    if boosted.visibility not in LISTED_VISIBILITIES or await status_db.by_uri(session, activity.id) is not None:
        return
    await status_db.add_remote_boost(
        session, actor.id, activity.id, boosted, published=activity.published,
        visibility=note_visibility(activity.to, activity.cc, actor.followers_url),
        addressed=addressed(activity.to, activity.cc))


async def fetch_public_post(rt: Runtime, session: AsyncSession, uri: str, *,
                            what: str = "the boosted post") -> RemoteNote | str:
    """Fetch a post we do not hold (signed by the instance actor; the client bounds size and time, refuses private
    addresses and suspended domains) and store it when it is public or unlisted; a reason string otherwise,
    naming the post as ``what``. For a boost of it, and for the client API's search with ``resolve``."""
    if not uri.startswith(("https://", "http://")) or await domain_policy.is_suspended(session, _host(uri)):
        return f"{what} is not fetchable from here"
    try:
        final_url, doc = await rt.client.fetch_json(uri, signer=await instance_signer(rt, session))
        first = parse_note(doc, embedded=False)
    except (RemoteError, ParseError) as exc:
        return f"{what} could not be fetched: {str(exc)[:300]}"
    if first.id not in (uri, final_url) or _host(first.id) != _host(final_url) or _host(first.attributed_to) != _host(first.id):
        return f"{what} is not on its author's host"
    stored = await session.scalar(select(RemoteNote).where(RemoteNote.uri == first.id))
    if stored is not None:
        return stored
    author = await _author(rt, session, first.attributed_to, what)
    if isinstance(author, str):
        return author
    note = parse_note(doc, embedded=False, followers=author.followers_url)
    if note.visibility not in LISTED_VISIBILITIES:
        return f"{what} is neither public nor unlisted: it is not stored"
    return await store_note(rt, session, note, author)


async def resolve_post(rt: Runtime, session: AsyncSession, uri: str) -> int | None:
    """A remote post's status id, fetched and stored (committed) when we do not hold it yet: the client API's
    search with ``resolve``. None when it cannot be fetched or is not public or unlisted."""
    fetched = await fetch_public_post(rt, session, uri, what="that post")
    if isinstance(fetched, str):
        return None
    status = await status_db.for_note(session, fetched)
    await session.commit()
    return status.id


async def _author(rt: Runtime, session: AsyncSession, uri: str, what: str) -> Account | str:
    author = await account_db.by_uri(session, uri)
    if author is None:
        try:
            author = await fetch_actor(rt, session, uri)
        except RemoteError as exc:
            return f"{what}'s author could not be fetched: {str(exc)[:300]}"
    if author.is_local:
        return f"{what} claims a local author"
    if author.suspended_at is not None or await domain_policy.is_suspended(session, author.domain):
        return f"{what}'s author is suspended here"
    return author


async def undo_announce(session: AsyncSession, activity: Activity, actor: Account) -> str:
    """The reaction on our work (if any) and the boost status (if any) go."""
    outcome = await undo_reaction(session, activity, actor)
    removed = await status_db.remove_boost_by(session, activity.object_id or "", actor.id)
    if outcome == "reaction removed" or not removed:
        return outcome
    return "boost removed"



