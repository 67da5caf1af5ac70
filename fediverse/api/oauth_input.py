"""Parameters of client API and OAuth requests: a form or a JSON object, read with a size cap, never a 500."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import ClientDisconnect, Request

from fediverse.api.params import BadRequest, string, truthy

__all__ = ["MAX_BODY", "BadRequest", "read_params", "string", "truthy"]

MAX_BODY = 64 * 1024


async def read_params(request: Request) -> dict[str, Any]:
    """Query parameters overlaid by the body (JSON object, urlencoded or multipart form). Lists come from
    JSON arrays or repeated `key[]` fields."""
    params: dict[str, Any] = dict(request.query_params)
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
        raise BadRequest("the request body is too large")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        body = await request.body()
    except ClientDisconnect:
        raise BadRequest("the request body was not received") from None
    if len(body) > MAX_BODY:
        raise BadRequest("the request body is too large")
    if not body:
        return params
    if content_type == "application/json":
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise BadRequest("the JSON body could not be parsed") from None
        if not isinstance(data, dict):
            raise BadRequest("the JSON body must be an object")
        params.update(data)
        return params
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        try:
            form = await request.form(max_files=0, max_fields=100)
        except Exception:  # starlette raises several types for malformed multipart bodies
            raise BadRequest("the form body could not be parsed") from None
        for key in form.keys():
            values = [v for v in form.getlist(key) if isinstance(v, str)]
            if key.endswith("[]"):
                params[key[:-2]] = values
            elif values:
                params[key] = values[-1]
    return params

