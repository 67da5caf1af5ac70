"""`/search?q=`: accounts, tags and works (services/search.py). No JavaScript: a GET form; an empty query shows
the form, an over-long one a 400 with the form and the reason."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fediverse.errors import Invalid
from fediverse.services import search as search_service
from fediverse.web.context import runtime_of
from fediverse.web.pages import acct, display_name, tile
from fediverse.web.panel.auth import viewer
from fediverse.web.templating import render_page

if TYPE_CHECKING:
    from fediverse.models import Account
    from fediverse.runtime import Runtime


async def search_page(request: Request) -> Response:
    rt = runtime_of(request)
    raw = request.query_params.get("q", "")
    async with rt.sessions() as session:
        user = await viewer(request, session)
        try:
            results = await search_service.search(rt, session, raw, user)
        except Invalid as exc:
            return _render(request, raw[:search_service.MAX_QUERY], user is not None, status=400, problem=str(exc))
        domain = rt.settings.instance.domain
        accounts = [_account_view(rt, a, domain) for a in results.accounts]
        tags = [{"name": t.name, "url": rt.uris.tag(quote(t.name, safe=""))} for t in results.tags]
        tiles = [tile(rt, work) for work in results.works]
    return _render(request, results.query, user is not None, accounts=accounts, tags=tags, tiles=tiles,
                   notice=results.notice)


def _account_view(rt: Runtime, account: Account, domain: str) -> dict[str, str | None]:
    """A found account links to its page here: the portfolio, or for a remote one our `/@user@domain` profile
    (where the Follow button is), with their own page beside it."""
    if account.is_local:
        return {"name": display_name(account), "handle": acct(account, domain),
                "url": rt.uris.profile(account.username), "original": None}
    return {"name": display_name(account), "handle": acct(account, domain),
            "url": f"/@{account.username}@{account.domain}", "original": account.url or account.uri}


def _render(request: Request, query: str, signed_in: bool, *, status: int = 200, **context: object) -> Response:
    response = render_page(request, "search.html", status=status, query=query, signed_in=signed_in,
                           max_query=search_service.MAX_QUERY, **context)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


routes = [Route("/search", search_page)]
