"""/admin/accounts: find local and remote accounts; silence, suspend, mark sensitive; admins change roles."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fediverse.db import accounts as account_db
from fediverse.errors import NotFound
from fediverse.models import LocalUser
from fediverse.services import account_actions, reports
from fediverse.web.context import runtime_of
from fediverse.web.panel.auth import has_role, staff_view
from fediverse.web.panel.forms import read_form, text
from fediverse.web.panel.render import page, redirect

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

LIST_LIMIT = 100
MAX_QUERY = 200


@staff_view("moderator")
async def account_list(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    query = request.query_params.get("q", "").strip().lstrip("@")[:MAX_QUERY].lower()
    scope = request.query_params.get("scope", "all")
    accounts = await account_db.search(session, query, scope, limit=LIST_LIMIT)
    return page(request, "panel/admin_accounts.html", accounts=accounts, q=query, scope=scope)


@staff_view("moderator")
async def account_detail(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    rt = runtime_of(request)
    account = await account_actions.find_account(session, request.path_params["account_id"])
    return page(request, "panel/admin_account.html", account=account,
                target_user=await account_actions.target_user(session, account),
                handle=account_actions.handle_of(rt, account),
                entries=await account_actions.history(rt, session, account),
                reports=await reports.about_account(session, account.id, limit=50),
                roles=("artist", "moderator", "admin"), may_change_role=has_role(user, "admin"))


@staff_view("moderator")
async def account_action(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    account = await account_actions.find_account(session, request.path_params["account_id"])
    form = await read_form(request)
    action = text(form, "action", limit=32)
    rt = runtime_of(request)
    await account_actions.take_action(rt, session, user, account, action, text(form, "reason", limit=2000))
    return redirect(request, f"/admin/accounts/{account.id}", f"{account_actions.handle_of(rt, account)}: {action} done.")


@staff_view("admin")
async def change_role(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    """Admins only; a moderator gets 403 even when sending the form by hand."""
    account = await account_actions.find_account(session, request.path_params["account_id"])
    target = await account_actions.target_user(session, account)
    if target is None:
        raise NotFound("roles belong to local accounts only")
    form = await read_form(request)
    role = text(form, "role", limit=32)
    await account_actions.change_role(session, user, target, role, text(form, "reason", limit=2000))
    return redirect(request, f"/admin/accounts/{account.id}", f"@{account.username} is now a {role}.")


routes = [
    Route("/admin/accounts", account_list),
    Route("/admin/accounts/{account_id:int}", account_detail),
    Route("/admin/accounts/{account_id:int}/action", account_action, methods=["POST"]),
    Route("/admin/accounts/{account_id:int}/role", change_role, methods=["POST"]),
]
