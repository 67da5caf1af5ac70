"""Parameters of client API and OAuth requests: a form or a JSON object, read with a size cap, never a 500.

Every API body goes through `read_form` (web.bodies): too large is 413 whether or not a Content-Length was
sent, unreadable is 400, both as JSON ``{"error": …}``."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request

from fediverse.api.params import BadRequest, string, truthy
from fediverse.web import bodies

__all__ = ["MAX_BODY", "BadRequest", "read_form", "read_params", "read_params_and_files", "string", "truthy"]

MAX_BODY = 64 * 1024
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def read_form(request: Request, limit: int, *, max_files: int, max_fields: int = 200) -> FormData:
    """The urlencoded or multipart body, at most `limit` bytes (the caller closes its files)."""
    try:
        return await bodies.read_form(bodies.capped(request, limit), max_files=max_files, max_fields=max_fields)
    except bodies.BodyTooLarge as exc:
        raise BadRequest(str(exc), 413) from None
    except bodies.BodyUnreadable as exc:
        raise BadRequest(f"the form could not be read: {exc}") from None


async def read_params(request: Request, *, limit: int = MAX_BODY) -> dict[str, Any]:
    """Query parameters overlaid by the body (JSON object, urlencoded or multipart form, no files)."""
    return (await read_params_and_files(request, limit=limit, max_files=0))[0]


async def read_params_and_files(request: Request, *, limit: int, max_files: int) -> tuple[dict[str, Any], FormData | None]:
    """Query parameters overlaid by the body, and the form to close when one was read (it may hold up to
    `max_files` files, given as UploadFile values). Form keys ending in ``[]`` give lists under the name without
    them (``media_ids[]`` -> ``media_ids``); keys with ``[]`` inside (``media_attributes[][id]``) give lists
    under their own name; any other key its last value."""
    params: dict[str, Any] = dict(request.query_params)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in FORM_TYPES:
        form = await read_form(request, limit, max_files=max_files)
        params.update(_flattened(form))
        return params, form
    if content_type == "application/json":
        try:
            body = await bodies.read_body(bodies.capped(request, limit))
        except bodies.BodyTooLarge as exc:
            raise BadRequest(str(exc), 413) from None
        except bodies.BodyUnreadable as exc:
            raise BadRequest(str(exc)) from None
        if body:
            params.update(_json_object(body))
    return params, None


def _flattened(form: FormData) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key in form.keys():
        values = [v for v in form.getlist(key) if isinstance(v, str | UploadFile)]
        if key.endswith("[]"):
            found[key[:-2]] = [v for v in values if isinstance(v, str)]
        elif "[]" in key:
            found[key] = [v for v in values if isinstance(v, str)]
        elif values:
            found[key] = values[-1]
    return found


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise BadRequest("the JSON body could not be parsed") from None
    if not isinstance(data, dict):
        raise BadRequest("the JSON body must be an object")
    return data
