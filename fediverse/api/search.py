"""``GET /api/v2/search``: accounts, hashtags and statuses for a query, as Mastodon apps ask for them.

The search page's service answers (services/search: local accounts, tag prefixes, public works by full text,
artists' "don't find me" consent honoured). ``resolve=true`` from a signed-in caller also looks up a
``user@domain`` handle or an account URL on its server (WebFinger / fetch) and a post URL (fetched and stored
when public or unlisted), as Mastodon does; without it, or signed out, nothing is fetched from elsewhere.
``offset`` pages the accounts and statuses; a caller without a token may not page (Mastodon answers 401).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fediverse.api import entities
from fediverse.api.auth import api_view, unauthorized
from fediverse.api.params import BadRequest, flag, number, routes as both_routes
from fediverse.api.public import _statuses
from fediverse.inbox.boosts import resolve_post
from fediverse.models import LocalUser
from fediverse.runtime import Runtime
from fediverse.services import listings, search, threads
from fediverse.services.oauth import Grant
from fediverse.services.timelines import items_for
from fediverse.web.context import runtime_of
from fediverse.web.responses import json_response

TYPES = ("accounts", "hashtags", "statuses")
MAX_LIMIT = 40


def _wanted(request: Request) -> tuple[str, ...]:
    kind = request.query_params.get("type") or ""
    if kind and kind not in TYPES:
        raise BadRequest(f"type must be one of {', '.join(TYPES)}")
    return (kind,) if kind else TYPES


async def _resolved_status(rt: Runtime, session: Any, query: str, resolve: bool) -> int | None:
    """A post URL's status id: held here already, else (``resolve``) fetched and stored when public."""
    if not query.startswith(("https://", "http://")):
        return None
    held = await threads.status_by_uri(session, query)
    found = held.id if held is not None else None
    if found is None and resolve:
        found = await resolve_post(rt, session, query)  # commits what it stored
    return found


async def _statuses_for(rt: Runtime, session: Any, user: LocalUser | None, results: search.Results,
                        resolve: bool) -> list[int]:
    """The found posts' status ids: the one a post URL names first, then the works; only those the caller may
    see (a followers-only or direct post's URL finds nothing for anyone else)."""
    ids = await search.status_ids_of_works(session, results.works)
    post = await _resolved_status(rt, session, results.query, resolve and user is not None)
    viewer = user.account if user is not None else None
    found = ([post] if post is not None else []) + [i for i in ids if i != post]
    return [i for i in found if await threads.visible_post(session, i, viewer) is not None]


@api_view("read:search", public=True, user=False)
async def search_v2(request: Request, session: Any, grant: Grant | None) -> Response:
    rt = runtime_of(request)
    user = grant.user if grant is not None else None
    wanted = _wanted(request)
    resolve = flag(request, "resolve")
    offset, limit = number(request, "offset", 0), min(max(number(request, "limit", 20), 1), MAX_LIMIT)
    if offset < 0:
        raise BadRequest("offset must not be negative")
    if offset and user is None:
        return unauthorized("Search queries pagination is not supported without authentication")
    results = await search.search(rt, session, request.query_params.get("q", ""), user, resolve=resolve)
    viewer = user.account if user is not None else None
    answer: dict[str, list[dict[str, Any]]] = {"accounts": [], "statuses": [], "hashtags": []}
    if "accounts" in wanted:
        accounts = results.accounts[offset:offset + limit]
        stats = await listings.account_stats(session, accounts)
        answer["accounts"] = [entities.account(rt.settings, a, stats.get(a.id)) for a in accounts]
    if "hashtags" in wanted:
        answer["hashtags"] = [entities.tag(rt.settings, t.name, t.display_name)
                              for t in results.tags[offset:offset + limit]]
    if "statuses" in wanted:
        ids = (await _statuses_for(rt, session, user, results, resolve))[offset:offset + limit]
        answer["statuses"] = await _statuses(rt, session, await items_for(session, viewer, ids))
    return json_response(answer)


def routes() -> list[Route]:
    return both_routes("/api/v2/search", search_v2)
