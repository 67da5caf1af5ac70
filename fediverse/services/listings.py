"""What the client API pages and shows beside the web pages: the public timeline, an account's statuses and a
tag's timeline as timeline items (services/timelines.py), paged by status id as Mastodon pages them, and the facts
its entities need that a timeline item does not carry (tags, the post replied to, mentioned accounts, reply and
account counts), each in one query over a page.

Paging, as Mastodon's: ``max_id`` (older than), ``since_id`` (newer than, newest first), ``min_id`` (the ones just
newer than it, newest first). Every listing goes through the one visibility rule (services/visibility.py): a
signed-out viewer sees public posts in timelines and public or unlisted ones on a profile. Public and tag
timelines leave out boosts, unlisted posts, and suspended or silenced accounts and domains, as Mastodon does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.activitypub.audience import LISTED_VISIBILITIES
from fediverse.db import domain_policy
from fediverse.db.blocks import hidden_authors
from fediverse.db import tags as tag_db
from fediverse.models import ACCEPTED, Account, Follow, LocalNote, LocalUser, RemoteNote, Status, Work
from fediverse.models.statuses import DIRECT, PUBLIC
from fediverse.models.tags import StatusTag, Tag, lookup_name
from fediverse.services.remote_accounts import reported_counts
from fediverse.services.timelines import TimelineItem, items_for
from fediverse.services.visibility import visible_to

DEFAULT_LIMIT = 20
MAX_LIMIT = 40
SCAN_ROUNDS = 5  # batches of ids read at most to fill one page when filters drop some
MAX_ACCOUNT_ID = 2**31 - 1  # accounts.id is an INTEGER: a larger id names nobody (and PostgreSQL refuses it)


@dataclass(frozen=True)
class Cursor:
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None
    limit: int = DEFAULT_LIMIT


@dataclass(frozen=True)
class Where:
    """The filters of the public and tag timelines."""

    local: bool = False
    remote: bool = False
    only_media: bool = False


@dataclass(frozen=True)
class AccountFilter:
    exclude_reblogs: bool = False
    exclude_replies: bool = False
    only_media: bool = False
    pinned: bool = False
    tagged: str | None = None


def clamp(limit: int | None) -> int:
    """Mastodon's page sizes: 20 by default, at most 40, at least 1."""
    return DEFAULT_LIMIT if limit is None else max(1, min(MAX_LIMIT, limit))


def _reply_uri(item: TimelineItem) -> str | None:
    post = item.note or item.local_note
    return post.in_reply_to_uri if post is not None else None


async def _page(session: AsyncSession, viewer: Account | None, query: Select[Any], cursor: Cursor,
                keep: Callable[[TimelineItem], bool], *, hide_silenced: bool) -> list[TimelineItem]:
    """The items of ``query`` (status ids) within the cursor, newest first, that ``keep`` and the domain rules let
    through; a few batches are read when they drop some."""
    rules = await domain_policy.hidden_hosts(session)
    ascending = cursor.min_id is not None
    if cursor.max_id is not None:
        query = query.where(Status.id < cursor.max_id)
    if ascending:
        query = query.where(Status.id > cursor.min_id).order_by(Status.id)
    else:
        if cursor.since_id is not None:
            query = query.where(Status.id > cursor.since_id)
        query = query.order_by(Status.id.desc())
    found: list[TimelineItem] = []
    last: int | None = None
    for _ in range(SCAN_ROUNDS):
        batch = query if last is None else query.where(Status.id > last if ascending else Status.id < last)
        ids = list(await session.scalars(batch.limit(cursor.limit + 1)))
        if not ids:
            break
        last = ids[-1]
        for item in await items_for(session, viewer, ids):
            if keep(item) and _allowed(rules, item, hide_silenced):
                found.append(item)
        if len(found) >= cursor.limit or len(ids) <= cursor.limit:
            break
    found = found[:cursor.limit]
    return found[::-1] if ascending else found


def _allowed(rules: dict[str, domain_policy.Rule], item: TimelineItem, hide_silenced: bool) -> bool:
    for account in (item.author, item.booster):
        if account is None or account.domain is None or not rules:
            continue
        rule = domain_policy.match(rules, account.domain)
        if rule is not None and (rule.suspended or hide_silenced and rule.silenced):
            return False
    return True


