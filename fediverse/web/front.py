"""`/`: the instance's front page. A discovery grid of recent public works of this instance's artists, newest
first, paged by status id (``?max_id=``); or, when ``instance.front_page = "artists"``, the list of artists.

Works of artists who opted out of search indexing appear too (the instance's own portfolio), but their tiles
are marked (rel=nofollow, data-nosnippet) and the page's X-Robots-Tag gains ``noimageindex`` (and ``noai,
noimageai`` when a shown artist refuses AI training) through web/consent.py's ROBOTS_ADD. The page is cached
like the portfolio pages (web/cache.py): a Work or WorkImage change drops it (tag ``works``), an artist's change
drops it through ``account:<id>``, a local account or LocalUser change (sign-up, approval) through ``artists``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fediverse import snowflake
from fediverse.db import accounts as account_db
from fediverse.models import Account, Work
from fediverse.runtime import Runtime
from fediverse.services.consent import for_work
from fediverse.services.discovery import recent_public_works
from fediverse.services.registrations import rules
from fediverse.web.consent import ROBOTS_ADD
from fediverse.web.context import runtime_of
from fediverse.web.pages import Tile, _cached, page_error, tile
from fediverse.web.templating import render_page

FRONT_PAGE_SIZE = 24


@dataclass(frozen=True)
class FrontTile:
    """A grid tile with its artist and whether search engines may follow it."""

    tile: Tile
    artist: str
    artist_url: str
    indexable: bool


def front_tile(rt: Runtime, work: Work) -> FrontTile:
    account = work.account
    return FrontTile(
        tile=tile(rt, work), artist=account.display_name or account.username,
        artist_url=rt.uris.profile(account.username),
        indexable=for_work(rt.settings, work).search,
    )


def _max_id(request: Request) -> int | None | Response:
    raw = request.query_params.get("max_id")
    if raw is None:
        return None
    max_id = snowflake.parse_id(raw)
    if max_id is None:
        return page_error(request, 400, "Bad page link", "Pages of recent works are linked by a number (max_id).")
    return max_id


def robots_added(rt: Runtime, works: list[Work]) -> list[str]:
    """Directives the shown works' own records demand of a page that shows their images."""
    records = [for_work(rt.settings, work) for work in works]
    added: list[str] = []
    if any(record.restricts_training for record in records):
        added += ["noai", "noimageai"]
    if any(not record.search for record in records):
        added.append("noimageindex")
    return added


async def home(request: Request) -> Response:
    rt = runtime_of(request)
    signup_open = rt.settings.registrations.mode != "closed"
    if rt.settings.instance.front_page == "artists":
        return await artists_page(request, signup_open)
    max_id = _max_id(request)
    if isinstance(max_id, Response):
        return max_id
    async with rt.sessions() as session:
        found = await recent_public_works(session, max_id=max_id, limit=FRONT_PAGE_SIZE)
        artists = await listed_artists(session) if max_id is None else []
    works = [work for _id, work in found.items]
    if max_id is not None and not works:
        return page_error(request, 404, "No older works", "You have reached the oldest public work.")
    base = rt.settings.base_url
    added = robots_added(rt, works)
    response = render_page(
        request, "front.html", tiles=[front_tile(rt, work) for work in works], signup_open=signup_open,
        artists=artists, rules=rules(rt),
        next_url=f"{base}/?max_id={found.next_max_id}" if found.next_max_id is not None else None,
        newest_url=f"{base}/" if max_id is not None else None, canonical=str(base) + "/" + (
            f"?max_id={max_id}" if max_id is not None else ""), robots_added=", ".join(added),
    )
    if added:
        response.headers[ROBOTS_ADD] = ", ".join(added)
    shown = {work.account_id for work in works} | {artist.id for artist in artists}
    return _cached(request, response, "works", "artists", *sorted(f"account:{account_id}" for account_id in shown))


async def listed_artists(session: Any) -> list[Account]:
    """Approved artists in good standing, by handle (the list under the grid, or the whole page)."""
    users = await account_db.list_local_users(session)
    return [u.account for u in users if u.account.suspended_at is None and u.account.silenced_at is None]


async def artists_page(request: Request, signup_open: bool) -> Response:
    """The artists list (the front page when the instance chose it)."""
    rt = runtime_of(request)
    async with rt.sessions() as session:
        artists = await listed_artists(session)
    response = render_page(request, "home.html", artists=artists, signup_open=signup_open, rules=rules(rt))
    return _cached(request, response, "artists", *(f"account:{a.id}" for a in artists))


routes = [Route("/", home)]
