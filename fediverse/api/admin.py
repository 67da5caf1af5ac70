"""Mastodon's admin API for moderation apps: accounts (v1 and v2 lists, one account, actions and their undo,
sign-up approval), reports (list, one, resolve, reopen, assign) and domain blocks.

No second implementation: every change goes through the services the web panel's admin pages use
(services.account_actions, reports, registrations, domain_blocks), so it is checked, done and written to the
audit log exactly as the panel's button does it. Two gates, both needed: the token's scope (`admin:read:*` /
`admin:write:*`, or the umbrella `admin:read` / `admin:write`) and the person's role as the panel checks it
(moderators and admins; domain block changes admins only). A normal artist gets 403 whatever scopes her token
holds.

Where Mastodon's API takes no reason but the panel requires one (undoing an action, closing or reopening a
report), an optional `text` is read, else the audit entry says which app did it without a reason. The
`action` endpoint needs `text`, as the panel's form needs a reason (422 otherwise). `disable` is refused (422):
logins here end with a suspension; `enable` changes nothing, as nobody is ever disabled.
"""

from __future__ import annotations

from functools import wraps
from typing import Any, Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fediverse.api import admin_entities as ents
from fediverse.api.auth import api_view
from fediverse.api.entities import status as status_entity
from fediverse.api.oauth_input import read_params
from fediverse.api.params import BadRequest, cursor, id_param, page_link, path_id, string, truthy
from fediverse.api.params import routes as both_routes
from fediverse.api.public import _json
from fediverse.db import accounts as account_db
from fediverse.db import domain_blocks as block_db
from fediverse.errors import NotFound
from fediverse.models import Account, DomainBlock, LocalUser, Report
from fediverse.runtime import Runtime
from fediverse.services import account_actions, domain_blocks, listings, registrations, reports, threads
from fediverse.services.blocklist_csv import BlockInput
from fediverse.services.oauth import Grant
from fediverse.services.timelines import items_for
from fediverse.web.context import runtime_of
from fediverse.web.panel.auth import has_role
from fediverse.web.responses import error

NOT_ALLOWED = "This action is not allowed"
DEFAULT_LIMIT, MAX_LIMIT = 100, 200
ACTION_TYPES = ("none", "sensitive", "disable", "silence", "suspend")
AdminHandler = Callable[[Request, Runtime, Any, LocalUser, Grant], Awaitable[Response]]


def admin_view(scope: str, role: str = "moderator") -> Callable[[AdminHandler], Callable[[Request], Awaitable[Response]]]:
    """`api_view(scope)` (token, scope, bad parameters a JSON 4xx) plus the panel's role check (403 JSON)."""
    def decorate(handler: AdminHandler) -> Callable[[Request], Awaitable[Response]]:
        @api_view(scope)
        @wraps(handler)
        async def run(request: Request, session: Any, grant: Grant | None) -> Response:
            assert grant is not None and grant.user is not None
            if not has_role(grant.user, role):
                return error(403, NOT_ALLOWED)
            return await handler(request, runtime_of(request), session, grant.user, grant)
        return run
    return decorate


def _page(request: Request) -> dict[str, Any]:
    """The page cursor as the admin services take it (keywords; 100 by default, at most 200)."""
    page = cursor(request, DEFAULT_LIMIT, MAX_LIMIT)
    return {"max_id": page.max_id, "since_id": page.since_id, "min_id": page.min_id, "limit": page.limit}


def _app_note(grant: Grant, what: str) -> str:
    return f"(no reason given: {what} from the app “{grant.app.name}” through the client API)"


# --- accounts -----------------------------------------------------------------------------------------------

async def _entity(rt: Runtime, session: Any, account: Account) -> dict[str, Any]:
    user = await account_actions.target_user(session, account)
    stats = await listings.account_stats(session, [account])
    return ents.admin_account(rt.settings, account, user, stats.get(account.id))


async def _account(session: Any, request: Request) -> Account:
    return await account_actions.find_account(session, path_id(request))


def _choice(value: str, name: str, allowed: tuple[str, ...]) -> str | None:
    if not value:
        return None
    if value not in allowed:
        raise BadRequest(f"{name} must be one of {', '.join(allowed)}", 422)
    return value


def _query_v2(request: Request) -> account_actions.AccountQuery:
    q = request.query_params
    permissions = q.get("permissions", "")
    if permissions not in ("", "staff"):
        raise BadRequest("permissions must be staff", 422)
    return account_actions.AccountQuery(
        origin=_choice(q.get("origin", ""), "origin", ("local", "remote")),
        status=_choice(q.get("status", ""), "status", account_actions.STATUSES),
        username=q.get("username", "")[:100], display_name=q.get("display_name", "")[:100],
        email=q.get("email", "")[:320], by_domain=q.get("by_domain", "")[:255], staff=permissions == "staff")


