"""/admin/quarantine: inbound activities held as likely spam, and what a moderator does with them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from fediverse.inbox import quarantine
from fediverse.models import LocalUser
from fediverse.web.context import runtime_of
from fediverse.web.panel.auth import staff_view
from fediverse.web.panel.forms import PanelError, read_form, text
from fediverse.web.panel.render import page, redirect

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

ACTIONS = ("release", "discard", "discard-actor")


@staff_view("moderator")
async def quarantine_page(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    held = await quarantine.list_held(session)
    return page(request, "panel/admin_quarantine.html", held=held, total=await quarantine.held_count(session))


@staff_view("moderator")
async def quarantine_action(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    action = request.path_params["action"]
    if action not in ACTIONS:
        raise PanelError(404, f"Unknown action {action[:40]!r}: use release, discard or discard-actor.")
    inbound_id = request.path_params["inbound_id"]
    form = await read_form(request)
    reason = text(form, "reason", limit=2000)
    rt = runtime_of(request)
    if action == "release":
        outcome = await quarantine.release(rt, session, user, inbound_id)
        return redirect(request, "/admin/quarantine", f"Released and processed: {outcome}.")
    if action == "discard":
        await quarantine.discard(session, user, inbound_id, reason)
        await session.commit()
        return redirect(request, "/admin/quarantine", "Discarded.")
    count = await quarantine.discard_actor(rt, session, user, inbound_id, reason)
    await session.commit()
    return redirect(request, "/admin/quarantine", f"Discarded {count} held activities and suspended the account.")
