"""/studio/report: a logged-in artist reports an account or one post (linked from public pages)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from fediverse.models import LocalUser
from fediverse.services import reports
from fediverse.services.reports import MAX_REF
from fediverse.web.context import runtime_of
from fediverse.web.panel.auth import studio_view
from fediverse.web.panel.forms import read_form, text, flag
from fediverse.web.panel.render import page, redirect

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


@studio_view
async def report_form(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    if request.method == "POST":
        form = await read_form(request)
        target, post = await reports.find_target(session, text(form, "account", limit=MAX_REF),
                                                 text(form, "post", limit=MAX_REF), user.account)
        await reports.file_report(runtime_of(request), session, user, target, [post] if post else [],
                                  text(form, "category", limit=32), text(form, "comment", limit=5000),
                                  forward=flag(form, "forward"))  # commits
        return redirect(request, "/studio", "Thank you: the report was sent to the moderators.")
    params = request.query_params
    target, post = await reports.find_target(session, params.get("account", ""), params.get("post", ""),
                                             user.account)
    return page(request, "panel/report.html", target=target, post=post, categories=reports.CATEGORIES,
                handle=f"{target.username}@{target.domain or runtime_of(request).uris.domain}")
