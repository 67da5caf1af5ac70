"""/admin/storage (admins only): disk used per artist and by the remote media cache, and purging the cache."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fediverse.models import LocalUser
from fediverse.services import storage_usage
from fediverse.web.context import runtime_of
from fediverse.web.panel.auth import staff_view
from fediverse.web.panel.forms import PanelError, human_size, read_form, text
from fediverse.web.panel.render import page, redirect

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

SCOPES = ("expired", "all")
MAX_RETENTION_DAYS = 3650


@staff_view("admin")
async def storage(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    rt = runtime_of(request)
    if request.method == "POST":
        return await _purge(request, session, user)
    return page(request, "panel/admin_storage.html", artists=await storage_usage.per_artist(rt, session),
                cache=await storage_usage.remote_cache(rt, session), human=human_size)


async def _purge(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    rt = runtime_of(request)
    form = await read_form(request)
    if "retention_days" in form:
        return await _set_retention(request, session, user, text(form, "retention_days", limit=20).strip())
    scope = text(form, "scope", limit=20)
    if scope not in SCOPES:
        raise PanelError(400, "Choose which cached files to purge: those past the retention, or all of them.")
    purged = await storage_usage.purge_remote_cache(rt, session, user, expired_only=scope == "expired")
    return redirect(request, "/admin/storage", f"Purged {purged.files} cached remote files "
                    f"({purged.bytes:,} bytes). They are fetched again when someone needs them.")


async def _set_retention(request: Request, session: AsyncSession, user: LocalUser, raw: str) -> Response:
    """Change how long unused remote copies are kept; effective at once (saved over instance.toml)."""
    rt = runtime_of(request)
    if not raw.isdigit() or int(raw) > MAX_RETENTION_DAYS:
        raise PanelError(400, f"The retention is a whole number of days from 0 to {MAX_RETENTION_DAYS}.")
    days = int(raw)
    await storage_usage.set_cache_retention(rt, session, user, days)
    return redirect(request, "/admin/storage", f"Remote media unused for {days} days is now purged.")


routes = [
    Route("/admin/storage", storage, methods=["GET", "POST"]),
]
