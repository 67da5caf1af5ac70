"""/admin/reports: open and closed reports, one report with its account, posts and history, and resolving it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from fediverse.errors import NotFound
from fediverse.models import Account, AuditLog, LocalUser, Report
from fediverse.services import reports
from fediverse.web.panel.auth import staff_view
from fediverse.web.panel.forms import read_form, text
from fediverse.web.panel.render import page, redirect

LIST_LIMIT = 200


@staff_view("moderator")
async def report_list(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    closed = request.query_params.get("state") == "closed"
    stmt = select(Report, Account).join(Account, Account.id == Report.target_id)
    stmt = stmt.where(Report.state != "open") if closed else stmt.where(Report.state == "open")
    rows = (await session.execute(stmt.order_by(Report.id.desc()).limit(LIST_LIMIT))).all()
    return page(request, "panel/admin_reports.html", rows=rows, closed=closed)


async def _report(session: AsyncSession, request: Request) -> Report:
    raw = request.path_params["report_id"]
    report = await session.get(Report, raw)
    if report is None:
        raise NotFound(f"no report {raw}")
    return report


@staff_view("moderator")
async def report_detail(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    report = await _report(session, request)
    target = await session.get(Account, report.target_id)
    reporter = await session.get(Account, report.reporter_id) if report.reporter_id else None
    history = list(await session.scalars(
        select(AuditLog).where(AuditLog.details["report"].as_integer() == report.id).order_by(AuditLog.id)))
    history += list(await session.scalars(select(AuditLog).where(
        AuditLog.target_type == "report", AuditLog.target == str(report.id)).order_by(AuditLog.id)))
    return page(request, "panel/admin_report.html", report=report, target=target, reporter=reporter,
                posts=await reports.find_posts(session, list(report.object_uris)),
                history=sorted(history, key=lambda e: e.id), resolutions=reports.RESOLUTIONS)


@staff_view("moderator")
async def resolve(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    report = await _report(session, request)
    form = await read_form(request)
    resolution = text(form, "resolution", limit=32)
    await reports.resolve(request.app.state.runtime, session, user, report.id, resolution,
                          text(form, "note", limit=2000))
    return redirect(request, f"/admin/reports/{report.id}", f"Report {report.id} resolved: {resolution}.")