def _query_v1(request: Request) -> account_actions.AccountQuery:
    q = request.query_params
    local, remote = truthy(q.get("local", "")), truthy(q.get("remote", ""))
    statuses = [s for s in account_actions.STATUSES if truthy(q.get(s, ""))]
    return account_actions.AccountQuery(
        origin="local" if local and not remote else "remote" if remote and not local else None,
        status=statuses[0] if statuses else None, username=q.get("username", "")[:100],
        display_name=q.get("display_name", "")[:100], email=q.get("email", "")[:320],
        by_domain=q.get("by_domain", "")[:255], staff=truthy(q.get("staff", "")))


async def _account_list(request: Request, rt: Runtime, session: Any, query: account_actions.AccountQuery) -> Response:
    rows = await account_actions.find_accounts(session, query, **_page(request))
    stats = await listings.account_stats(session, [a for a, _u in rows])
    return _json([ents.admin_account(rt.settings, a, u, stats.get(a.id)) for a, u in rows],
                 headers=page_link(request, [a.id for a, _u in rows]))


@admin_view("admin:read:accounts")
async def accounts_v1(request: Request, rt: Runtime, session: Any, me: LocalUser, grant: Grant) -> Response:
    return await _account_list(request, rt, session, _query_v1(request))


@admin_view("admin:read:accounts")
async def accounts_v2(request: Request, rt: Runtime, session: Any, me: LocalUser, grant: Grant) -> Response:
    return await _account_list(request, rt, session, _query_v2(request))


@admin_view("admin:read:accounts")
async def account(request: Request, rt: Runtime, session: Any, me: LocalUser, grant: Grant) -> Response:
    return _json(await _entity(rt, session, await _account(session, request)))


@admin_view("admin:write:accounts")
async def account_action(request: Request, rt: Runtime, session: Any, me: LocalUser, grant: Grant) -> Response:
    """Mastodon's `POST /action`: with `report_id`, the report is resolved with this action (reports.resolve,
    as the panel's report page does); without, the panel's account action."""
    target = await _account(session, request)
    params = await read_params(request)
    kind = string(params, "type", 32) or "none"
    if kind not in ACTION_TYPES:
        raise BadRequest(f"type must be one of {', '.join(ACTION_TYPES)}", 422)
    if kind == "disable":
        raise BadRequest("logins cannot be disabled on their own here: suspend the account instead", 422)
    text = string(params, "text", 2000)
    report_id = id_param(string(params, "report_id", 30) or None, "report_id")
    if report_id is not None:
        report = await reports.get(session, report_id)
        if report.target_id != target.id:
            raise BadRequest(f"report {report_id} is not about this account", 422)
        await reports.resolve(rt, session, me, report_id, "dismiss" if kind == "none" else kind, text)
    elif kind == "none":
        raise BadRequest("type none only closes the report named by report_id here (warnings are not sent)", 422)
    else:
        await account_actions.take_action(rt, session, me, target, kind, text)
    return _json({})


async def _params_text(request: Request) -> str:
    return string(await read_params(request), "text", 2000)


@admin_view("admin:write:accounts")
async def approve(request: Request, rt: Runtime, session: Any, me: LocalUser, grant: Grant) -> Response:
    target = await _account(session, request)
    approved = await registrations.approve(session, me, target.id, await _params_text(request))
    return _json(await _entity(rt, session, approved.account))


@admin_view("admin:write:accounts")
async def reject(request: Request, rt: Runtime, session: Any, me: LocalUser, grant: Grant) -> Response:
    """The pending account is deleted (as the panel's Reject): the answer is how it looked just before."""
    target = await _account(session, request)
    before = await _entity(rt, session, target)
    await registrations.reject(session, me, target.id, await _params_text(request))
    return _json(before)


def _undo(action: str) -> AdminHandler:
    async def handler(request: Request, rt: Runtime, session: Any, me: LocalUser, grant: Grant) -> Response:
        target = await _account(session, request)
        text = await _params_text(request) or _app_note(grant, f"{action} done")
        await account_actions.take_action(rt, session, me, target, action, text)
        return _json(await _entity(rt, session, target))
    handler.__name__ = action
    return handler


