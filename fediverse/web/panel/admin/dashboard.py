"""The admin dashboard (what waits for a moderator) and the audit log."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fediverse.models import LocalUser
from fediverse.services import instance_stats, modlog
from fediverse.web.context import runtime_of
from fediverse.web.panel.auth import staff_view
from fediverse.web.panel.render import page

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

AUDIT_PAGE = 100


@staff_view("moderator")
async def dashboard(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    counts = await instance_stats.waiting(session)
    mode = runtime_of(request).settings.registrations.mode
    return page(request, "panel/admin_dashboard.html", counts=counts, mode=mode,
                entries=await modlog.recent(session, limit=10))


@staff_view("moderator")
async def audit_log(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    before = request.query_params.get("before", "")
    entries = await modlog.recent(session, limit=AUDIT_PAGE, before_id=int(before) if before.isdigit() else None)
    next_before = entries[-1].id if len(entries) == AUDIT_PAGE else None
    return page(request, "panel/admin_audit.html", entries=entries, next_before=next_before)


routes = [
    Route("/admin", dashboard),
    Route("/admin/audit-log", audit_log),
]
