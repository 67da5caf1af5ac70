"""Settings changed in the admin panel reach every web process within seconds, without a restart (pure ASGI).

The process that saves applies the change at once (services.site_settings.apply). Every other process — more
uvicorn workers, another machine — re-reads the stored overrides at most every REFRESH_SECONDS, started by a
request and run beside it (one small query every few seconds, none in between; no request waits for it). When the settings change, they are a
new object, and the response cache drops everything it rendered with the old ones (web/cache.py).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from fediverse.services import site_settings


class SettingsRefreshMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and "app" in scope:
            rt = getattr(scope["app"].state, "runtime", None)
            if rt is not None:
                site_settings.maybe_refresh(rt)
        await self.app(scope, receive, send)
