"""Remote accounts on the web: their profile page, their recent posts, following them, and remote interaction
(the ostatus subscribe template both ways: another server's users come to our /authorize_interaction, and a
visitor on a portfolio is sent to their own server's).

Every network step goes through the safe client (time-outs, size caps, private addresses refused) and is bounded
here too: at most OUTBOX_ITEMS posts of one outbox page, within OUTBOX_SECONDS for the whole outbox read.
Nothing fetched from an outbox is stored: the page shows it and forgets it.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.activitypub.audience import PUBLIC
from fediverse.activitypub.parse import object_id
from fediverse.activitypub.parse_note import RemoteNoteDoc, media_attachments, parse_note
from fediverse.activitypub.vocab import ParseError
from fediverse.activitypub.webfinger import parse_resource, subscribe_template
from fediverse.db import accounts as account_db
from fediverse.db import domain_policy
from fediverse.db import remote_media as remote_media_db
from fediverse.db import follows as follow_db
from fediverse.db import works as work_db
from fediverse.errors import Invalid, NotFound, RemoteError
from fediverse.federation.actors import fetch_actor, instance_signer, remote_record, signals_from_json
from fediverse.federation.lookup import resolve_handle
from fediverse.federation.lookup import subscribe_template as remote_template
from fediverse.models import Account, Follow, LocalUser, RemoteNote, Status, Work
from fediverse.services import following, remote_media
from fediverse.services.consent import instance_record
from fediverse.services.visibility import visible_to

if TYPE_CHECKING:
    from fediverse.runtime import Runtime

OUTBOX_ITEMS = 20
OUTBOX_SECONDS = 8.0
HELD_POSTS = 20
MAX_URI = 2048
ACTOR_TYPES = ("Person", "Service", "Application", "Group", "Organization")
HANDLE_RE = re.compile(r"^@?([A-Za-z0-9_][A-Za-z0-9_.-]{0,63})@([A-Za-z0-9.-]{1,253}(?::[0-9]{1,5})?)$")


# --- the remote profile --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Post:
    """One post on a remote profile, as shown (HTML sanitised by the caller's template helper)."""

    uri: str
    url: str
    content_html: str
    summary: str
    sensitive: bool
    published: datetime | None
    media: tuple[tuple[str, str], ...]  # (url, alt)


@dataclass
class RemoteProfile:
    account: Account
    posts: list[Post] = field(default_factory=list)
    from_outbox: bool = False
    outbox_error: str | None = None
    counts: dict[str, int] = field(default_factory=dict)  # as the remote server reports them
    follow: Follow | None = None
    local_media: dict[str, str] = field(default_factory=dict)  # remote URL -> our cached, re-stamped copy
    robots: tuple[str, ...] = ()  # what the page's X-Robots-Tag adds: noindex, and the account's own refusals


async def find_account(rt: Runtime, session: AsyncSession, username: str, domain: str,
                       viewer: LocalUser | None) -> Account:
    """The remote account ``username@domain``: the one we hold; signed-in viewers may also make us look it up
    (WebFinger, then the actor). NotFound for anyone else, so visitors cannot make this server fetch anything."""
    if not HANDLE_RE.match(f"{username}@{domain}"):
        raise NotFound("not an account address")
    domain = domain.lower()
    if domain == rt.uris.domain:
        raise NotFound("a local account")  # /@name is the portfolio
    if await domain_policy.is_suspended(session, domain):
        raise NotFound(f"{domain} is blocked here")
    limited = await domain_policy.is_silenced(session, domain)
    known = await account_db.remote_by_handle(session, f"{username}@{domain}")
    if known is None and viewer is not None:
        known = await resolve_handle(rt, session, f"{username}@{domain}")
    if known is None or known.is_local or known.suspended_at is not None or (
            viewer is None and (known.silenced_at is not None or limited)):
        raise NotFound(f"no account {username}@{domain} here")
    return known


async def remote_profile(rt: Runtime, username: str, domain: str, viewer: LocalUser | None) -> RemoteProfile:
    """The use case behind /@user@domain: the account, the posts we hold that the viewer may see (public only
    for visitors), or when we hold none (and someone is signed in) the public posts of the first outbox page;
    commits a looked-up actor."""
    async with rt.sessions() as session:
        account = await find_account(rt, session, username, domain, viewer)
        me = viewer.account if viewer is not None else None
        profile = RemoteProfile(account=account, counts=reported_counts(account.raw))
        profile.posts = await held_posts(session, account, me)
        if me is not None:
            profile.follow = await follow_db.between(session, me.id, account.id)
            await remote_media.schedule_for_account(session, account)  # avatar and header, once per URL
        await session.commit()
        # Only for signed-in viewers: a visitor never makes this server fetch anything.
        if not profile.posts and me is not None and account.outbox_url and account.silenced_at is None:
            signer = await instance_signer(rt, session)
            try:
                profile.posts, total = await outbox_posts(rt, account, signer)
                profile.from_outbox = True
                if total is not None:
                    profile.counts.setdefault("posts", total)
            except RemoteError as exc:
                profile.outbox_error = str(exc)[:300]
        profile.local_media = await cached_copies(rt, session, [account.icon_url, account.image_url, *(
            url for post in profile.posts for url, _alt in post.media)])
    record = remote_record(signals_from_json(account.consent), instance_record(rt.settings))
    profile.robots = tuple(dict.fromkeys(("noindex", *record.robots_directives)))
    return profile


async def cached_copies(rt: Runtime, session: AsyncSession, urls: list[str | None]) -> dict[str, str]:
    """Remote URL -> our cached copy, for the files we hold (none from domains whose media we reject)."""
    rules = await domain_policy.hidden_hosts(session)
    wanted = [url for url in urls if url and not domain_policy.rejects_media(rules, urlsplit(url).hostname or "")]
    rows = await remote_media_db.cached_by_urls(session, wanted) if wanted else []
    return {row.url: local for row in rows if (local := remote_media.local_url(rt.uris, row))}


def reported_counts(raw: Any) -> dict[str, int]:
    """Counts an actor document embeds (``followers``/``following``/``outbox`` as collections with totalItems)."""
    counts: dict[str, int] = {}
    if not isinstance(raw, dict):
        return counts
    for name, key in (("followers", "followers"), ("following", "following"), ("posts", "outbox")):
        value = raw.get(key)
        total = value.get("totalItems") if isinstance(value, dict) else None
        if isinstance(total, int) and not isinstance(total, bool) and 0 <= total < 10 ** 12:
            counts[name] = total
    return counts


async def held_posts(session: AsyncSession, account: Account, viewer: Account | None) -> list[Post]:
    """The account's stored posts the viewer may see, newest first (visitors: public ones only)."""
    stmt = (select(RemoteNote).join(Status, Status.remote_note_id == RemoteNote.id)
            .where(Status.account_id == account.id, visible_to(viewer)).order_by(Status.id.desc()).limit(HELD_POSTS))
    if viewer is None:
        stmt = stmt.where(Status.visibility == PUBLIC)
    notes = (await session.scalars(stmt)).all()
    return [Post(uri=n.uri, url=n.url or n.uri, content_html=n.content_html, summary=n.summary,
                 sensitive=n.sensitive, published=n.published_at,
                 media=tuple((m.url, m.name) for m in media_attachments(n.raw))) for n in notes]


async def outbox_posts(rt: Runtime, account: Account, signer: Any) -> tuple[list[Post], int | None]:
    """Public posts of the first page of the account's outbox (at most OUTBOX_ITEMS, within OUTBOX_SECONDS for
    both fetches); RemoteError with a clear message for a slow, huge or malformed outbox."""
    assert account.outbox_url
    deadline = asyncio.get_running_loop().time() + OUTBOX_SECONDS
    _final, outbox = await rt.client.fetch_json(account.outbox_url, signer=signer, deadline=deadline)
    total = outbox.get("totalItems") if isinstance(outbox.get("totalItems"), int) else None
    page = outbox
    if not isinstance(outbox.get("orderedItems", outbox.get("items")), list):
        first = outbox.get("first")
        if isinstance(first, dict):
            page = first
        elif isinstance(first, str) and first.startswith(("https://", "http://")):
            if urlsplit(first).hostname != urlsplit(account.outbox_url).hostname:
                raise RemoteError("their outbox points to another server")
            _final, page = await rt.client.fetch_json(first, signer=signer, deadline=deadline)
        else:
            raise RemoteError("their outbox has no first page")
    items = page.get("orderedItems", page.get("items"))
    if not isinstance(items, list):
        raise RemoteError("their outbox page lists no items")
    posts = [post for item in items[:OUTBOX_ITEMS] if (post := _public_post(item, account)) is not None]
    return posts, total


def _public_post(item: Any, account: Account) -> Post | None:
    """A Create of a public note by this very account, embedded in the page (nothing is fetched per item)."""
    if not isinstance(item, dict) or item.get("type") != "Create" or object_id(item.get("actor")) != account.uri:
        return None
    try:
        note: RemoteNoteDoc = parse_note(item.get("object"))
    except (ParseError, TypeError, ValueError):
        return None
    if note.visibility != PUBLIC or note.attributed_to != account.uri:
        return None
    if urlsplit(note.id).hostname != urlsplit(account.uri).hostname:
        return None
    return Post(uri=note.id, url=note.url or note.id, content_html=note.content, summary=note.summary,
                sensitive=note.sensitive, published=note.published,
                media=tuple((m.url, m.name) for m in media_attachments(note.raw)))


# --- following from the web ----------------------------------------------------------------------------------

async def follow_account(rt: Runtime, session: AsyncSession, user: LocalUser, uri: str) -> Follow:
    """Follow the account at ``uri`` (actor id or user@domain) from a page: the Follow is sent; commits."""
    edge = await following.follow(rt, session, user, uri)
    await session.commit()
    return edge


async def unfollow_account(rt: Runtime, session: AsyncSession, user: LocalUser, uri: str) -> None:
    """Stop following: Undo(Follow) is sent; commits."""
    await following.unfollow(rt, session, user, uri)
    await session.commit()


# --- remote interaction --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Interaction:
    """What /authorize_interaction?uri= found: an account to follow, and maybe one of its posts."""

    account: Account
    following: Follow | None
    post_url: str | None = None
    post_html: str = ""
    post_summary: str = ""
    local_work: Work | None = None


async def resolve_interaction(rt: Runtime, session: AsyncSession, user: LocalUser, uri: str) -> Interaction:
    """An ``acct:``/``user@domain`` handle, an actor URL, or a post URL (ours or a remote one) -> what to offer;
    Invalid for nonsense, NotFound or RemoteError when it cannot be found. Commits what was looked up."""
    uri = uri.strip()
    if not uri or len(uri) > MAX_URI or any(not c.isprintable() for c in uri):
        raise Invalid("Give the address of an account (name@server) or the link of a post.")
    if not uri.startswith(("https://", "http://")):
        try:
            parse_resource(uri)
        except ValueError:
            raise Invalid(f"{uri[:100]!r} is neither an account address (name@server) nor a link.") from None
        found = await _interaction_for(rt, session, user, await resolve_handle(rt, session, uri))
    else:
        found = await _by_url(rt, session, user, uri)
    await session.commit()
    return found


async def _interaction_for(rt: Runtime, session: AsyncSession, user: LocalUser, account: Account,
                           **post: Any) -> Interaction:
    if account.suspended_at is not None or account.actor_type == "Application" and account.is_local:
        raise NotFound("that account cannot be followed")
    return Interaction(account=account, following=await follow_db.between(session, user.account_id, account.id),
                       **post)


async def _by_url(rt: Runtime, session: AsyncSession, user: LocalUser, url: str) -> Interaction:
    known = await account_db.by_uri(session, url)
    if known is not None:
        return await _interaction_for(rt, session, user, known)
    if rt.uris.is_local(url) or urlsplit(url).netloc == rt.uris.domain:
        work = await work_db.by_uri(session, url)
        if work is None and "/@" in url:
            work = await work_db.by_public_id(session, url.rstrip("/").rsplit("/", 1)[-1])
        if work is not None and work.deleted_at is None and work.visibility in ("public", "unlisted"):
            return await _interaction_for(rt, session, user, work.account, post_url=rt.uris.work_page(
                work.account.username, work.public_id), local_work=work)
        if "/@" in url:
            account = await account_db.local_by_username(session, url.rstrip("/").rsplit("/@", 1)[-1])
            if account is not None:
                return await _interaction_for(rt, session, user, account)
        raise NotFound("nothing at that address here")
    note = await session.scalar(select(RemoteNote).where(RemoteNote.uri == url))
    if note is not None and note.visibility in ("public", "unlisted"):
        return await _interaction_for(rt, session, user, note.account, post_url=note.url or note.uri,
                                      post_html=note.content_html, post_summary=note.summary)
    _final, doc = await rt.client.fetch_json(url, signer=await instance_signer(rt, session))
    if doc.get("type") in ACTOR_TYPES:
        return await _interaction_for(rt, session, user, await fetch_actor(rt, session, url))
    try:
        parsed = parse_note(doc)
    except ParseError as exc:
        raise Invalid(f"that link is neither an account nor a post we can show: {exc}") from None
    if parsed.visibility not in ("public", "unlisted"):
        raise NotFound("that post is not public")
    if urlsplit(parsed.attributed_to).netloc != urlsplit(parsed.id).netloc:
        raise RemoteError("that post's author is on another server than the post")
    author = await fetch_actor(rt, session, parsed.attributed_to)
    return await _interaction_for(rt, session, user, author, post_url=parsed.url or parsed.id,
                                  post_html=parsed.content, post_summary=parsed.summary)


def parse_visitor_handle(value: str) -> tuple[str, str]:
    """``name@their.server`` (a leading @ or acct: allowed) -> (name, server); Invalid with what is wrong."""
    value = value.strip().removeprefix("acct:")
    if not value:
        raise Invalid("Enter your handle, such as name@your.server.")
    if len(value) > 320:
        raise Invalid("That handle is too long.")
    match = HANDLE_RE.match(value)
    if match is None or "." not in match.group(2).split(":")[0] and ":" not in match.group(2):
        raise Invalid(f"{value[:100]!r} is not a handle: write it as name@your.server (e.g. ada@mastodon.social).")
    return match.group(1), match.group(2).lower()


async def remote_follow_url(rt: Runtime, handle: str, target_uri: str) -> tuple[str, str]:
    """Where to send a visitor whose handle is ``handle`` so they can follow ``target_uri`` from their own server:
    (URL, their server). Invalid for a bad handle or a server without a subscribe template; RemoteError when
    their server cannot be asked (bounded and guarded by the safe client)."""
    username, domain = parse_visitor_handle(handle)
    if domain == rt.uris.domain:
        return subscribe_template(rt.settings.base_url).replace("{uri}", quote(target_uri, safe="")), domain
    try:
        template = await remote_template(rt, username, domain)
    except RemoteError as exc:
        raise RemoteError(f"Could not ask {domain} about {username}@{domain}: {str(exc)[:200]}") from None
    if template is None:
        raise Invalid(f"{domain} does not say where its users follow accounts from (no subscribe template). "
                      f"Search for the handle in your app instead.")
    return template.replace("{uri}", quote(target_uri, safe="")), domain
