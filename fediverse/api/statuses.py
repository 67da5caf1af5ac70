"""Posting from apps: POST /api/v1/statuses, and an own status's DELETE, PUT, source and history.

A status with ``media_ids`` becomes a work on the artist's portfolio (her default licence and consent, alt text
from each upload's description), one without a text note: services.app_posts decides and calls the works and
notes services, so it federates as a studio post does. ``Idempotency-Key`` returns the status the same key made
within the hour. The answers are the Status entity (api.entities), a work's licence and consent included in
the read-only ``fediverse`` object. Editing changes a work's text, spoiler, sensitivity, alt texts and focus
(never its set of images);
text notes cannot be edited yet (422). History is honest: the current version only (no edits are kept).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fediverse.api import entities
from fediverse.api.auth import api_view
from fediverse.api.oauth_input import read_params
from fediverse.api.params import id_param, path_id, string, truthy
from fediverse.api.params import routes as both_routes
from fediverse.errors import Invalid, NotFound
from fediverse.models import Account
from fediverse.runtime import Runtime
from fediverse.services import app_posts, listings, media_uploads, threads
from fediverse.services.oauth import Grant
from fediverse.services.timelines import items_for
from fediverse.web.context import runtime_of
from fediverse.web.responses import json_response

MAX_TEXT = 10_000


def _body_id(raw: Any, name: str) -> int:
    """An id sent in a body (present: the caller checked); a malformed one is a 422, as Mastodon answers."""
    found = id_param(raw, name, status=422)
    if found is None:
        raise Invalid(f"{name} must be an id (digits)")
    return found


def _id_list(params: dict[str, Any], name: str) -> list[str]:
    value = params.get(name)
    if value is None or value == "":
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


async def shown(rt: Runtime, session: Any, viewer: Account | None, status_id: int) -> dict[str, Any]:
    """The Status entity of one status as ``viewer`` sees it (the caller checked they may)."""
    items = await items_for(session, viewer, [status_id])
    if not items:
        raise NotFound("Record not found")
    return entities.status(rt.settings, items[0], await listings.extras(session, items))


@api_view("write:statuses")
async def post(request: Request, session: Any, grant: Grant | None) -> Response:
    assert grant is not None and grant.user is not None
    rt = runtime_of(request)
    params = await read_params(request)
    text = string(params, "status", limit=MAX_TEXT + 1)
    media_ids = [_body_id(raw, "media_ids") for raw in _id_list(params, "media_ids")]
    reply = params.get("in_reply_to_id")
    data = app_posts.StatusInput(
        text=text, media_ids=media_ids,
        in_reply_to_id=_body_id(reply, "in_reply_to_id") if reply not in (None, "") else None,
        sensitive=truthy(params.get("sensitive")), spoiler_text=string(params, "spoiler_text", limit=1000),
        visibility=string(params, "visibility", limit=20) or "public")
    key = request.headers.get("idempotency-key", "").strip() or None
    account = grant.user.account
    status_id = await app_posts.post_status(rt, session, grant.user, data, key)
    return json_response(await shown(rt, session, account, status_id))


@api_view("write:statuses")
async def remove(request: Request, session: Any, grant: Grant | None) -> Response:
    """DELETE: the deleted status, with ``text`` (as typed) for the app's delete-and-redraft."""
    assert grant is not None and grant.user is not None
    rt = runtime_of(request)
    status_id = path_id(request)
    post = await app_posts.own_post(session, grant.user, status_id)
    entity = await shown(rt, session, grant.user.account, status_id)
    text, spoiler = app_posts.source_of(post)
    await app_posts.delete_status(rt, session, grant.user, status_id)
    return json_response({**entity, "text": text, "spoiler_text": spoiler})


def _media_attributes(params: dict[str, Any]) -> list[dict[str, Any]]:
    """``media_attributes[]``: a JSON list of objects, or the form fields ``media_attributes[][id]`` etc."""
    value = params.get("media_attributes")
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict)]
    ids = params.get("media_attributes[][id]") or []
    found = []
    for n, media_id in enumerate(ids):
        item: dict[str, Any] = {"id": media_id}
        for name in ("description", "focus"):
            values = params.get(f"media_attributes[][{name}]") or []
            if n < len(values):
                item[name] = values[n]
        found.append(item)
    return found


