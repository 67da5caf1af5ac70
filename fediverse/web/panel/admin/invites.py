"""Invite links (admins only): make one with a use limit and an expiry, see their uses, revoke them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fediverse.errors import Invalid
from fediverse.models import LocalUser, utcnow
from fediverse.services import invites
from fediverse.web.context import runtime_of
from fediverse.web.panel.admin.buttons import press
from fediverse.web.panel.auth import staff_view
from fediverse.web.panel.forms import read_form, text
from fediverse.web.panel.render import page, redirect

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


def optional_int(value: str, what: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not value.isdigit() or len(value) > 6:
        raise Invalid(f"{what} must be a whole number, or empty")
    return int(value)


@staff_view("admin")
async def invites_page(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    if request.method == "POST":
        form = await read_form(request)
        invite = await invites.create(session, user, max_uses=optional_int(text(form, "max_uses", limit=20), "Uses"),
                                      days=optional_int(text(form, "days", limit=20), "Days"))
        return redirect(request, "/admin/invites", f"New invite link: {_link(request, invite.code)}")
    now = utcnow()
    rows = [{"invite": invite, "state": invites.state(invite, now), "link": _link(request, invite.code)}
            for invite in await invites.recent(session)]
    return page(request, "panel/admin_invites.html", rows=rows, mode=runtime_of(request).settings.registrations.mode)


@staff_view("admin")
async def revoke(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    return await press(request, session, "/admin/invites",
                       lambda: invites.revoke(session, user, request.path_params["invite_id"]),
                       lambda invite: f"Invite {invite.code} revoked; it no longer works.")


def _link(request: Request, code: str) -> str:
    return f"{runtime_of(request).settings.base_url}/invite/{code}"


routes = [
    Route("/admin/invites", invites_page, methods=["GET", "POST"]),
    Route("/admin/invites/{invite_id:int}/revoke", revoke, methods=["POST"]),
]