@admin_view("admin:write:accounts")
async def enable(request: Request, rt: Runtime, session: Any, me: LocalUser, grant: Grant) -> Response:
    """Nobody is ever disabled here (see the module docstring): nothing to change."""
    return _json(await _entity(rt, session, await _account(session, request)))


# --- reports ------------------------------------------------------------------------------------------------

async def _admin_of(rt: Runtime, session: Any, account_id: int | None) -> dict[str, Any] | None:
    if account_id is None:
        return None
    found = await session.get(Account, account_id)
    return None if found is None else ents.admin_account(rt.settings, found,
                                                         await account_actions.target_user(session, found))


async def _report_entity(rt: Runtime, session: Any, row: Report, me: LocalUser,
                         assignee: int | None) -> dict[str, Any]:
    target = await session.get(Account, row.target_id)
    reporter = await session.get(Account, row.reporter_id) if row.reporter_id else None
    if reporter is None:  # a Flag from another server: its reporter is anonymous; our instance actor stands in
        reporter = await account_db.by_uri(session, rt.uris.instance_actor())
    assert target is not None and reporter is not None
    ids = [s.id for uri in row.object_uris if (s := await threads.status_by_uri(session, uri)) is not None]
    items = await items_for(session, me.account, ids)
    extras = await listings.extras(session, items)
    return ents.report(rt.settings, row,
                       ents.both(rt.settings, reporter, await account_actions.target_user(session, reporter)),
                       ents.both(rt.settings, target, await account_actions.target_user(session, target)),
                       [status_entity(rt.settings, item, extras) for item in items],
                       await _admin_of(rt, session, assignee), await _admin_of(rt, session, row.resolved_by_id))


async def _one_report(rt: Runtime, session: Any, me: LocalUser, row: Report) -> Response:
    assigned = await reports.assignees(session, [row.id])
    return _json(await _report_entity(rt, session, row, me, assigned.get(row.id)))


@admin_view("admin:read:reports")
async def report_list(request: Request, rt: Runtime, session: Any, me: LocalUser, grant: Grant) -> Response:
    q = request.query_params
    resolved, unresolved = truthy(q.get("resolved", "")), truthy(q.get("unresolved", ""))
    rows = await reports.find_reports(
        session, resolved=None if resolved and unresolved else resolved,
        reporter_id=id_param(q.get("account_id"), "account_id"),
        target_id=id_param(q.get("target_account_id"), "target_account_id"), **_page(request))
    assigned = await reports.assignees(session, [r.id for r in rows])
    return _json([await _report_entity(rt, session, r, me, assigned.get(r.id)) for r in rows],
                 headers=page_link(request, [r.id for r in rows]))


@admin_view("admin:read:reports")
async def report(request: Request, rt: Runtime, session: Any, me: LocalUser, grant: Grant) -> Response:
    return await _one_report(rt, session, me, await reports.get(session, path_id(request)))


@admin_view("admin:write:reports")
async def resolve(request: Request, rt: Runtime, session: Any, me: LocalUser, grant: Grant) -> Response:
    """Closed without a further action (the action, if any, came through `POST /accounts/:id/action`)."""
    report_id = path_id(request)
    text = await _params_text(request) or _app_note(grant, "resolved")
    await reports.resolve(rt, session, me, report_id, "dismiss", text)
    return await _one_report(rt, session, me, await reports.get(session, report_id))


@admin_view("admin:write:reports")
async def reopen(request: Request, rt: Runtime, session: Any, me: LocalUser, grant: Grant) -> Response:
    text = await _params_text(request) or _app_note(grant, "reopened")
    return await _one_report(rt, session, me, await reports.reopen(session, me, path_id(request), text))


@admin_view("admin:write:reports")
async def assign_to_self(request: Request, rt: Runtime, session: Any, me: LocalUser, grant: Grant) -> Response:
    return await _one_report(rt, session, me, await reports.assign(session, me, path_id(request), to_self=True))


@admin_view("admin:write:reports")
async def unassign(request: Request, rt: Runtime, session: Any, me: LocalUser, grant: Grant) -> Response:
    return await _one_report(rt, session, me, await reports.assign(session, me, path_id(request), to_self=False))


# --- domain blocks ------------------------------------------------------------------------------------------

SEVERITY_ALIASES = {"limit": "silence"}  # Mastodon's web UI (and Mastodon.py's docs) call silence "limit"


async def _block(session: Any, request: Request) -> DomainBlock:
    block = await block_db.by_id(session, path_id(request))
    if block is None:
        raise NotFound("Record not found")
    return block


