"""The client API's endpoints that need no sign-in: instance, accounts and their statuses, public and tag
timelines, a status and its context, and the honest empty lists (custom emojis, announcements, trends).

Each endpoint serves signed-in calls too: a valid bearer token makes its person the viewer (api.auth), handed
to the services, whose one visibility rule decides what it sees; no token is a signed-out viewer. A malformed id or parameter is a JSON 4xx, a huge ``limit`` is clamped to 40. Lists
page by status id (``max_id``, ``since_id``, ``min_id``) with a ``Link`` header that keeps the other parameters.
Paths are also accepted with a trailing slash (Mastodon.py sends some so), without a redirect.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fediverse.api import entities
from fediverse.api.auth import api_view
from fediverse.api.params import BadRequest, cursor, flag, number, page_link, path_id, routes as both_routes
from fediverse.models import Account, utcnow
from fediverse.runtime import Runtime
from fediverse.services import instance_stats, listings, threads
from fediverse.services.oauth import Grant
from fediverse.services.timelines import TimelineItem, items_for
from fediverse.web.context import runtime_of
from fediverse.web.responses import json_response

def _json(doc: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return json_response(doc, status=status, headers=headers)  # CORS: api.cors, on every /api/ answer


async def _statuses(rt: Runtime, session: Any, items: list[TimelineItem]) -> list[dict[str, Any]]:
    extras = await listings.extras(session, items)
    return [entities.status(rt.settings, item, extras) for item in items]


Handler = Callable[[Request, Runtime, Any, Account | None], Awaitable[Response]]


def endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """A Starlette endpoint around ``handler(request, runtime, session, viewer)``: no token needed, and a valid
    one makes its person the viewer (api.auth: an invalid token is a 401, never read as signed out; bad input
    is its JSON 4xx)."""
    @api_view(public=True, user=False)
    async def run(request: Request, session: Any, grant: Grant | None) -> Response:
        viewer = grant.user.account if grant is not None and grant.user is not None else None
        return await handler(request, runtime_of(request), session, viewer)
    run.__name__ = handler.__name__
    return run


async def _contact(rt: Runtime, session: Any) -> dict[str, Any]:
    contact = await listings.contact_account(session, rt.uris.instance_actor())
    if contact is None:
        return {}
    return entities.account(rt.settings, contact, (await listings.account_stats(session, [contact])).get(contact.id))


async def instance_v1(request: Request, rt: Runtime, session: Any, viewer: Account | None) -> Response:
    usage = await instance_stats.usage(session, utcnow())
    return _json(entities.instance_v1(rt.settings, await _contact(rt, session), users=usage.users_total,
                                      statuses=usage.local_posts, domains=await listings.known_domains(session)))


async def instance_v2(request: Request, rt: Runtime, session: Any, viewer: Account | None) -> Response:
    usage = await instance_stats.usage(session, utcnow())
    return _json(entities.instance_v2(rt.settings, await _contact(rt, session), active_month=usage.active_month))


async def _account(session: Any, request: Request) -> Account:
    account = await listings.visible_account(session, path_id(request))
    if account is None:
        raise BadRequest("Record not found", 404)
    return account


async def account(request: Request, rt: Runtime, session: Any, viewer: Account | None) -> Response:
    found = await _account(session, request)
    stats = await listings.account_stats(session, [found])
    return _json(entities.account(rt.settings, found, stats.get(found.id)))


async def lookup(request: Request, rt: Runtime, session: Any, viewer: Account | None) -> Response:
    acct = request.query_params.get("acct", "")
    if not acct or len(acct) > 512:
        raise BadRequest("acct is required (user or user@domain)")
    found = await listings.account_by_acct(session, acct, rt.uris.domain)
    if found is None:
        raise BadRequest("Record not found", 404)
    stats = await listings.account_stats(session, [found])
    return _json(entities.account(rt.settings, found, stats.get(found.id)))


async def account_statuses(request: Request, rt: Runtime, session: Any, viewer: Account | None) -> Response:
    found = await _account(session, request)
    tagged = request.query_params.get("tagged") or None
    flt = listings.AccountFilter(exclude_reblogs=flag(request, "exclude_reblogs"),
                                 exclude_replies=flag(request, "exclude_replies"),
                                 only_media=flag(request, "only_media"), pinned=flag(request, "pinned"),
                                 tagged=tagged[:200] if tagged else None)
    items = await listings.of_account(session, viewer, found, flt, cursor(request))
    return _json(await _statuses(rt, session, items), headers=page_link(request, [i.entry_id for i in items]))


def _where(request: Request) -> listings.Where:
    return listings.Where(local=flag(request, "local"), remote=flag(request, "remote"),
                          only_media=flag(request, "only_media"))


async def public_timeline(request: Request, rt: Runtime, session: Any, viewer: Account | None) -> Response:
    items = await listings.public(session, viewer, _where(request), cursor(request))
    return _json(await _statuses(rt, session, items), headers=page_link(request, [i.entry_id for i in items]))


async def tag_timeline(request: Request, rt: Runtime, session: Any, viewer: Account | None) -> Response:
    items = await listings.tag(session, viewer, request.path_params["hashtag"][:200], _where(request),
                               cursor(request))
    return _json(await _statuses(rt, session, items), headers=page_link(request, [i.entry_id for i in items]))


async def _visible(session: Any, request: Request, viewer: Account | None) -> threads.Post:
    post = await threads.visible_post(session, path_id(request), viewer)
    if post is None:
        raise BadRequest("Record not found", 404)
    return post


async def status(request: Request, rt: Runtime, session: Any, viewer: Account | None) -> Response:
    await _visible(session, request, viewer)
    items = await items_for(session, viewer, [path_id(request)])
    if not items:
        raise BadRequest("Record not found", 404)
    return _json((await _statuses(rt, session, items))[0])


async def context(request: Request, rt: Runtime, session: Any, viewer: Account | None) -> Response:
    post = await _visible(session, request, viewer)
    above = await threads.ancestors(session, post, viewer)
    below = await threads.descendants(session, post, viewer)
    ancestors = await items_for(session, viewer, [p.status.id for p in above])
    descendants = await items_for(session, viewer, [p.status.id for p in below])
    extras = await listings.extras(session, [*ancestors, *descendants])
    return _json(entities.context(rt.settings, ancestors, descendants, extras))


async def directory(request: Request, rt: Runtime, session: Any, viewer: Account | None) -> Response:
    """The profile directory (``order`` active or new, ``local``, ``offset``, ``limit`` up to 80)."""
    order = request.query_params.get("order") or "active"
    if order not in ("active", "new"):
        raise BadRequest("order must be active or new")
    found = await listings.directory(session, order=order, local=flag(request, "local"),
                                     offset=number(request, "offset", 0),
                                     limit=number(request, "limit", listings.DIRECTORY_LIMIT))
    stats = await listings.account_stats(session, found)
    return _json([entities.account(rt.settings, a, stats.get(a.id)) for a in found])


async def empty_list(request: Request, rt: Runtime, session: Any, viewer: Account | None) -> Response:
    """Custom emojis, announcements, trends: none here, said honestly (an app treats a 404 as broken)."""
    return _json([])


def routes() -> list[Route]:
    table: list[tuple[str, Handler]] = [
        ("/api/v1/instance", instance_v1), ("/api/v2/instance", instance_v2),
        ("/api/v1/accounts/lookup", lookup), ("/api/v1/accounts/{id:int}", account),
        ("/api/v1/accounts/{id:int}/statuses", account_statuses),
        ("/api/v1/timelines/public", public_timeline), ("/api/v1/timelines/tag/{hashtag}", tag_timeline),
        ("/api/v1/statuses/{id:int}", status), ("/api/v1/statuses/{id:int}/context", context),
        ("/api/v1/directory", directory), ("/api/v1/custom_emojis", empty_list), ("/api/v1/announcements", empty_list),
        ("/api/v1/trends", empty_list), ("/api/v1/trends/tags", empty_list),
        ("/api/v1/trends/statuses", empty_list), ("/api/v1/trends/links", empty_list),
    ]
    return [route for path, handler in table for route in both_routes(path, endpoint(handler))]
