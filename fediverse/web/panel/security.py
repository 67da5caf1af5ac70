"""The studio's security page: change the password, see where the account is logged in, end sessions.

Thin: services.accounts.change_password and services.web_sessions do the work; every form is a CSRF-checked
POST (forms.read_form). A session is named in URLs by its row id, and only the account's own can be ended.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from fediverse.errors import Invalid, NotFound
from fediverse.models import LocalUser, utcnow
from fediverse.services import web_sessions
from fediverse.services.accounts import change_password
from fediverse.web.context import runtime_of
from fediverse.web.panel.auth import start_session, studio_view
from fediverse.web.panel.forms import read_form, text
from fediverse.web.panel.render import page, redirect

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

PAGE = "/studio/security"


@dataclass(frozen=True)
class SessionView:
    id: int
    device: str
    address: str
    last_seen: datetime
    created: datetime
    current: bool


def _token(request: Request) -> str:
    token = request.session.get("sid")
    return token if isinstance(token, str) else ""


async def _page(request: Request, session: AsyncSession, user: LocalUser, *, status: int = 200,
                error: str | None = None) -> Response:
    this = web_sessions.token_hash(_token(request))
    rows = await web_sessions.active(session, user.account_id, runtime_of(request).clock.now())
    views = [SessionView(id=row.id, device=row.user_agent or "Unknown browser", address=row.client_address or "unknown",
                         last_seen=row.last_seen_at, created=row.created_at, current=row.token_hash == this)
             for row in rows]
    views.sort(key=lambda view: not view.current)  # this browser first
    return page(request, "panel/security.html", status=status, sessions=views, error=error,
                others=sum(not view.current for view in views))


@studio_view
async def security_page(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    return await _page(request, session, user)


@studio_view
async def password_view(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    form = await read_form(request)
    try:
        await change_password(runtime_of(request), session, user, text(form, "current_password", limit=1025),
                              text(form, "new_password", limit=1025), text(form, "new_password_confirm", limit=1025))
    except Invalid as exc:  # raised before anything was written: nothing to roll back
        message = str(exc)
        return await _page(request, session, user, status=400, error=message[:1].upper() + message[1:] + ".")
    await start_session(request, session, user)  # commits the new password, the ended sessions and this one
    return redirect(request, PAGE, "Your password is changed. Every other browser and device is logged out.")


@studio_view
async def end_session_view(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    await read_form(request)
    if not await web_sessions.log_out_one(session, user.account_id, request.path_params["session_id"]):
        raise NotFound("There is no such session: it may have ended already.")
    if await web_sessions.current(session, _token(request), utcnow()) is None:  # it was this browser's
        request.session.clear()
        return redirect(request, "/login", "You are logged out.")
    return redirect(request, PAGE, "That session is logged out.")


@studio_view
async def end_others_view(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    await read_form(request)
    ended = await web_sessions.log_out_others(session, user.account_id, keep_token=_token(request))
    return redirect(request, PAGE, f"Logged out everywhere else ({ended} session{'s' if ended != 1 else ''}).")
