"""/admin/accounts: find local and remote accounts; silence, suspend, mark sensitive; admins change roles."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from fediverse.errors import NotFound
from fediverse.models import Account, AuditLog, LocalUser, Report
from fediverse.services import account_actions
from fediverse.web.panel.auth import has_role, staff_view
from fediverse.web.panel.forms import read_form, text
from fediverse.web.panel.render import page, redirect

LIST_LIMIT = 100
MAX_QUERY = 200


def _like(value: str) -> str:
    """A LIKE pattern matching `value` literally anywhere (\\ escapes % and _)."""
    return "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


@staff_view("moderator")
async def account_list(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    query = request.query_params.get("q", "").strip().lstrip("@")[:MAX_QUERY].lower()
    scope = request.query_params.get("scope", "all")
    stmt = select(Account).where(Account.actor_type != "Application")
    if query:
        pattern = _like(query)
        stmt = stmt.where(or_(Account.handle.like(pattern, escape="\\"), Account.uri.like(pattern, escape="\\"),
                              Account.display_name.ilike(pattern, escape="\\")))
    if scope == "local":
        stmt = stmt.where(Account.domain.is_(None))
    elif scope == "remote":
        stmt = stmt.where(Account.domain.is_not(None))
    elif scope == "limited":
        stmt = stmt.where(or_(Account.suspended_at.is_not(None), Account.silenced_at.is_not(None)))
    accounts = list(await session.scalars(stmt.order_by(Account.domain.is_not(None), Account.handle).limit(LIST_LIMIT)))
    return page(request, "panel/admin_accounts.html", accounts=accounts, q=query, scope=scope)


async def _account(session: AsyncSession, request: Request) -> Account:
    account = await session.get(Account, request.path_params["account_id"])
    if account is None or (account.is_local and account.actor_type == "Application"):
        raise NotFound("no such account")
    return account


@staff_view("moderator")
async def account_detail(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    account = await _account(session, request)
    target_user = await session.get(LocalUser, account.id) if account.is_local else None
    handle = account_actions.handle_of(request.app.state.runtime, account)
    history = list(await session.scalars(select(AuditLog).where(
        AuditLog.target_type == "account", AuditLog.target.in_([handle, account.username] if account.is_local else [handle])).order_by(AuditLog.id)))
    open_reports = list(await session.scalars(select(Report).where(Report.target_id == account.id)
                                              .order_by(Report.id.desc()).limit(50)))
    return page(request, "panel/admin_account.html", account=account, target_user=target_user, handle=handle,
                entries=history, reports=open_reports, roles=("artist", "moderator", "admin"),
                may_change_role=has_role(user, "admin"))


@staff_view("moderator")
async def account_action(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    account = await _account(session, request)
    form = await read_form(request)
    action = text(form, "action", limit=32)
    rt = request.app.state.runtime
    await account_actions.apply(rt, session, user, account, action, text(form, "reason", limit=2000))
    await session.commit()
    return redirect(request, f"/admin/accounts/{account.id}", f"{account_actions.handle_of(rt, account)}: {action} done.")


@staff_view("admin")
async def change_role(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    """Admins only; a moderator gets 403 even when sending the form by hand."""
    account = await _account(session, request)
    target = await session.get(LocalUser, account.id) if account.is_local else None
    if target is None:
        raise NotFound("roles belong to local accounts only")
    form = await read_form(request)
    role = text(form, "role", limit=32)
    await account_actions.change_role(session, user, target, role, text(form, "reason", limit=2000))
    await session.commit()
    return redirect(request, f"/admin/accounts/{account.id}", f"@{account.username} is now a {role}.")