def _listed(query: Select[Any], where: Where) -> Select[Any]:
    """Public posts (never boosts) of accounts neither suspended nor silenced, with the timeline's filters."""
    query = query.join(Account, Account.id == Status.account_id).where(
        Status.visibility == PUBLIC, Status.reblog_of_id.is_(None), Account.suspended_at.is_(None),
        Account.silenced_at.is_(None))
    if where.local and not where.remote:
        query = query.where(Account.domain.is_(None))
    elif where.remote and not where.local:
        query = query.where(Account.domain.is_not(None))
    if where.only_media:
        query = query.where(Status.local_note_id.is_(None))  # a text note has no images
    return query


def _unhidden(query: Select[Any], viewer: Account | None) -> Select[Any]:
    """Without the posts of accounts the viewer blocks or mutes, or that block her (db.blocks)."""
    return query if viewer is None else query.where(Status.account_id.not_in(hidden_authors(viewer.id)))


def _media_filter(only_media: bool) -> Callable[[TimelineItem], bool]:
    return (lambda item: bool(item.images)) if only_media else (lambda item: True)


async def public(session: AsyncSession, viewer: Account | None, where: Where, cursor: Cursor) -> list[TimelineItem]:
    """The public timeline (``local``: this instance's, ``remote``: other servers')."""
    query = _listed(_unhidden(select(Status.id).where(visible_to(viewer)), viewer), where)
    return await _page(session, viewer, query, cursor, _media_filter(where.only_media), hide_silenced=True)


async def tag(session: AsyncSession, viewer: Account | None, raw_name: str, where: Where,
              cursor: Cursor) -> list[TimelineItem]:
    """The public posts carrying a hashtag (a name that is no tag, or one nobody used, has none)."""
    name = lookup_name(raw_name)
    found = await tag_db.by_name(session, name) if name is not None else None
    if found is None:
        return []
    query = _listed(_unhidden(select(Status.id).join(StatusTag, StatusTag.status_id == Status.id)
                              .where(StatusTag.tag_id == found.id, visible_to(viewer)), viewer), where)
    return await _page(session, viewer, query, cursor, _media_filter(where.only_media), hide_silenced=True)


async def of_account(session: AsyncSession, viewer: Account | None, account: Account, flt: AccountFilter,
                     cursor: Cursor) -> list[TimelineItem]:
    """An account's statuses (works, notes and boosts) that ``viewer`` may see, newest first."""
    query = select(Status.id).where(Status.account_id == account.id, visible_to(viewer))
    if flt.exclude_reblogs or flt.pinned or flt.only_media:
        query = query.where(Status.reblog_of_id.is_(None))
    if flt.only_media:
        query = query.where(Status.local_note_id.is_(None))
    if flt.pinned:
        query = query.where(Status.work_id.in_(select(Work.id).where(Work.account_id == account.id,
                                                                     Work.pinned_at.is_not(None))))
    if flt.tagged is not None:
        name = lookup_name(flt.tagged)
        if name is None:
            return []
        query = query.where(Status.id.in_(select(StatusTag.status_id).join(Tag, Tag.id == StatusTag.tag_id)
                                          .where(Tag.name == name)))

    def keep(item: TimelineItem) -> bool:
        if item.booster is not None and (item.visibility not in LISTED_VISIBILITIES or item.author.suspended_at):
            return False
        if flt.exclude_replies and _reply_uri(item) is not None:
            return False
        return bool(item.images) or not flt.only_media

    return await _page(session, viewer, query, cursor, keep, hide_silenced=False)


async def visible_account(session: AsyncSession, account_id: int) -> Account | None:
    """An account the API shows (none suspended; the instance actor is not a person)."""
    if not 0 < account_id <= MAX_ACCOUNT_ID:
        return None
    account = await session.get(Account, account_id)
    if account is None or account.suspended_at is not None or account.actor_type == "Application":
        return None
    return account