def _block_input(params: dict[str, Any], domain: str, current: DomainBlock | None = None) -> BlockInput:
    def flag(name: str, default: bool) -> bool:
        return truthy(params[name]) if name in params else default

    severity = string(params, "severity", 16) or (current.severity if current is not None else "silence")
    return BlockInput(
        domain=domain, severity=SEVERITY_ALIASES.get(severity, severity),
        reject_media=flag("reject_media", bool(current and current.reject_media)),
        reject_reports=flag("reject_reports", bool(current and current.reject_reports)),
        public_comment=string(params, "public_comment") if "public_comment" in params else
        (current.public_comment if current is not None else ""),
        private_comment=string(params, "private_comment") if "private_comment" in params else
        (current.private_comment if current is not None else ""),
        obfuscate=flag("obfuscate", bool(current and current.obfuscate)))


@admin_view("admin:read:domain_blocks")
async def block_list(request: Request, rt: Runtime, session: Any, me: LocalUser, grant: Grant) -> Response:
    page = _page(request)
    blocks = sorted(await block_db.all_blocks(session), key=lambda b: b.id, reverse=True)
    if page["max_id"] is not None:
        blocks = [b for b in blocks if b.id < page["max_id"]]
    if page["since_id"] is not None:
        blocks = [b for b in blocks if b.id > page["since_id"]]
    if page["min_id"] is not None:
        blocks = [b for b in blocks if b.id > page["min_id"]][-page["limit"]:]
    blocks = blocks[:page["limit"]]
    return _json([ents.domain_block(b) for b in blocks], headers=page_link(request, [b.id for b in blocks]))


@admin_view("admin:read:domain_blocks")
async def block(request: Request, rt: Runtime, session: Any, me: LocalUser, grant: Grant) -> Response:
    return _json(ents.domain_block(await _block(session, request)))


@admin_view("admin:write:domain_blocks", role="admin")
async def block_create(request: Request, rt: Runtime, session: Any, me: LocalUser, grant: Grant) -> Response:
    params = await read_params(request)
    domain = string(params, "domain", 300)
    if not domain.strip():
        raise BadRequest("domain is required", 422)
    return _json(ents.domain_block(await domain_blocks.create(session, me, _block_input(params, domain))))


@admin_view("admin:write:domain_blocks", role="admin")
async def block_update(request: Request, rt: Runtime, session: Any, me: LocalUser, grant: Grant) -> Response:
    current = await _block(session, request)
    params = await read_params(request)
    changed = await domain_blocks.update(session, me, current.id, _block_input(params, current.domain, current))
    return _json(ents.domain_block(changed))


@admin_view("admin:write:domain_blocks", role="admin")
async def block_delete(request: Request, rt: Runtime, session: Any, me: LocalUser, grant: Grant) -> Response:
    current = await _block(session, request)
    await domain_blocks.remove(session, me, current.id, await _params_text(request) or _app_note(grant, "lifted"))
    return _json({})


def routes() -> list[Route]:
    accounts = "/api/v1/admin/accounts/{id:int}"
    reports_path = "/api/v1/admin/reports/{id:int}"
    blocks_path = "/api/v1/admin/domain_blocks"
    undo = [(f"{accounts}/{name}", admin_view("admin:write:accounts")(_undo(name)), ["POST"])
            for name in ("unsilence", "unsuspend", "unsensitive")]
    table: list[tuple[str, Callable[[Request], Awaitable[Response]], list[str]]] = [
        ("/api/v1/admin/accounts", accounts_v1, ["GET"]), ("/api/v2/admin/accounts", accounts_v2, ["GET"]),
        (accounts, account, ["GET"]), (f"{accounts}/action", account_action, ["POST"]),
        (f"{accounts}/approve", approve, ["POST"]), (f"{accounts}/reject", reject, ["POST"]),
        (f"{accounts}/enable", enable, ["POST"]), *undo,
        ("/api/v1/admin/reports", report_list, ["GET"]), (reports_path, report, ["GET"]),
        (f"{reports_path}/resolve", resolve, ["POST"]), (f"{reports_path}/reopen", reopen, ["POST"]),
        (f"{reports_path}/assign_to_self", assign_to_self, ["POST"]),
        (f"{reports_path}/unassign", unassign, ["POST"]),
        (blocks_path, block_list, ["GET"]), (blocks_path, block_create, ["POST"]),
        (f"{blocks_path}/{{id:int}}", block, ["GET"]), (f"{blocks_path}/{{id:int}}", block_update, ["PUT"]),
        (f"{blocks_path}/{{id:int}}", block_delete, ["DELETE"]),
    ]
    return [route for path, endpoint, methods in table for route in both_routes(path, endpoint, methods)]
