"""Who is calling the client API: the bearer token -> the grant (person, app, scopes), and the scope check.

`api_view(*scopes)` wraps an endpoint: it reads `Authorization: Bearer …` (or `?access_token=` for streaming),
answers 401 JSON for a missing, unknown or revoked token or a suspended person, 403 JSON when none of the
granted scopes covers one of `scopes`, and turns the service errors and a bad parameter
(`api.params.BadRequest`, with its status) into JSON answers (never an HTML page or a 500). `public=True` lets
requests without a token through (grant None).
"""

from __future__ import annotations

from functools import wraps
from typing import TYPE_CHECKING, Awaitable, Callable

from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

from fediverse.api import scopes as scope_rules
from fediverse.api.params import BadRequest
from fediverse.errors import Conflict, Invalid, NotFound
from fediverse.services import oauth
from fediverse.services.oauth import Grant
from fediverse.web.context import runtime_of
from fediverse.web.responses import error

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

INVALID_TOKEN = "The access token is invalid"
OUT_OF_SCOPE = "This action is outside the authorized scopes"
NOT_LOGGED_IN = "This method requires an authenticated user"
ApiView = Callable[[Request, "AsyncSession", "Grant | None"], Awaitable[Response]]


def bearer_token(conn: HTTPConnection) -> str | None:
    """The token of `Authorization: Bearer …`, else of `?access_token=` (WebSocket clients cannot set headers),
    else, on a WebSocket, of `Sec-WebSocket-Protocol` (where masto.js and so Elk and Phanpy put it)."""
    header = conn.headers.get("authorization", "")
    kind, _, value = header.partition(" ")
    if kind.lower() == "bearer" and value.strip():
        return value.strip()
    query = conn.query_params.get("access_token")
    if query:
        return query
    return websocket_protocol(conn)


def websocket_protocol(conn: HTTPConnection) -> str | None:
    """The first subprotocol a WebSocket client offered (None on plain HTTP): the server must echo the one it
    accepts, or browsers drop the socket."""
    if conn.scope.get("type") != "websocket":
        return None
    offered = conn.headers.get("sec-websocket-protocol", "").split(",")[0].strip()
    return offered or None


async def grant_of(conn: HTTPConnection, session: AsyncSession) -> Grant | None:
    token = bearer_token(conn)
    return await oauth.grant_for(session, token, runtime_of(conn).clock.now()) if token else None


def unauthorized(message: str = INVALID_TOKEN) -> Response:
    response = error(401, message)
    response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return response


def api_view(*needed: str, public: bool = False,
             user: bool = True) -> Callable[[ApiView], Callable[[Request], Awaitable[Response]]]:
    """The decorator every client API endpoint goes through. `needed`: the scopes of which one must be granted;
    `user=False` also accepts app tokens (client_credentials); `public=True` also accepts no token at all."""
    unknown = [s for s in needed if s not in scope_rules.KNOWN]
    if unknown:
        raise ValueError(f"unknown scope {unknown[0]!r}")

    def decorate(view: ApiView) -> Callable[[Request], Awaitable[Response]]:
        @wraps(view)
        async def endpoint(request: Request) -> Response:
            async with runtime_of(request).sessions() as session:
                grant = await grant_of(request, session)
                if grant is None:
                    if bearer_token(request) is not None or not public:
                        return unauthorized()
                else:
                    if user and grant.user is None:  # an app token (client_credentials) acts for nobody
                        return error(422, NOT_LOGGED_IN)
                    if needed and not scope_rules.allows(grant.scopes, *needed):
                        return error(403, OUT_OF_SCOPE)
                try:
                    return await view(request, session, grant)
                except BadRequest as exc:
                    await session.rollback()
                    return error(exc.status, str(exc))
                except NotFound as exc:
                    await session.rollback()
                    return error(404, str(exc) or "Record not found")
                except (Invalid, Conflict) as exc:
                    await session.rollback()
                    return error(422, str(exc))

        return endpoint

    return decorate