async def account_by_acct(session: AsyncSession, acct: str, local_domain: str) -> Account | None:
    """``user`` or ``user@domain`` (this domain: local) among the accounts known here; no network lookup."""
    username, _, domain = acct.strip().lstrip("@").partition("@")
    if not username:
        return None
    if not domain or domain.lower() == local_domain.lower():
        found = await session.scalar(select(Account).where(Account.domain.is_(None),
                                                           func.lower(Account.username) == username.lower()))
    else:
        found = await session.scalar(select(Account).where(func.lower(Account.handle) == f"{username}@{domain}".lower()))
    return found if found is not None and found.suspended_at is None and found.actor_type != "Application" else None


# --- what entities need beside the items -----------------------------------------------------------------------

@dataclass(frozen=True)
class AccountStats:
    followers: int = 0
    following: int = 0
    statuses: int = 0
    last_status_at: datetime | None = None


@dataclass(frozen=True)
class Extras:
    """Per status id of a page: its tags (name, display name), the post it replies to (status id, author id), the
    accounts it mentions, its reply count; per account id: its counts."""

    tags: dict[int, list[tuple[str, str]]] = field(default_factory=dict)
    replies_to: dict[int, tuple[int, int]] = field(default_factory=dict)
    mentions: dict[int, list[Account]] = field(default_factory=dict)
    replies: dict[int, int] = field(default_factory=dict)
    stats: dict[int, AccountStats] = field(default_factory=dict)


def _uri(item: TimelineItem) -> str:
    post = item.work or item.note or item.local_note
    return post.uri if post is not None else ""


def _mentioned_uris(item: TimelineItem) -> list[str]:
    if item.work is not None or item.local_note is not None:
        listed = (item.work or item.local_note).mentions  # type: ignore[union-attr]
        return [m["uri"] for m in listed if isinstance(m, dict) and isinstance(m.get("uri"), str)]
    tags = item.note.raw.get("tag") if item.note is not None and isinstance(item.note.raw, dict) else None
    tags = [tags] if isinstance(tags, dict) else tags if isinstance(tags, list) else []
    return [t["href"] for t in tags if isinstance(t, dict) and t.get("type") == "Mention"
            and isinstance(t.get("href"), str)]


async def extras(session: AsyncSession, items: list[TimelineItem], accounts: list[Account] = ()) -> Extras:  # type: ignore[assignment]
    """The extras of these items (and the counts of these accounts and the items' authors and boosters)."""
    status_ids = [i.status_id for i in items]
    result = Extras()
    if status_ids:
        for status_id, name, display in (await session.execute(
                select(StatusTag.status_id, Tag.name, Tag.display_name).join(Tag, Tag.id == StatusTag.tag_id)
                .where(StatusTag.status_id.in_(status_ids)).order_by(Tag.name))).all():
            result.tags.setdefault(status_id, []).append((name, display or name))
        await _replies_to(session, items, result)
        await _mentions(session, items, result)
        await _reply_counts(session, items, result)
    everyone = {a.id: a for a in [*accounts, *(i.author for i in items), *(i.booster for i in items if i.booster)]}
    result.stats.update(await account_stats(session, list(everyone.values())))
    return result


async def _statuses_by_uri(session: AsyncSession, uris: set[str]) -> dict[str, tuple[int, int]]:
    found: dict[str, tuple[int, int]] = {}
    for model, column in ((Work, Status.work_id), (RemoteNote, Status.remote_note_id), (LocalNote, Status.local_note_id)):
        rows = await session.execute(select(model.uri, Status.id, Status.account_id).join(Status, column == model.id)
                                     .where(model.uri.in_(uris)))
        found.update({uri: (sid, aid) for uri, sid, aid in rows.all()})
    return found


async def _replies_to(session: AsyncSession, items: list[TimelineItem], result: Extras) -> None:
    wanted = {i.status_id: uri for i in items if (uri := _reply_uri(i))}
    if not wanted:
        return
    found = await _statuses_by_uri(session, set(wanted.values()))
    result.replies_to.update({sid: found[uri] for sid, uri in wanted.items() if uri in found})


async def _mentions(session: AsyncSession, items: list[TimelineItem], result: Extras) -> None:
    wanted = {i.status_id: _mentioned_uris(i) for i in items}
    uris = {uri for listed in wanted.values() for uri in listed}
    if not uris:
        return
    known = {a.uri: a for a in await session.scalars(select(Account).where(Account.uri.in_(uris)))}
    for sid, listed in wanted.items():
        accounts = [known[uri] for uri in dict.fromkeys(listed) if uri in known]
        if accounts:
            result.mentions[sid] = accounts