def _image_edits(status_id: int, count: int, attributes: list[dict[str, Any]]) -> list[app_posts.ImageEdit]:
    """The attachments are named by their entity ids (api.entities.attachment_id)."""
    positions = {entities.attachment_id(status_id, n): n for n in range(count)}
    edits = []
    for item in attributes:
        position = positions.get(str(item.get("id", "")))
        if position is None:
            raise Invalid("media_attributes names media that is not part of this status")
        description = item.get("description")
        focus = item.get("focus")
        edits.append(app_posts.ImageEdit(
            position, description=str(description)[:media_uploads.MAX_DESCRIPTION + 1]
            if description is not None else None,
            focus=media_uploads.parse_focus(str(focus)) if focus not in (None, "") else None))
    return edits


@api_view("write:statuses")
async def edit(request: Request, session: Any, grant: Grant | None) -> Response:
    """PUT: a work's text, spoiler text, sensitivity, and its images' descriptions and focus. The images
    themselves stay: a new id in ``media_ids`` is refused, and images it leaves out are kept (Mastodon.py sends
    only the ids it edits the attributes of), as there is no removing an image from a work here yet."""
    assert grant is not None and grant.user is not None
    rt = runtime_of(request)
    status_id = path_id(request)
    params = await read_params(request)
    post = await app_posts.own_post(session, grant.user, status_id)
    text, spoiler = app_posts.source_of(post)
    count = len(post.work.images) if post.work is not None else 0
    current = {entities.attachment_id(status_id, n) for n in range(count)}
    if not set(_id_list(params, "media_ids")) <= current:
        raise Invalid("adding or replacing the images of a post is not supported: edit their descriptions")
    edits = _image_edits(status_id, count, _media_attributes(params))
    account = grant.user.account
    await app_posts.edit_status(
        rt, session, grant.user, status_id,
        text=string(params, "status", limit=MAX_TEXT + 1) if "status" in params else text,
        spoiler_text=string(params, "spoiler_text", limit=1000) if "spoiler_text" in params else spoiler,
        sensitive=truthy(params.get("sensitive")) if "sensitive" in params else bool(
            post.work.sensitive if post.work is not None else False),
        images=edits)
    return json_response(await shown(rt, session, account, status_id))


@api_view("read:statuses")
async def source(request: Request, session: Any, grant: Grant | None) -> Response:
    """The text as typed, of an own post (what an app's edit box starts from)."""
    assert grant is not None and grant.user is not None
    status_id = path_id(request)
    text, spoiler = app_posts.source_of(await app_posts.own_post(session, grant.user, status_id))
    return json_response({"id": str(status_id), "text": text, "spoiler_text": spoiler})


@api_view("read:statuses", public=True, user=False)
async def history(request: Request, session: Any, grant: Grant | None) -> Response:
    """The versions of a post: the current one only (earlier versions are not kept), said honestly."""
    viewer = grant.user.account if grant is not None and grant.user is not None else None
    status_id = path_id(request)
    post = await threads.visible_post(session, status_id, viewer)
    if post is None or post.status.id != status_id or post.status.reblog_of_id is not None:
        raise NotFound("Record not found")
    entity = await shown(runtime_of(request), session, viewer, status_id)
    return json_response([{"content": entity["content"], "spoiler_text": entity["spoiler_text"],
                           "sensitive": entity["sensitive"], "created_at": entity["edited_at"] or entity["created_at"],
                           "account": entity["account"], "media_attachments": entity["media_attachments"],
                           "emojis": [], "poll": None}])


def routes() -> list[Route]:
    return [route for path, endpoint, methods in (("/api/v1/statuses", post, ["POST"]),
                                                  ("/api/v1/statuses/{id:int}", remove, ["DELETE"]),
                                                  ("/api/v1/statuses/{id:int}", edit, ["PUT"]),
                                                  ("/api/v1/statuses/{id:int}/source", source, ["GET"]),
                                                  ("/api/v1/statuses/{id:int}/history", history, ["GET"]))
            for route in both_routes(path, endpoint, methods)]


