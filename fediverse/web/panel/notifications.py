"""Notifications (follows, follow requests, likes, boosts, replies, mentions) and approving follow requests."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from fediverse.db import boosts as boost_db
from fediverse.db import follows as follow_db
from fediverse.errors import Invalid, NotFound
from fediverse.models import Account, LocalUser
from fediverse.services import boosts, following
from fediverse.services.accounts import NOTIFICATION_FILTERS, mark_notifications_read, notifications
from fediverse.web.context import runtime_of
from fediverse.web.panel.auth import studio_view
from fediverse.web.panel.forms import read_form
from fediverse.web.panel.render import page, redirect
from fediverse.web.remote_html import remote_html

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

VERBS = {"follow": "followed you", "follow_request": "asked to follow you", "like": "liked",
         "announce": "boosted", "reply": "replied to", "mention": "mentioned you"}


def _who(account: Account) -> dict[str, str]:
    handle = f"@{account.handle}" if "@" in account.handle else f"@{account.username}"
    return {"name": account.display_name or account.username, "handle": handle, "url": account.url or account.uri}


FILTER_LABELS = {"": "All", "follow": "Follows", "like": "Likes", "boost": "Boosts", "reply": "Replies",
                 "mention": "Mentions"}


def _filter(request: Request) -> tuple[str, tuple[str, ...] | None]:
    """``?type=``: one of FILTER_LABELS (absent or empty: all); anything else is a 400."""
    wanted = request.query_params.get("type", "")
    if wanted and wanted not in NOTIFICATION_FILTERS:
        raise Invalid(f"Unknown notification type. Choose one of: {', '.join(NOTIFICATION_FILTERS)}.")
    return wanted, NOTIFICATION_FILTERS.get(wanted)


@studio_view
async def notifications_page(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    rt = runtime_of(request)
    chosen, kinds = _filter(request)
    requests = [{"id": edge.id, **_who(edge.follower)} for edge in await follow_db.pending_requests(session, user.account_id)]
    items: list[dict[str, Any]] = []
    found = await notifications(session, user.account_id, limit=100, kinds=kinds)
    notes = [remote.id for _n, _w, remote, _l in found if remote is not None]
    boosted = await boost_db.boosted_notes(session, user.account_id, user.account.uri, notes)
    for note, work, remote, local in found:
        local = local if local is not None and local.deleted_at is None else None
        items.append({
            "kind": note.kind, "verb": VERBS.get(note.kind, note.kind), "who": _who(note.actor),
            "when": note.created_at, "unread": note.read_at is None,
            "work": {"title": work.title or "your work", "url": rt.uris.work_page(user.account.username, work.public_id)}
            if work is not None and work.deleted_at is None else None,
            "text": remote_html(remote.content_html) if remote is not None
            else Markup(local.content_html) if local is not None else None,
            "link": (remote.url or remote.uri) if remote is not None
            else rt.uris.status_page(int(local.public_id)) if local is not None else None,
            "local_note": local is not None,
            "about_note": local is not None and work is None,  # a like, boost or reply of her text post
            "note_id": remote.id if remote is not None and boosts.is_public(remote) else None,
            "boosted": remote is not None and remote.id in boosted,
        })
    await mark_notifications_read(session, user.account_id, kinds)  # commits
    return page(request, "panel/notifications.html", requests=requests if chosen in ("", "follow") else [],
                items=items, filters=FILTER_LABELS, chosen=chosen)


@studio_view
async def answer_request(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    """Approve or reject one pending follow request (an Accept or Reject is sent to the follower's server)."""
    await read_form(request)
    action = request.path_params["action"]
    wanted = request.path_params["follow_id"]
    edge = next((e for e in await follow_db.pending_requests(session, user.account_id) if e.id == wanted), None)
    if edge is None or action not in ("approve", "reject"):
        raise NotFound("That follow request is no longer waiting (it may have been answered or withdrawn).")
    who = _who(edge.follower)["handle"]
    await getattr(following, action)(runtime_of(request), session, user, edge.follower.uri)  # commits
    done = f"{who} now follows you." if action == "approve" else f"Rejected the request from {who}."
    return redirect(request, "/studio/notifications", done)


@studio_view
async def boost_note(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    """Boost a remote post that replied to or mentioned the artist, or undo that boost."""
    await read_form(request)
    action, note_id = request.path_params["action"], request.path_params["note_id"]
    if action not in ("boost", "undo"):
        raise NotFound("There is no such action on a post.")
    rt = runtime_of(request)
    if action == "boost":
        await boosts.boost(rt, session, user, note_id)
    else:
        await boosts.unboost(rt, session, user, note_id)
    done = "Boosted. Your followers' servers and the author's are being sent it." if action == "boost" \
        else "Boost undone. The servers that got it are being told."
    return redirect(request, "/studio/notifications", done)