async def _reply_counts(session: AsyncSession, items: list[TimelineItem], result: Extras) -> None:
    by_uri = {_uri(i): i.status_id for i in items}
    counts: dict[str, int] = {}
    for model in (RemoteNote, LocalNote):
        query = select(model.in_reply_to_uri, func.count()).where(model.in_reply_to_uri.in_(by_uri))
        if model is LocalNote:
            query = query.where(LocalNote.deleted_at.is_(None))
        for uri, count in (await session.execute(query.group_by(model.in_reply_to_uri))).all():
            counts[uri] = counts.get(uri, 0) + count
    result.replies.update({by_uri[uri]: count for uri, count in counts.items()})


async def account_stats(session: AsyncSession, accounts: list[Account]) -> dict[int, AccountStats]:
    """Followers, following and (non-direct) statuses as known here; a remote account's own counts when its
    actor document gives them and they are higher."""
    ids = [a.id for a in accounts]
    if not ids:
        return {}
    followers = dict((await session.execute(select(Follow.followee_id, func.count()).where(
        Follow.followee_id.in_(ids), Follow.state == ACCEPTED).group_by(Follow.followee_id))).all())
    following = dict((await session.execute(select(Follow.follower_id, func.count()).where(
        Follow.follower_id.in_(ids), Follow.state == ACCEPTED).group_by(Follow.follower_id))).all())
    statuses = {aid: (count, last) for aid, count, last in (await session.execute(
        select(Status.account_id, func.count(), func.max(Status.created_at))
        .where(Status.account_id.in_(ids), Status.visibility != DIRECT).group_by(Status.account_id))).all()}
    found = {}
    for account in accounts:
        reported = reported_counts(account.raw) if account.domain is not None else {}
        count, last = statuses.get(account.id, (0, None))
        found[account.id] = AccountStats(
            followers=max(followers.get(account.id, 0), reported.get("followers", 0)),
            following=max(following.get(account.id, 0), reported.get("following", 0)),
            statuses=max(count, reported.get("posts", 0)), last_status_at=last)
    return found


async def contact_account(session: AsyncSession, instance_actor_uri: str) -> Account | None:
    """The instance's contact: its first admin, else the instance actor."""
    admin = await session.scalar(select(Account).join(LocalUser, LocalUser.account_id == Account.id)
                                 .where(LocalUser.role == "admin", Account.suspended_at.is_(None))
                                 .order_by(LocalUser.created_at, Account.id).limit(1))
    return admin or await session.scalar(select(Account).where(Account.uri == instance_actor_uri))


async def known_domains(session: AsyncSession) -> int:
    """How many other servers' accounts we know (Mastodon's ``domain_count``)."""
    return await session.scalar(select(func.count(func.distinct(Account.domain))).where(
        Account.domain.is_not(None))) or 0


DIRECTORY_LIMIT = 40
DIRECTORY_MAX = 80
DIRECTORY_MAX_OFFSET = 10_000


async def directory(session: AsyncSession, *, order: str, local: bool, offset: int, limit: int) -> list[Account]:
    """The profile directory: discoverable accounts (local ones approved), neither suspended nor silenced;
    ``order`` "active" (latest post first) or "new" (newest account first)."""
    last = select(Status.account_id, func.max(Status.id).label("last")).group_by(Status.account_id).subquery()
    query = (select(Account).outerjoin(last, last.c.account_id == Account.id)
             .outerjoin(LocalUser, LocalUser.account_id == Account.id)
             .where(Account.discoverable.is_(True), Account.suspended_at.is_(None), Account.silenced_at.is_(None),
                    Account.actor_type != "Application",
                    (Account.domain.is_not(None)) | (LocalUser.approved.is_(True))))
    if local:
        query = query.where(Account.domain.is_(None))
    ordering = ((Account.created_at.desc(), Account.id.desc()) if order == "new"
                else (last.c.last.desc().nulls_last(), Account.id.desc()))
    limit = max(1, min(DIRECTORY_MAX, limit))
    offset = max(0, min(DIRECTORY_MAX_OFFSET, offset))
    return list(await session.scalars(query.order_by(*ordering).offset(offset).limit(limit)))
