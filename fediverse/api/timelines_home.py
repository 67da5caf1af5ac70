"""``GET /api/v1/timelines/home``: the caller's home timeline, the same query the web ``/home`` page runs
(services/timelines.home: the people she follows and her own posts, each as she may see it), paged by status id
(``max_id``, ``since_id``, ``min_id``, ``limit`` at most 40) with a ``Link`` header."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fediverse.api import signed_in
from fediverse.api.params import cursor as page_cursor
from fediverse.api.params import page_link, routes as both_routes
from fediverse.api.public import _json, _statuses
from fediverse.models import LocalUser
from fediverse.runtime import Runtime
from fediverse.services import timelines


@signed_in.view("read:statuses")
async def home(request: Request, rt: Runtime, session: Any, user: LocalUser) -> Response:
    cursor = page_cursor(request)
    page = await timelines.home(session, user.account, cursor.max_id, cursor.limit, since_id=cursor.since_id,
                                min_id=cursor.min_id)
    return _json(await _statuses(rt, session, page.items), headers=page_link(request, [i.entry_id for i in page.items]))


def routes() -> list[Route]:
    return both_routes("/api/v1/timelines/home", home)
