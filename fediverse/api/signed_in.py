"""The view shape of the signed-in client API endpoints: ``handler(request, runtime, session, person)``.

Each view goes through ``api.auth.api_view`` (token, scope, service errors and bad parameters as JSON); the
parameters, ids, paging links and routes they share are in ``api.params``.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from fediverse.api.auth import api_view
from fediverse.models import LocalUser
from fediverse.runtime import Runtime
from fediverse.services.oauth import Grant
from fediverse.web.context import runtime_of

View = Callable[[Request, Runtime, Any, LocalUser], Awaitable[Response]]


def view(*scopes: str) -> Callable[[View], Callable[[Request], Awaitable[Response]]]:
    """An endpoint for a person's token holding one of ``scopes``: ``handler(request, runtime, session, user)``."""
    def decorate(handler: View) -> Callable[[Request], Awaitable[Response]]:
        @api_view(*scopes)
        async def run(request: Request, session: Any, grant: Grant | None) -> Response:
            assert grant is not None and grant.user is not None  # api_view: a person's token only
            return await handler(request, runtime_of(request), session, grant.user)
        run.__name__ = handler.__name__
        return run
    return decorate
