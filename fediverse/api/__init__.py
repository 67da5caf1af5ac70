"""The Mastodon client API (and its OAuth 2 server): what phone and desktop apps speak.

Mount with `routes()` and `middleware()` (see fediverse.app). Sits above fediverse.web: it reuses the panel's
sign-in, sessions, CSRF forms and templates, never a second login.
"""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Route

from fediverse.api import accounts, admin, apps, interactions, markers, media, notifications, oauth
from fediverse.api import oauth_authorize, oauth_studio, public, reports, search, signed_in_empty, statuses
from fediverse.api import streaming, timelines_home
from fediverse.api.cors import ApiEdgeMiddleware
from fediverse.api.ratelimit import ApiRateLimitMiddleware


def routes() -> list[BaseRoute]:
    return [
        Route("/api/v1/apps", apps.create_app, methods=["POST"]),
        Route("/api/v1/apps/verify_credentials", apps.verify_app),
        Route("/oauth/authorize", oauth_authorize.authorize, methods=["GET", "POST"]),
        Route("/oauth/token", oauth.token, methods=["POST"]),
        Route("/oauth/revoke", oauth.revoke, methods=["POST"]),
        Route("/.well-known/oauth-authorization-server", oauth.server_metadata),
        Route("/studio/apps", oauth_studio.apps_page),
        Route("/studio/apps/{app_id:int}/revoke", oauth_studio.revoke_view, methods=["POST"]),
        *public.routes(),
        *search.routes(),
        *reports.routes(),
        *accounts.routes(),
        *interactions.routes(),
        *notifications.routes(),
        *timelines_home.routes(),
        *markers.routes(),
        *signed_in_empty.routes(),
        *statuses.routes(),
        *media.routes(),
        *streaming.routes(),
        *admin.routes(),
    ]


def middleware() -> list[Middleware]:
    """The edge (CORS, trailing slashes) outside the API's request budget, so a 429 carries CORS headers."""
    return [Middleware(ApiEdgeMiddleware), Middleware(ApiRateLimitMiddleware)]
