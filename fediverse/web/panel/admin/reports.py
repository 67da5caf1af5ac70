"""/admin/reports: open and closed reports, one report with its account, posts and history, and resolving it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fediverse.models import LocalUser
from fediverse.services import reports
from fediverse.web.context import runtime_of
from fediverse.web.panel.auth import staff_view
from fediverse.web.panel.forms import read_form, text
from fediverse.web.panel.render import page, redirect

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

LIST_LIMIT = 200


@staff_view("moderator")
async def report_list(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    closed = request.query_params.get("state") == "closed"
    rows = await reports.listing(session, closed=closed, limit=LIST_LIMIT)
    return page(request, "panel/admin_reports.html", rows=rows, closed=closed)


@staff_view("moderator")
async def report_detail(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    found = await reports.detail(session, request.path_params["report_id"])
    return page(request, "panel/admin_report.html", report=found.report, target=found.target,
                reporter=found.reporter, posts=found.posts, history=found.history, resolutions=reports.RESOLUTIONS)


@staff_view("moderator")
async def resolve(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    report = await reports.get(session, request.path_params["report_id"])
    form = await read_form(request)
    resolution = text(form, "resolution", limit=32)
    await reports.resolve(runtime_of(request), session, user, report.id, resolution,
                          text(form, "note", limit=2000))
    return redirect(request, f"/admin/reports/{report.id}", f"Report {report.id} resolved: {resolution}.")


routes = [
    Route("/admin/reports", report_list),
    Route("/admin/reports/{report_id:int}", report_detail),
    Route("/admin/reports/{report_id:int}/resolve", resolve, methods=["POST"]),
]
