"""Honest empty answers to what apps ask a signed-in server at start and this one does not keep: lists,
filters (v1 and v2), followed tags, endorsements, user-level domain blocks — ``[]`` (an app treats a 404 as a
broken server), each behind the scope Mastodon asks for; and no Web Push subscription (404 with an error, as
Mastodon answers one never made)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fediverse.api import signed_in
from fediverse.api.params import routes as both_routes
from fediverse.api.public import _json
from fediverse.models import LocalUser
from fediverse.runtime import Runtime


def _empty(*scopes: str) -> Any:
    @signed_in.view(*scopes)
    async def empty(request: Request, rt: Runtime, session: Any, user: LocalUser) -> Response:
        return _json([])
    return empty


@signed_in.view("push")
async def push_subscription(request: Request, rt: Runtime, session: Any, user: LocalUser) -> Response:
    return _json({"error": "Record not found"}, status=404)


def routes() -> list[Route]:
    table = [("/api/v1/lists", _empty("read:lists")), ("/api/v1/filters", _empty("read:filters")),
             ("/api/v2/filters", _empty("read:filters")), ("/api/v1/followed_tags", _empty("read:follows")),
             ("/api/v1/endorsements", _empty("read:accounts")), ("/api/v1/domain_blocks", _empty("read:blocks")),
             ("/api/v1/push/subscription", push_subscription)]
    return [route for path, run in table for route in both_routes(path, run)]
