"""create_app(settings): routes + middleware + lifespan; composition only."""

from __future__ import annotations

import logging
from http import HTTPStatus
from contextlib import asynccontextmanager
from typing import AsyncIterator

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response

from fediverse import api
from fediverse.api.cors import is_api_path
from fediverse.clock import SYSTEM_CLOCK, Clock
from fediverse.config import Settings
from fediverse.db.migrate import upgrade
from fediverse.jobs.backends import make_backend
from fediverse.runtime import create_runtime
from fediverse.services.accounts import ensure_instance_actor
from fediverse.services import site_settings
from fediverse.web import federation, feeds, front, media, metrics, pages, panel, remote, remote_media, site_files, wellknown
from fediverse.web import search as search_web
from fediverse.web import tags as tags_web
from fediverse.web import threads
from fediverse.web.cache import ResponseCacheMiddleware
from fediverse.web.consent import ConsentMiddleware
from fediverse.web.headerlimits import HeaderLimitMiddleware
from fediverse.web.live_settings import SettingsRefreshMiddleware
from fediverse.web.ratelimit import RateLimitMiddleware
from fediverse.web.security_headers import SecurityHeadersMiddleware
from fediverse.web.pages import page_error
from fediverse.web.responses import error, wants_html

log = logging.getLogger("fediverse")


async def startup(app: Starlette) -> None:
    """Open the runtime, migrate, make sure the instance actor exists, start the job backend."""
    config = app.state.config
    rt = create_runtime(config["settings"], transport=config["transport"], clock=config["clock"])
    if config["migrate"]:
        await upgrade(rt.engine)
    async with rt.sessions() as session:
        await ensure_instance_actor(rt, session)
    await site_settings.refresh(rt)  # settings saved in the admin panel override instance.toml
    app.state.runtime = rt
    app.state.backend = None
    if config["run_jobs"]:
        backend = make_backend(rt)
        rt.attach_backend(backend)
        await backend.start()
        app.state.backend = backend


async def shutdown(app: Starlette) -> None:
    if getattr(app.state, "backend", None) is not None:
        await app.state.backend.stop()
    if getattr(app.state, "runtime", None) is not None:
        await app.state.runtime.close()


def create_app(
    settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None, run_jobs: bool = True, migrate: bool = True,
    clock: Clock = SYSTEM_CLOCK,
) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await startup(app)
        try:
            yield
        finally:
            await shutdown(app)

    app = Starlette(
        # feeds before pages: `/@{username}/{public_id}` would also match `/@name/feed.atom`.
        # remote.routes first: `/@user@domain` and `/@name/follow` would match the local profile and work routes.
        routes=[*api.routes(), *remote.routes, *wellknown.routes, *site_files.routes, *federation.routes, *feeds.routes,
                *pages.routes, *remote_media.routes, *media.routes, *metrics.routes, *panel.routes, *tags_web.routes,
                *search_web.routes, *threads.routes, *front.routes],
        # Outermost: security headers (web/security_headers.py: CSP, nosniff, Referrer-Policy) on every answer;
        # then consent headers (web/consent.py) on every response, cached ones too, and AI crawler refusal;
        # then the response cache (web/cache.py) answers cached public documents before anything else runs.
        # Requests per client address are counted before the cache, per account inside the session cookie.
        # Settings saved from the panel by another process are re-read every few seconds (web/live_settings.py).
        # Next inside it: absurd header counts or sizes are refused with 431 (web/headerlimits.py).
        # The client API's edge (fediverse/api/cors.py: CORS, trailing slashes) sits outside the rate limits, so a
        # 429 carries CORS headers too and a browser app can read it.
        middleware=[Middleware(SecurityHeadersMiddleware), *api.middleware(), Middleware(HeaderLimitMiddleware),
                    Middleware(SettingsRefreshMiddleware),
                    Middleware(ConsentMiddleware),
                    Middleware(RateLimitMiddleware, by="ip"),
                    Middleware(ResponseCacheMiddleware),
                    *panel.middleware(settings),  # session cookie: written on panel paths, read elsewhere
                    Middleware(RateLimitMiddleware, by="account")],
        lifespan=lifespan,
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
    )
    app.state.config = {"settings": settings, "transport": transport, "run_jobs": run_jobs, "migrate": migrate,
                        "clock": clock}
    return app


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    # A mistyped address in a browser: a page, not JSON (the client API always answers JSON).
    if wants_html(request) and exc.status_code in (404, 405) and not is_api_path(request.url.path):
        return page_error(request, exc.status_code, HTTPStatus(exc.status_code).phrase,
                          "There is nothing at this address.")
    return error(exc.status_code, exc.detail)


async def _server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error(500, "internal error")
