"""The admin dashboard (what waits for a moderator) and the audit log."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from fediverse.models import DomainBlock, InboundActivity, LocalUser, Report
from fediverse.services import modlog
from fediverse.web.panel.auth import staff_view
from fediverse.web.panel.render import page

AUDIT_PAGE = 100


async def _count(session: AsyncSession, stmt) -> int:  # type: ignore[no-untyped-def]
    return await session.scalar(stmt) or 0


@staff_view("moderator")
async def dashboard(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    counts = {
        "pending_signups": await _count(session, select(func.count()).select_from(LocalUser)
                                        .where(LocalUser.approved.is_(False))),
        "open_reports": await _count(session, select(func.count()).select_from(Report).where(Report.state == "open")),
        "quarantined": await _count(session, select(func.count()).select_from(InboundActivity).where(
            InboundActivity.quarantine_reason.is_not(None), InboundActivity.reviewed_at.is_(None))),
        "domain_blocks": await _count(session, select(func.count()).select_from(DomainBlock)),
    }
    mode = request.app.state.runtime.settings.registrations.mode
    return page(request, "panel/admin_dashboard.html", counts=counts, mode=mode,
                entries=await modlog.recent(session, limit=10))


@staff_view("moderator")
async def audit_log(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    before = request.query_params.get("before", "")
    entries = await modlog.recent(session, limit=AUDIT_PAGE, before_id=int(before) if before.isdigit() else None)
    next_before = entries[-1].id if len(entries) == AUDIT_PAGE else None
    return page(request, "panel/admin_audit.html", entries=entries, next_before=next_before)
