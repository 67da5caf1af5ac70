"""E-mail domain blocks (admins only): sign-ups with addresses at these domains, or their subdomains, are refused."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fediverse.models import LocalUser
from fediverse.services import email_blocks
from fediverse.web.panel.admin.buttons import press
from fediverse.web.panel.auth import staff_view
from fediverse.web.panel.forms import read_form, text
from fediverse.web.panel.render import page, redirect

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


@staff_view("admin")
async def blocks_page(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    if request.method == "POST":
        form = await read_form(request)
        block = await email_blocks.add(session, user, text(form, "domain", limit=300))
        return redirect(request, "/admin/email-blocks", f"Sign-ups from {block.domain} and its subdomains are now refused.")
    return page(request, "panel/admin_email_blocks.html", blocks=await email_blocks.listed(session))


@staff_view("admin")
async def remove(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    return await press(request, session, "/admin/email-blocks",
                       lambda: email_blocks.remove(session, user, request.path_params["block_id"]),
                       lambda domain: f"{domain} is no longer blocked.")


routes = [
    Route("/admin/email-blocks", blocks_page, methods=["GET", "POST"]),
    Route("/admin/email-blocks/{block_id:int}/delete", remove, methods=["POST"]),
]
