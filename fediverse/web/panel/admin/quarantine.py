"""/admin/quarantine: inbound activities held as likely spam, and what a moderator does with them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fediverse.inbox import quarantine
from fediverse.models import LocalUser
from fediverse.web.context import runtime_of
from fediverse.web.panel.auth import staff_view
from fediverse.web.panel.forms import PanelError, read_form, text
from fediverse.web.panel.render import page, redirect

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from fediverse.runtime import Runtime

@staff_view("moderator")
async def quarantine_page(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    held = await quarantine.list_held(session)
    return page(request, "panel/admin_quarantine.html", held=held, total=await quarantine.held_count(session))


async def _release(rt: Runtime, session: AsyncSession, user: LocalUser, inbound_id: int, reason: str) -> str:
    outcome = await quarantine.release(rt, session, user, inbound_id)  # commits before it processes
    return f"Released and processed: {outcome}."


async def _discard(rt: Runtime, session: AsyncSession, user: LocalUser, inbound_id: int, reason: str) -> str:
    await quarantine.discard(rt, session, user, inbound_id, reason)  # commits
    return "Discarded."


async def _discard_actor(rt: Runtime, session: AsyncSession, user: LocalUser, inbound_id: int, reason: str) -> str:
    count = await quarantine.discard_actor(rt, session, user, inbound_id, reason)  # commits
    return f"Discarded {count} held activities and suspended the account."


# What a moderator does with one held activity, by the name in the URL; each says what it did.
_DECISIONS: dict[str, Callable[[Runtime, AsyncSession, LocalUser, int, str], Awaitable[str]]] = {
    "release": _release, "discard": _discard, "discard-actor": _discard_actor,
}
ACTIONS = tuple(_DECISIONS)


@staff_view("moderator")
async def quarantine_action(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    action = request.path_params["action"]
    decide = _DECISIONS.get(action)
    if decide is None:
        raise PanelError(404, f"Unknown action {action[:40]!r}: use release, discard or discard-actor.")
    inbound_id = request.path_params["inbound_id"]
    form = await read_form(request)
    reason = text(form, "reason", limit=2000)
    message = await decide(runtime_of(request), session, user, inbound_id, reason)
    return redirect(request, "/admin/quarantine", message)


routes = [
    Route("/admin/quarantine", quarantine_page),
    Route("/admin/quarantine/{inbound_id:int}/{action}", quarantine_action, methods=["POST"]),
]
