"""Search: accounts, tags and local works (title, description, alt text) with the database's full-text engine.

- accounts: local ones by username or display name; ``user@domain`` or a profile URL is resolved by WebFinger /
  fetch (through the federation client and its actor cache) for signed-in users only, so a signed-out visitor
  can never make this server fetch anything;
- tags: prefix match on the normalised name;
- works: FTS5 / tsvector (db/search.py), public works only, never of suspended or silenced artists, and never of
  artists (or works) whose consent record says ``search = False`` (noindex): they opted out of being found.

The query is capped at ``MAX_QUERY`` characters (longer is Invalid, with a message) and is only ever data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import and_, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from fediverse.db import domain_policy
from fediverse.db import search as search_db
from fediverse.db import tags as tag_db
from fediverse.errors import Invalid, NotFound, RemoteError
from fediverse.federation.lookup import resolve_handle
from fediverse.models import Account, LocalUser, Status, Work
from fediverse.models.statuses import PUBLIC
from fediverse.models.tags import Tag, normalize_tag
from fediverse.services.consent import instance_record
from fediverse.services.listings import account_by_acct
from fediverse.services.visibility import visible_to

if TYPE_CHECKING:
    from fediverse.runtime import Runtime

MAX_QUERY = 200
LIMIT = 20
_HANDLE = re.compile(r"^@?[\w.+-]{1,64}@[a-z0-9.-]{1,253}(?::\d{1,5})?$", re.IGNORECASE)


@dataclass
class Results:
    query: str
    accounts: list[Account] = field(default_factory=list)
    tags: list[Tag] = field(default_factory=list)
    works: list[Work] = field(default_factory=list)
    notice: str | None = None  # a remote lookup that failed, said plainly


def check_query(raw: str) -> str:
    """The query, stripped; Invalid when it is longer than MAX_QUERY characters or holds control characters."""
    query = raw.strip()
    if len(query) > MAX_QUERY:
        raise Invalid(f"Search text is limited to {MAX_QUERY} characters; yours has {len(query)}.")
    if any(ord(c) < 32 or ord(c) == 127 for c in query):
        raise Invalid("Search text cannot contain control characters.")
    return query


def is_remote_address(query: str) -> bool:
    """``user@domain`` (``@`` optional) or an https profile URL: something only a remote lookup can find."""
    return bool(_HANDLE.match(query)) or query.startswith(("https://", "http://"))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def local_accounts(session: AsyncSession, query: str) -> list[Account]:
    """Local artists whose username or display name starts with (or holds) the query; none suspended."""
    term = query.lstrip("@").split("@", 1)[0].lower()
    if not term:
        return []
    pattern = f"%{_escape_like(term)}%"
    rows = await session.scalars(
        select(Account).where(Account.domain.is_(None), Account.suspended_at.is_(None),
                              Account.actor_type != "Application",
                              or_(func.lower(Account.username).like(pattern, escape="\\"),
                                  func.lower(Account.display_name).like(pattern, escape="\\")))
        .order_by(func.length(Account.username), Account.username).limit(LIMIT))
    return list(rows)


async def _remote_account(rt: Runtime, session: AsyncSession, query: str) -> tuple[Account | None, str | None]:
    """Resolve a handle or URL (signed-in users only); (account, None) or (None, why not)."""
    try:
        account = await resolve_handle(rt, session, query)
    except (Invalid, NotFound, RemoteError) as exc:
        return None, f"Could not find {query[:100]}: {exc}"[:300]
    if account.suspended_at is not None or await domain_policy.is_suspended(session, account.domain):
        return None, None
    return account, None


def _search_allowed(rt: Runtime):  # type: ignore[no-untyped-def]
    """SQL: the effective consent ``search`` of a work (work override, else artist override, else instance)."""
    default = instance_record(rt.settings).search
    return func.coalesce(Work.consent["search"].as_boolean(), Account.consent["search"].as_boolean(),
                         literal(default)) == literal(True)


async def find_works(rt: Runtime, session: AsyncSession, query: str, viewer: Account | None) -> list[Work]:
    """Public works matching every term, newest first, of artists who allow search."""
    matching = search_db.matching(session, query)
    if matching is None:
        return []
    rows = await session.scalars(
        select(Work).options(joinedload(Work.images))  # the tiles' images in the same query
        .join(Account, Account.id == Work.account_id).join(Status, Status.work_id == Work.id)
        .where(matching, Work.deleted_at.is_(None), Work.visibility == "public",
               and_(visible_to(viewer), Status.visibility == PUBLIC),
               Account.suspended_at.is_(None), Account.silenced_at.is_(None), _search_allowed(rt))
        .order_by(Status.id.desc()).limit(LIMIT))
    return list(rows.unique())


async def search(rt: Runtime, session: AsyncSession, raw: str, user: LocalUser | None, *,
                 resolve: bool = True) -> Results:
    """The search page's use case; commits when a remote account was fetched and stored. ``resolve=False`` (the
    client API's default) never looks anything up on another server."""
    query = check_query(raw)
    results = Results(query=query)
    if not query:
        return results
    viewer = user.account if user is not None else None
    if is_remote_address(query):
        if user is not None and resolve:
            account, results.notice = await _remote_account(rt, session, query)
            if account is not None:
                results.accounts.append(account)
            await session.commit()
        else:
            known = await account_by_acct(session, query, rt.uris.domain) if _HANDLE.match(query) else None
            if known is not None and not await domain_policy.is_suspended(session, known.domain):
                results.accounts.append(known)  # held here already: found without asking its server
            elif user is None:
                results.notice = "Sign in to look up accounts on other servers."
        if _HANDLE.match(query):
            local = [a for a in await local_accounts(session, query) if a not in results.accounts]
            results.accounts += local if query.lstrip("@").split("@", 1)[1].lower() == rt.uris.domain else []
        return results
    results.accounts = await local_accounts(session, query)
    tag = normalize_tag(query)
    if tag is not None:
        results.tags = await tag_db.with_prefix(session, tag)
    results.works = await find_works(rt, session, query, viewer)
    return results


async def status_ids_of_works(session: AsyncSession, works: list[Work]) -> list[int]:
    """The status ids of found works, in the order found (a work's own status, never a boost of it)."""
    if not works:
        return []
    rows = await session.execute(select(Status.work_id, Status.id).where(Status.work_id.in_([w.id for w in works])))
    by_work: dict[int, int] = {work_id: status_id for work_id, status_id in rows}
    return [by_work[w.id] for w in works if w.id in by_work]

