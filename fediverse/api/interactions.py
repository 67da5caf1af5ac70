"""The client API's actions on a status and the lists they make: favourite, reblog, bookmark, pin and their
undo (each answers the Status with the viewer's flags and counts as they now are), who favourited or reblogged
a status, and the caller's own favourites and bookmarks.

The actions are the web's (services/interactions.py): favouriting a remote post sends the same Like the home
page sends. Repeating an action, or undoing one never done, changes nothing and answers the Status, as Mastodon
does. A status the caller may not see is a 404, exactly like one that does not exist.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fediverse.api import entities, signed_in
from fediverse.api.params import cursor as page_cursor
from fediverse.api.params import limit, link, path_id, routes as both_routes
from fediverse.api.public import _json, _statuses, endpoint
from fediverse.errors import Conflict, NotFound
from fediverse.models import Account, LocalUser
from fediverse.runtime import Runtime
from fediverse.services import interactions, listings, timelines
from fediverse.services.timelines import items_for

Action = Callable[[Runtime, Any, LocalUser, int], Awaitable[Any]]


async def _answer(rt: Runtime, session: Any, viewer: Account, status_id: int) -> Response:
    items = await items_for(session, viewer, [status_id])
    if not items:
        return _json({"error": "Record not found"}, status=404)
    return _json((await _statuses(rt, session, items))[0])


def _action(act: Action, *scopes: str, answer_boost: bool = False) -> Callable[[Request], Awaitable[Response]]:
    """An endpoint doing ``act`` on the status (the boosted one, for a boost's id) and answering it."""
    @signed_in.view(*scopes)
    async def run(request: Request, rt: Runtime, session: Any, user: LocalUser) -> Response:
        account_id = user.account_id
        target = (await interactions.visible_status(session, user.account, path_id(request))).id
        try:
            await act(rt, session, user, target)
        except Conflict:  # done already (or never done): nothing to change
            await session.rollback()
        viewer = await session.get(Account, account_id)  # loaded again: a rollback expired the one we had
        if answer_boost and (boost := await interactions.boost_of(session, account_id, target)) is not None:
            return await _answer(rt, session, viewer, boost)
        return await _answer(rt, session, viewer, target)
    return run


async def _bookmark(rt: Runtime, session: Any, user: LocalUser, status_id: int) -> None:
    await interactions.bookmark(session, user, status_id)


async def _unbookmark(rt: Runtime, session: Any, user: LocalUser, status_id: int) -> None:
    try:
        await interactions.unbookmark(session, user, status_id)
    except NotFound:  # not bookmarked: nothing to take away
        await session.rollback()


async def _pin(rt: Runtime, session: Any, user: LocalUser, status_id: int) -> None:
    await interactions.pin_status(rt, session, user, status_id, True)


async def _unpin(rt: Runtime, session: Any, user: LocalUser, status_id: int) -> None:
    await interactions.pin_status(rt, session, user, status_id, False)


async def _who(request: Request, rt: Runtime, session: Any, viewer: Account | None,
               find: Callable[..., Awaitable[list[Account]]]) -> Response:
    try:
        found = await find(session, viewer, path_id(request), limit(request, 40, 80))
    except NotFound:
        return _json({"error": "Record not found"}, status=404)
    stats = await listings.account_stats(session, found)
    return _json([entities.account(rt.settings, a, stats.get(a.id)) for a in found])


async def favourited_by(request: Request, rt: Runtime, session: Any, viewer: Account | None) -> Response:
    return await _who(request, rt, session, viewer, interactions.favourited_by)


async def reblogged_by(request: Request, rt: Runtime, session: Any, viewer: Account | None) -> Response:
    return await _who(request, rt, session, viewer, interactions.reblogged_by)


async def _kept(request: Request, rt: Runtime, session: Any, user: LocalUser,
                listing: Callable[..., Awaitable[timelines.Page]]) -> Response:
    cursor = page_cursor(request)
    page = await listing(session, user.account, cursor.max_id, cursor.limit)
    # paged by the favourite's or bookmark's own id, which only the next page's address carries
    return _json(await _statuses(rt, session, page.items), headers=link(request, None, page.next_max_id))


@signed_in.view("read:favourites")
async def favourites(request: Request, rt: Runtime, session: Any, user: LocalUser) -> Response:
    """The caller's favourites, newest first (``Link`` to the older ones)."""
    return await _kept(request, rt, session, user, timelines.favourites)


@signed_in.view("read:bookmarks")
async def bookmarks(request: Request, rt: Runtime, session: Any, user: LocalUser) -> Response:
    """The caller's bookmarks, newest first (``Link`` to the older ones)."""
    return await _kept(request, rt, session, user, timelines.bookmarks)


def routes() -> list[Route]:
    actions: list[tuple[str, Callable[[Request], Awaitable[Response]]]] = [
        ("favourite", _action(interactions.like, "write:favourites")),
        ("unfavourite", _action(interactions.unlike, "write:favourites")),
        ("reblog", _action(interactions.reblog, "write:statuses", answer_boost=True)),
        ("unreblog", _action(interactions.unreblog, "write:statuses")),
        ("bookmark", _action(_bookmark, "write:bookmarks")),
        ("unbookmark", _action(_unbookmark, "write:bookmarks")),
        ("pin", _action(_pin, "write:accounts")),
        ("unpin", _action(_unpin, "write:accounts")),
    ]
    found = [route for name, run in actions
             for route in both_routes(f"/api/v1/statuses/{{id:int}}/{name}", run, ["POST"])]
    found += both_routes("/api/v1/statuses/{id:int}/favourited_by", endpoint(favourited_by))
    found += both_routes("/api/v1/statuses/{id:int}/reblogged_by", endpoint(reblogged_by))
    found += both_routes("/api/v1/favourites", favourites)
    found += both_routes("/api/v1/bookmarks", bookmarks)
    return found
