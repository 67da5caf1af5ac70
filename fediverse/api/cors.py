"""The client API's HTTP edge (pure ASGI): CORS for browser apps and trailing slashes accepted as they come.

- CORS (Starlette's CORSMiddleware: any origin, no cookies, preflights answered, `Authorization` allowed,
  `Link` and `X-RateLimit-*` exposed) on /api/, /oauth/token, /oauth/revoke and /.well-known/ only, as
  Mastodon's config/initializers/cors.rb: never on /oauth/authorize or the studio, whose forms rely on the
  same-origin rules.
- `/api/v1/instance/` is served as `/api/v1/instance` without a redirect (Mastodon.py sends some paths
  with a trailing slash, and a redirect would drop a POST body in some clients).
"""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

CORS_PREFIXES = ("/api/", "/.well-known/")
CORS_PATHS = ("/oauth/token", "/oauth/revoke")
EXPOSED = ["Link", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After"]


def is_api_path(path: str) -> bool:
    return path.startswith("/api/") or path in CORS_PATHS


def wants_cors(path: str) -> bool:
    return path.startswith(CORS_PREFIXES) or path.rstrip("/") in CORS_PATHS


class ApiEdgeMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.cors = CORSMiddleware(app, allow_origins=["*"], allow_methods=["GET", "HEAD", "POST", "PUT", "PATCH",
                                   "DELETE", "OPTIONS"], allow_headers=["*"], expose_headers=EXPOSED, max_age=3600)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith("/api/") and len(path) > 5 and path.endswith("/"):
            scope = {**scope, "path": path.rstrip("/"), "raw_path": path.rstrip("/").encode()}
            path = scope["path"]
        if scope["type"] == "http" and wants_cors(path):
            await self.cors(scope, receive, send)
            return
        await self.app(scope, receive, send)
