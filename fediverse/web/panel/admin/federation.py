"""/admin/federation: delivery health per remote domain (moderators look), and the admin's levers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fediverse.models import LocalUser, utcnow
from fediverse.services import federation_health
from fediverse.web.context import runtime_of
from fediverse.web.panel.auth import has_role, staff_view
from fediverse.web.panel.forms import PanelError, read_form, text
from fediverse.web.panel.render import page, redirect

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from fediverse.runtime import Runtime


@staff_view("moderator")
async def federation_page(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    data = await federation_health.overview(session)
    return page(request, "panel/admin_federation.html", overview=data, now=utcnow(), can_act=has_role(user, "admin"))


async def _retry(rt: Runtime, session: AsyncSession, user: LocalUser, domain: str) -> str:
    count = await federation_health.retry_now(rt, session, user, domain)
    return f"{count} deliveries to {domain} will be tried now."


async def _give_up(rt: Runtime, session: AsyncSession, user: LocalUser, domain: str) -> str:
    count = await federation_health.give_up(session, user, domain)
    return f"Gave up {count} queued deliveries to {domain}."


async def _available(rt: Runtime, session: AsyncSession, user: LocalUser, domain: str) -> str:
    found = await federation_health.mark_available(rt, session, user, domain)
    return f"{domain} is available again." if found else f"{domain} had no failure record."


# The admin's levers on one domain, by the name in the URL; each says what it did.
_LEVERS: dict[str, Callable[[Runtime, AsyncSession, LocalUser, str], Awaitable[str]]] = {
    "retry": _retry, "give-up": _give_up, "available": _available,
}


@staff_view("admin")
async def federation_action(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    action = request.path_params["action"]
    form = await read_form(request)
    domain = text(form, "domain", limit=300)
    lever = _LEVERS.get(action)
    if lever is None:
        raise PanelError(404, f"Unknown action {action[:40]!r}: use retry, give-up or available.")
    message = await lever(runtime_of(request), session, user, domain)  # the service commits
    return redirect(request, "/admin/federation", message)


routes = [
    Route("/admin/federation", federation_page),
    Route("/admin/federation/{action}", federation_action, methods=["POST"]),
]
