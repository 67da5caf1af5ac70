"""The sign-up approval queue (moderators and admins): approve or reject, each with an optional message."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fediverse.errors import NotFound
from fediverse.models import LocalUser
from fediverse.services import registrations
from fediverse.web.context import runtime_of
from fediverse.web.panel.auth import staff_view
from fediverse.web.panel.forms import read_form, text
from fediverse.web.panel.render import page, redirect

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


@staff_view("moderator")
async def queue(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    rt = runtime_of(request)
    pending = await registrations.pending(session)
    return page(request, "panel/admin_signups.html", pending=pending, waves=registrations.waves(pending),
                mode=rt.settings.registrations.mode, auto_switch=await registrations.last_auto_switch(session))


@staff_view("moderator")
async def decide(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    form = await read_form(request)
    action = request.path_params["action"]
    if action not in ("approve", "reject"):
        raise NotFound("No such action on a sign-up.")
    message = text(form, "message", limit=registrations.MAX_MESSAGE)
    account_id = request.path_params["account_id"]
    if action == "approve":
        approved = await registrations.approve(session, user, account_id, message)
        done = f"Approved @{approved.account.username}: they can log in now."
    else:
        name = await registrations.reject(session, user, account_id, message)
        done = f"Rejected the sign-up of @{name}; the account was deleted."
    return redirect(request, "/admin/signups", done)


@staff_view("moderator")
async def reject_address(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    form = await read_form(request)
    ip = text(form, "ip", limit=64).strip()
    message = text(form, "message", limit=registrations.MAX_MESSAGE)
    names = await registrations.reject_from_address(session, user, ip, message)
    return redirect(request, "/admin/signups", f"Rejected {len(names)} sign-ups from {ip}; the accounts were deleted.")


routes = [
    Route("/admin/signups", queue),
    Route("/admin/signups/reject-address", reject_address, methods=["POST"]),
    Route("/admin/signups/{account_id:int}/{action}", decide, methods=["POST"]),
]
