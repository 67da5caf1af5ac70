"""Timelines: the home timeline of a signed-in artist and her bookmarks, as typed items (not HTML), so the web
pages and the client API show the same thing.

Home, as Mastodon's: the statuses (works, stored remote notes, local text notes, boosts) of the accounts the viewer follows
(accepted) and her own, newest first by status id, paged by ``max_id``; each one visible to her by the one rule
(services/visibility.py), and for a boost the boosted status too. Suspended accounts and domains are left out;
a silenced (limited) account or domain is shown only to its followers, so in a home timeline only its boosts
by someone she follows, of a post by someone she does not, are dropped.

A page costs a fixed number of queries whatever its length: the page of ids; the statuses with the boosted ones,
the boosters and the remote notes (with authors) in one query; works (and their images) and local notes in one
each when the page has any; counts and the viewer's own likes, boosts and bookmarks in one; the cached copies of
remote images in one.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from datetime import datetime
from typing import Any, Sequence

from sqlalchemy import BigInteger, Integer, Select, and_, bindparam, func, literal, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from fediverse.activitypub.audience import LISTED_VISIBILITIES
from fediverse.activitypub.parse_note import MediaRef, media_attachments
from fediverse.db import domain_policy
from fediverse.db.blocks import hidden_authors
from fediverse.db import remote_media as remote_media_db
from fediverse.models import (
    ACCEPTED, Account, Bookmark, Favourite, Follow, LocalNote, Reaction, RemoteNote, Status, Work,
)
from fediverse.services import remote_media
from fediverse.services.visibility import visible_to

PAGE_SIZE = 40
MAX_PAGE_SIZE = 80
SCAN_FOLLOWS = 20  # on SQLite: from this many followed accounts on, walk the ids (see _scan_ids)
LIKE, BOOST, BOOKMARK = "like", "boost", "bookmark"
LIKES, BOOSTS, REMOTE_LIKES = "likes", "boosts", "remote_likes"  # the counts, in the same query
SCAN_ROUNDS = 5  # pages of ids read at most to fill one page when domain rules drop some


@dataclass(frozen=True)
class Image:
    """One image of a post. ``path``: a path on this site (a work's rendition, or our cached copy of a remote
    file); None when the remote file is not cached (yet, or its domain's media are rejected)."""

    alt: str
    path: str | None
    full_path: str | None
    remote_url: str | None
    width: int | None = None
    height: int | None = None
    blurhash: str | None = None
    thumbnail_path: str | None = None  # a work's smallest rendition (for srcset); None for remote files


@dataclass(frozen=True)
class Counts:
    """As known here: likes (ours, and remote ones of our works) and boosts stored here."""

    likes: int = 0
    boosts: int = 0


@dataclass(frozen=True)
class TimelineItem:
    """One entry of a timeline. ``entry_id`` is the id it is paged by (the boost's own id for a boost);
    ``status_id`` the status shown (the boosted one for a boost), which the actions act on."""

    entry_id: int
    status_id: int
    kind: str  # "work" | "note" (a remote one) | "local_note" (a text post of an artist here)
    author: Account
    work: Work | None
    note: RemoteNote | None
    local_note: LocalNote | None
    booster: Account | None
    boosted_at: datetime | None
    visibility: str
    published: datetime
    images: tuple[Image, ...]
    counts: Counts
    liked: bool
    boosted: bool
    bookmarked: bool
    entry_uri: str | None = None  # a boost's own id (its Announce); None for a post

    @property
    def can_boost(self) -> bool:
        """Only public and unlisted posts can be boosted, as on Mastodon."""
        return self.visibility in LISTED_VISIBILITIES


@dataclass(frozen=True)
class Page:
    items: list[TimelineItem]
    next_max_id: int | None  # pass as max_id for the next (older) page; None: nothing older


# made once: building an alias costs more than the query it is used in
_AUTHOR = aliased(Account, name="author")
_BOOSTED = aliased(Status, name="boosted")
_BOOSTED_AUTHOR = aliased(Account, name="boosted_author")
_LIKER = aliased(Account, name="liker")


def _followed(viewer: Account) -> Select[Any]:
    return select(Follow.followee_id).where(Follow.follower_id == viewer.id, Follow.state == ACCEPTED)


def _home_query(viewer: Account, *, scan_ids: bool = False) -> Select[Any]:
    """(entry id, shown author's domain, boosted author's domain or None, boosted author followed) of each
    home entry, newest first. ``scan_ids``: keep the planner off the (account_id, id) index, so it walks the
    ids backwards and stops at the page (SQLite otherwise reads every status of every followed account and
    sorts them; PostgreSQL finds the backward walk itself)."""
    followed = _followed(viewer)
    author, boosted, boosted_author = _AUTHOR, _BOOSTED, _BOOSTED_AUTHOR
    by = Status.account_id + 0 if scan_ids else Status.account_id
    return (
        select(Status.id, author.domain, boosted_author.domain,
               or_(boosted.account_id == viewer.id, boosted.account_id.in_(followed)))
        .join(author, author.id == Status.account_id)
        .outerjoin(boosted, boosted.id == Status.reblog_of_id)
        .outerjoin(boosted_author, boosted_author.id == boosted.account_id)
        .where(or_(by == viewer.id, by.in_(followed)), Status.account_id.not_in(hidden_authors(viewer.id)),
               or_(boosted.account_id.is_(None), boosted.account_id.not_in(hidden_authors(viewer.id))),
               visible_to(viewer), author.suspended_at.is_(None),
               or_(Status.reblog_of_id.is_(None), and_(
                   visible_to(viewer, boosted), boosted_author.suspended_at.is_(None),
                   or_(boosted_author.silenced_at.is_(None), boosted.account_id == viewer.id,
                       boosted.account_id.in_(followed)))))
        .order_by(Status.id.desc())
    )


def _allowed(rules: dict[str, domain_policy.Rule], domain: str | None, boosted_domain: str | None,
             boosted_followed: bool | None) -> bool:
    """Domain rules (with their subdomains, which SQL cannot match cheaply): suspended never; a silenced one's
    post only when its author is followed."""
    if not rules:
        return True
    if domain and (rule := domain_policy.match(rules, domain)) and rule.suspended:
        return False
    if boosted_domain and (rule := domain_policy.match(rules, boosted_domain)):
        return not rule.suspended and (not rule.silenced or bool(boosted_followed))
    return True


@dataclass(frozen=True)
class _AnyViewer:
    """Stands in for a local viewer when a query is built once: her id is the bound parameter ``viewer_id``."""

    id: Any
    is_local: bool = True


_VIEWER_ID = bindparam("viewer_id", type_=Integer)


@cache
def _prepared_home(scan_ids: bool, paged: bool) -> Select[Any]:
    """The home query built once per shape, the viewer, cursor and limit bound at execution: building it (the
    visibility rule, the follows) and computing its cache key on every request cost more than running it."""
    query = _home_query(_AnyViewer(_VIEWER_ID), scan_ids=scan_ids)  # type: ignore[arg-type]
    if paged:
        query = query.where(Status.id < bindparam("cursor", type_=BigInteger))
    return query.limit(bindparam("limit", type_=Integer))


_FOLLOWED_COUNT = select(func.count()).select_from(_followed(_AnyViewer(_VIEWER_ID)).subquery())  # type: ignore[arg-type]


async def _scan_ids(session: AsyncSession, viewer: Account) -> bool:
    """On SQLite, walk the ids backwards when the viewer follows enough accounts that a page is near the top;
    for a few followed accounts, their own rows (the account index) are fewer than that walk."""
    if session.bind.dialect.name != "sqlite":
        return False
    count = await session.scalar(_FOLLOWED_COUNT, {"viewer_id": viewer.id})
    return (count or 0) >= SCAN_FOLLOWS


async def _home_rows(session: AsyncSession, viewer: Account, scan_ids: bool, cursor: int | None,
                     limit: int) -> list[Any]:
    """One batch of home rows below ``cursor``; a local viewer's through the prepared query."""
    if not viewer.is_local:  # never on a page (home is for local artists); the rule as built for her
        query = _home_query(viewer, scan_ids=scan_ids)
        paged = query.where(Status.id < cursor) if cursor is not None else query
        return list((await session.execute(paged.limit(limit))).all())
    params: dict[str, Any] = {"viewer_id": viewer.id, "limit": limit}
    if cursor is not None:
        params["cursor"] = cursor
    return list((await session.execute(_prepared_home(scan_ids, cursor is not None), params)).all())


def page_size(limit: int | None) -> int:
    return PAGE_SIZE if limit is None else max(1, min(MAX_PAGE_SIZE, limit))


async def home_ids(session: AsyncSession, viewer: Account, max_id: int | None = None,
                   limit: int = PAGE_SIZE) -> tuple[list[int], int | None]:
    """The entry ids of one home page and the max_id of the next (the bare query the benchmark measures)."""
    rules = await domain_policy.hidden_hosts(session)
    scan_ids = await _scan_ids(session, viewer)
    found: list[int] = []
    cursor = max_id
    for _ in range(SCAN_ROUNDS):
        rows = await _home_rows(session, viewer, scan_ids, cursor, limit + 1)
        more = len(rows) > limit
        for entry_id, domain, boosted_domain, boosted_followed in rows[:limit]:
            cursor = entry_id
            if _allowed(rules, domain, boosted_domain, boosted_followed):
                found.append(entry_id)
                if len(found) == limit:
                    return found, (entry_id if more or rows[-1][0] != entry_id else None)
        if not more:
            return found, None
    return found, cursor


async def home_ids_above(session: AsyncSession, viewer: Account, floor: int, *, ascending: bool,
                         max_id: int | None = None, limit: int = PAGE_SIZE) -> list[int]:
    """The home entry ids newer than ``floor`` (and older than ``max_id``), newest first: the newest ``limit``
    of them (Mastodon's ``since_id``), or, ``ascending``, the ``limit`` just above ``floor`` (its ``min_id``:
    how an app catches up without a gap). Built per call: apps ask this on refresh, not per page scroll."""
    rules = await domain_policy.hidden_hosts(session)
    query = _home_query(viewer).where(Status.id > floor)
    if max_id is not None:
        query = query.where(Status.id < max_id)
    if ascending:
        query = query.order_by(None).order_by(Status.id)
    found: list[int] = []
    last: int | None = None
    for _ in range(SCAN_ROUNDS):
        batch = query if last is None else query.where(Status.id > last if ascending else Status.id < last)
        rows = list((await session.execute(batch.limit(limit + 1))).all())
        for entry_id, domain, boosted_domain, boosted_followed in rows:
            last = entry_id
            if _allowed(rules, domain, boosted_domain, boosted_followed):
                found.append(entry_id)
        if len(found) >= limit or len(rows) <= limit:
            break
    found = found[:limit]
    return found[::-1] if ascending else found


async def home(session: AsyncSession, viewer: Account, max_id: int | None = None,
               limit: int = PAGE_SIZE, *, since_id: int | None = None, min_id: int | None = None) -> Page:
    """One page of the viewer's home timeline, newest first; ``since_id``/``min_id`` as Mastodon pages (the
    client API; the web page only goes older)."""
    if min_id is not None or since_id is not None:
        floor = min_id if min_id is not None else since_id
        ids = await home_ids_above(session, viewer, floor or 0, ascending=min_id is not None, max_id=max_id,
                                   limit=page_size(limit))
        return Page(await items_for(session, viewer, ids), None)
    ids, next_max_id = await home_ids(session, viewer, max_id, page_size(limit))
    return Page(await items_for(session, viewer, ids), next_max_id)


async def bookmarks(session: AsyncSession, viewer: Account, max_id: int | None = None,
                    limit: int = PAGE_SIZE) -> Page:
    """The viewer's bookmarks, newest bookmark first, paged by the bookmark's id; a bookmarked post she may no
    longer see (or whose author was suspended) is not shown."""
    return await _kept(session, viewer, Bookmark, max_id, limit)


async def favourites(session: AsyncSession, viewer: Account, max_id: int | None = None,
                     limit: int = PAGE_SIZE) -> Page:
    """The posts the viewer liked, newest like first, paged by the like's id (as bookmarks are)."""
    return await _kept(session, viewer, Favourite, max_id, limit)


async def _kept(session: AsyncSession, viewer: Account, model: type[Bookmark] | type[Favourite],
                max_id: int | None, limit: int) -> Page:
    """The viewer's bookmarks or likes: the posts she may still see, newest row first, paged by the row id."""
    size = page_size(limit)
    author = _AUTHOR
    query = (select(model.id, Status.id).join(Status, Status.id == model.status_id)
             .join(author, author.id == Status.account_id)
             .where(model.account_id == viewer.id, visible_to(viewer), author.suspended_at.is_(None))
             .order_by(model.id.desc()).limit(size + 1))
    if max_id is not None:
        query = query.where(model.id < max_id)
    rows = (await session.execute(query)).all()
    rules = await domain_policy.hidden_hosts(session)
    shown = rows[:size]
    items = await items_for(session, viewer, [status_id for _b, status_id in shown])
    items = [item for item in items if _allowed(rules, item.author.domain, None, None)]
    return Page(items, shown[-1][0] if len(rows) > size else None)


async def items_for(session: AsyncSession, viewer: Account | None, entry_ids: Sequence[int]) -> list[TimelineItem]:
    """The timeline items of these status ids, in this order (ids no longer there are skipped). The caller has
    checked that ``viewer`` (None: signed out, who liked, boosted and bookmarked nothing) may see them."""
    if not entry_ids:
        return []
    loaded = await _statuses(session, entry_ids)
    entries, shown, boosters = loaded.entries, loaded.shown, loaded.boosters
    works, notes, local_notes = loaded.works, loaded.notes, loaded.local_notes
    targets = {e.id: shown.get(e.reblog_of_id) if e.reblog_of_id is not None else e for e in entries.values()}
    posts = [t for t in targets.values() if t is not None]
    post_ids = [p.id for p in posts]
    counts, liked, boosted, marked = await _counts_and_state(
        session, viewer, post_ids, {p.id: p.work_id for p in posts if p.work_id is not None})
    refs = {note.id: media_attachments(note.raw) for note in notes.values()}  # parsed once per note
    cached = await _cached_media(session, [ref.url for found in refs.values() for ref in found])
    items = []
    for entry_id in entry_ids:
        entry, target = entries.get(entry_id), targets.get(entry_id)
        if entry is None or target is None:
            continue
        work = works.get(target.work_id) if target.work_id is not None else None
        note = notes.get(target.remote_note_id) if target.remote_note_id is not None else None
        local = local_notes.get(target.local_note_id) if target.local_note_id is not None else None
        if local is not None and local.deleted_at is not None:
            local = None  # its status goes with the delete; a page read meanwhile must not show the tombstone
        post = work or note or local
        if post is None:
            continue
        boost = entry.reblog_of_id is not None
        items.append(TimelineItem(
            entry_id=entry.id, status_id=target.id,
            kind="work" if work is not None else "note" if note is not None else "local_note",
            author=post.account, work=work, note=note, local_note=local,
            booster=boosters.get(entry.account_id) if boost else None,
            boosted_at=entry.created_at if boost else None, visibility=target.visibility,
            published=target.created_at,
            images=_work_images(work) if work is not None else _note_images(refs[note.id], cached) if note is not None else (),
            counts=counts.get(target.id, Counts()), liked=target.id in liked, boosted=target.id in boosted,
            bookmarked=target.id in marked, entry_uri=entry.uri if boost else None))
    return items


@dataclass
class _Loaded:
    entries: dict[int, Status]  # the page's statuses
    shown: dict[int, Status]  # those and the statuses they boost
    boosters: dict[int, Account]
    works: dict[int, Work]
    notes: dict[int, RemoteNote]
    local_notes: dict[int, LocalNote]


async def _statuses(session: AsyncSession, entry_ids: Sequence[int]) -> _Loaded:
    """The entries, the statuses they boost, the boosters and the remote notes shown (the bulk of a home
    timeline), in one query: the entries by primary key, the rest joined to them by primary key (an
    ``OR id IN (subquery)`` would make PostgreSQL scan the table). Works and local notes, when the page has
    any, in one query each (joining them here too makes a join of ten tables, slow for PostgreSQL to plan)."""
    boosted = _BOOSTED
    rows = (await session.execute(
        select(Status, boosted, Account, RemoteNote)
        .outerjoin(boosted, boosted.id == Status.reblog_of_id)
        .join(Account, Account.id == Status.account_id)  # by primary key; only a booster's is used
        .outerjoin(RemoteNote, RemoteNote.id == func.coalesce(boosted.remote_note_id, Status.remote_note_id))
        .where(Status.id.in_(list(set(entry_ids)))))).all()
    entries = {status.id: status for status, *_rest in rows}
    shown = {**{target.id: target for _s, target, *_rest in rows if target is not None}, **entries}
    posts = [status.reblog_of_id and shown.get(status.reblog_of_id) or status for status in entries.values()]
    return _Loaded(
        entries=entries, shown=shown,
        boosters={account.id: account for status, _b, account, _n in rows if status.reblog_of_id is not None},
        works=await _by_id(session, Work, [p.work_id for p in posts if p.work_id is not None]),
        notes={note.id: note for *_rest, note in rows if note is not None},
        local_notes=await _by_id(session, LocalNote, [p.local_note_id for p in posts if p.local_note_id is not None]))


async def _by_id(session: AsyncSession, model: Any, ids: list[int]) -> dict[int, Any]:
    if not ids:
        return {}
    return {row.id: row for row in await session.scalars(select(model).where(model.id.in_(set(ids))))}


async def _counts_and_state(session: AsyncSession, viewer: Account | None, status_ids: list[int],
                            by_work: dict[int, int]) -> tuple[dict[int, Counts], set[int], set[int], set[int]]:
    """Counts (likes, boosts) of these statuses and which of them the viewer liked, boosted and bookmarked (none
    for a signed-out viewer), in one query (indexed lookups glued by UNION ALL). ``by_work``: status id -> work
    id, for the works here."""
    parts = [
        select(literal(LIKES), Favourite.status_id, func.count()).where(
            Favourite.status_id.in_(status_ids)).group_by(Favourite.status_id),
        select(literal(BOOSTS), Status.reblog_of_id, func.count()).where(
            Status.reblog_of_id.in_(status_ids)).group_by(Status.reblog_of_id),
    ]
    if viewer is not None:
        parts += [
            select(literal(LIKE), Favourite.status_id, literal(1)).where(
                Favourite.account_id == viewer.id, Favourite.status_id.in_(status_ids)),
            select(literal(BOOST), Status.reblog_of_id, literal(1)).where(
                Status.account_id == viewer.id, Status.reblog_of_id.in_(status_ids)),
            select(literal(BOOKMARK), Bookmark.status_id, literal(1)).where(
                Bookmark.account_id == viewer.id, Bookmark.status_id.in_(status_ids)),
        ]
    if by_work:  # likes of our works from other servers (ours are favourites and their reactions both)
        liker = _LIKER
        parts.append(select(literal(REMOTE_LIKES), Reaction.work_id, func.count())
                     .join(liker, liker.id == Reaction.account_id)
                     .where(Reaction.work_id.in_(list(by_work.values())), Reaction.kind == "like",
                            liker.domain.is_not(None)).group_by(Reaction.work_id))
    found: dict[str, dict[int, int]] = {LIKES: {}, BOOSTS: {}, REMOTE_LIKES: {}, LIKE: {}, BOOST: {}, BOOKMARK: {}}
    for kind, key, number in (await session.execute(union_all(*parts))).all():
        if key is not None:
            found[kind][key] = number
    likes, boosts, remote_likes = found[LIKES], found[BOOSTS], found[REMOTE_LIKES]
    counts = {sid: Counts(likes=likes.get(sid, 0) + remote_likes.get(by_work.get(sid, -1), 0),
                          boosts=boosts.get(sid, 0)) for sid in status_ids}
    return counts, set(found[LIKE]), set(found[BOOST]), set(found[BOOKMARK])


async def _cached_media(session: AsyncSession, wanted: list[str]) -> dict[str, str]:
    """Remote attachment URL -> the path of our cached, re-stamped copy."""
    rows = await remote_media_db.cached_by_urls(session, wanted)
    return {row.url: remote_media.local_path(row.token, row.storage_key.rpartition(".")[2])
            for row in rows if row.storage_key}


def _work_images(work: Work) -> tuple[Image, ...]:
    return tuple(Image(alt=image.alt_text, path=f"/media/{image.display_key}", full_path=f"/media/{image.large_key}",
                       remote_url=None, width=image.large_width, height=image.large_height,
                       blurhash=image.blurhash, thumbnail_path=f"/media/{image.thumbnail_key}") for image in work.images)


def _note_images(refs: Sequence[MediaRef], cached: dict[str, str]) -> tuple[Image, ...]:
    return tuple(Image(alt=ref.name, path=cached.get(ref.url), full_path=cached.get(ref.url), remote_url=ref.url,
                       width=ref.width, height=ref.height, blurhash=ref.blurhash)
                 for ref in refs)
