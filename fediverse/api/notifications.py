"""The caller's notifications (services/accounts.py, the rows the studio's notifications page lists), as
Mastodon's Notification entities: ``GET /api/v1/notifications`` (``types[]``, ``exclude_types[]``,
``account_id``, ``max_id``/``since_id``/``min_id``/``limit``, ``Link``), ``GET /:id``, ``POST /clear``,
``POST /:id/dismiss`` and ``GET /unread_count``.

Our kinds map onto Mastodon's documented types (a like is ``favourite``, a boost ``reblog``, a reply
``mention``); a kind with no such type is left out. Unknown ``types[]`` are ignored, as Mastodon ignores them.
Only the caller's own notifications are ever read or dismissed: another person's id is a 404.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fediverse.api import entities, signed_in
from fediverse.api.params import cursor as page_cursor
from fediverse.api.params import id_param, page_link, path_id, routes as both_routes
from fediverse.api.public import _json, _statuses
from fediverse.models import LocalUser
from fediverse.runtime import Runtime
from fediverse.services import accounts, listings
from fediverse.services.accounts import NotificationRow
from fediverse.services.timelines import items_for

KINDS_OF_TYPE: dict[str, tuple[str, ...]] = {
    "mention": ("mention", "reply"), "reblog": ("announce",), "favourite": ("like",), "follow": ("follow",),
    "follow_request": ("follow_request",), "status": (), "update": (), "poll": (), "admin.sign_up": (),
    "admin.report": (),
}
TYPE_OF_KIND = {kind: kind_type for kind_type, kinds in KINDS_OF_TYPE.items() for kind in kinds}
WITHOUT_STATUS = ("follow", "follow_request")


def _kinds(request: Request) -> tuple[str, ...] | None:
    """Our kinds for ``types[]`` minus ``exclude_types[]`` (None: every kind)."""
    q = request.query_params
    types = [t for t in [*q.getlist("types[]"), *q.getlist("types")] if t in KINDS_OF_TYPE]
    asked = bool(q.getlist("types[]") or q.getlist("types"))
    excluded = {t for t in [*q.getlist("exclude_types[]"), *q.getlist("exclude_types")]}
    if not asked and not excluded:
        return None
    chosen = [t for t in (types if asked else KINDS_OF_TYPE) if t not in excluded]
    return tuple(kind for t in chosen for kind in KINDS_OF_TYPE[t])


async def _entities(rt: Runtime, session: Any, user: LocalUser, rows: list[NotificationRow]) -> list[dict[str, Any]]:
    """The rows as entities, in order; one whose post is gone or no longer visible to her is left out."""
    rows = [row for row in rows if row[0].kind in TYPE_OF_KIND]
    about = await accounts.notified_statuses(session, user.account, rows)
    items = {item.status_id: item for item in await items_for(session, user.account, list(dict.fromkeys(about.values())))}
    shown = dict(zip(items, await _statuses(rt, session, list(items.values()))))
    actors = list({row[0].actor.id: row[0].actor for row in rows}.values())
    stats = await listings.account_stats(session, actors)
    found = []
    for notification, *_posts in rows:
        kind = TYPE_OF_KIND[notification.kind]
        status = shown.get(about.get(notification.id, -1))
        if (status is None and kind not in WITHOUT_STATUS) or notification.actor.suspended_at is not None:
            continue
        actor = entities.account(rt.settings, notification.actor, stats.get(notification.actor_id))
        entity = entities.notification(rt.settings, notification, actor, status)
        found.append({**entity, "type": kind})
    return found


@signed_in.view("read:notifications")
async def index(request: Request, rt: Runtime, session: Any, user: LocalUser) -> Response:
    cursor = page_cursor(request)
    kinds = _kinds(request)
    if kinds == ():
        return _json([])
    rows = await accounts.notification_page(
        session, user.account_id, kinds=kinds, actor_id=id_param(request.query_params.get("account_id"), "account_id"),
        max_id=cursor.max_id, since_id=cursor.since_id, min_id=cursor.min_id, limit=cursor.limit)
    found = await _entities(rt, session, user, rows)
    ids = [row[0].id for row in rows]
    return _json(found, headers=page_link(request, ids))


@signed_in.view("read:notifications")
async def one(request: Request, rt: Runtime, session: Any, user: LocalUser) -> Response:
    row = await accounts.notification_of(session, user.account_id, path_id(request))
    found = await _entities(rt, session, user, [row])
    return _json(found[0]) if found else _json({"error": "Record not found"}, status=404)


@signed_in.view("write:notifications")
async def dismiss(request: Request, rt: Runtime, session: Any, user: LocalUser) -> Response:
    await accounts.dismiss_notification(session, user.account_id, path_id(request))
    return _json({})


@signed_in.view("write:notifications")
async def clear(request: Request, rt: Runtime, session: Any, user: LocalUser) -> Response:
    await accounts.clear_notifications(session, user.account_id)
    return _json({})


@signed_in.view("read:notifications")
async def unread_count(request: Request, rt: Runtime, session: Any, user: LocalUser) -> Response:
    return _json({"count": await accounts.unread_notifications(session, user.account_id)})


def routes() -> list[Route]:
    return [*both_routes("/api/v1/notifications", index),
            *both_routes("/api/v1/notifications/unread_count", unread_count),
            *both_routes("/api/v1/notifications/clear", clear, ["POST"]),
            *both_routes("/api/v1/notifications/{id:int}", one),
            *both_routes("/api/v1/notifications/{id:int}/dismiss", dismiss, ["POST"])]
