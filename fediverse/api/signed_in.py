"""What the signed-in client API endpoints share: the view shape (request, runtime, session, person), their
routes (also with a trailing slash, never a redirect) and the ``Link`` header of lists paged by a row id.

Each view goes through ``api.auth.api_view`` (token, scope, service errors as JSON); a bad parameter
(``public.BadRequest``) is a JSON 400, or 404 for an id in the path.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fediverse.api.auth import api_view
from fediverse.api.public import BadRequest
from fediverse.models import LocalUser
from fediverse.runtime import Runtime
from fediverse.services.oauth import Grant
from fediverse.web.context import runtime_of
from fediverse.web.responses import error

View = Callable[[Request, Runtime, Any, LocalUser], Awaitable[Response]]


def view(*scopes: str) -> Callable[[View], Callable[[Request], Awaitable[Response]]]:
    """An endpoint for a person's token holding one of ``scopes``: ``handler(request, runtime, session, user)``."""
    def decorate(handler: View) -> Callable[[Request], Awaitable[Response]]:
        @api_view(*scopes)
        async def run(request: Request, session: Any, grant: Grant | None) -> Response:
            assert grant is not None and grant.user is not None  # api_view: a person's token only
            try:
                return await handler(request, runtime_of(request), session, grant.user)
            except BadRequest as exc:
                await session.rollback()
                return error(exc.status, str(exc))
        run.__name__ = handler.__name__
        return run
    return decorate


def routes(path: str, endpoint: Callable[[Request], Awaitable[Response]], method: str = "GET") -> list[Route]:
    """The path and the same with a trailing slash (Mastodon.py sends some so)."""
    return [Route(path, endpoint, methods=[method]),
            Route(f"{path}/", endpoint, methods=[method], include_in_schema=False)]


def link(request: Request, newest: int | None, oldest: int | None) -> dict[str, str]:
    """``Link`` to the older page (``max_id=oldest``) and the newer one (``min_id=newest``), each when given, the
    other query parameters kept."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in ("max_id", "min_id", "since_id")]
    base = f"{runtime_of(request).settings.base_url}{request.url.path}"
    parts = [f'<{base}?{urlencode([*kept, (key, str(value))])}>; rel="{rel}"'
             for key, value, rel in (("max_id", oldest, "next"), ("min_id", newest, "prev")) if value is not None]
    return {"Link": ", ".join(parts)} if parts else {}


def path_id(request: Request, name: str = "id") -> int:
    """An id in the path (routes match digits): beyond a 64-bit id it names nothing, a 404."""
    raw = str(request.path_params[name])
    if not raw.isdigit() or len(raw) > 19 or int(raw) > 2 ** 63 - 1 or int(raw) == 0:
        raise BadRequest("Record not found", 404)
    return int(raw)
