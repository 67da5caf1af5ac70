"""``POST /api/v1/reports``: an artist reports an account (and some of its posts) from an app.

The same service as the web report form (services/reports.file_report): the same categories, limits and checks
(the posts must be the account's, nobody reports themselves), the moderators see it in the same queue, and
``forward=true`` sends a remote account's server the anonymised Flag. A status id the reporter may not see
counts as unknown, so a report never confirms that a hidden post exists.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fediverse import snowflake
from fediverse.api import entities
from fediverse.api.auth import api_view
from fediverse.api.oauth_input import read_params
from fediverse.api.params import routes as both_routes
from fediverse.api.params import string, truthy
from fediverse.errors import Invalid, NotFound
from fediverse.services import listings, reports, threads
from fediverse.services.oauth import Grant
from fediverse.web.context import runtime_of
from fediverse.web.responses import json_response


def _ids(params: dict[str, Any], name: str) -> list[int]:
    raw = params.get(name, [])
    values = raw if isinstance(raw, list) else [raw]
    parsed = [snowflake.parse_id(str(v)) for v in values[:reports.MAX_POSTS + 1]]
    if any(v is None for v in parsed):
        raise Invalid(f"{name} must be status ids (digits)")
    if len(parsed) > reports.MAX_POSTS:
        raise Invalid(f"a report names at most {reports.MAX_POSTS} posts")
    return [v for v in parsed if v is not None]


@api_view("write:reports")
async def file_report(request: Request, session: Any, grant: Grant) -> Response:
    rt, user = runtime_of(request), grant.user
    assert user is not None  # api_view: a user token
    params = await read_params(request)
    account_id = snowflake.parse_id(string(params, "account_id", 32))
    target = await listings.visible_account(session, account_id) if account_id else None
    if target is None:
        raise NotFound("Record not found")
    status_ids, uris = _ids(params, "status_ids"), []
    for status_id in status_ids:
        post = await threads.visible_post(session, status_id, user.account)
        if post is None:
            raise Invalid("a reported post is unknown here or is not by the reported account")
        uris.append(post.uri)
    report = await reports.file_report(rt, session, user, target, uris, string(params, "category", 32) or "other",
                                       string(params, "comment", reports.MAX_COMMENT + 1),
                                       forward=truthy(params.get("forward")))  # commits
    stats = await listings.account_stats(session, [target])
    return json_response(entities.report(report, [str(i) for i in status_ids],
                                         entities.account(rt.settings, target, stats.get(target.id))))


def routes() -> list[Route]:
    return both_routes("/api/v1/reports", file_report, ["POST"])
