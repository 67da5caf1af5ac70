"""Media uploads of the client API: POST /api/v1/media and /api/v2/media, GET and PUT /api/v1/media/:id.

An upload is checked and stored as a work's image would be (services.media_uploads, on services.works' image
checks) before the answer, so v2 answers 200 with a complete MediaAttachment (never 202: images are processed
within the request here). ``description`` is the alt text, ``focus`` the focal point "x,y" within -1..1. Only
its owner sees or changes an upload; anyone else gets a 404, as for an unknown id.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fediverse.api.auth import api_view
from fediverse.api.oauth_input import read_form, read_params
from fediverse.api.params import path_id, string, text
from fediverse.api.params import routes as both_routes
from fediverse.errors import Invalid
from fediverse.models import MediaUpload
from fediverse.runtime import Runtime
from fediverse.services import media_uploads
from fediverse.services.oauth import Grant
from fediverse.web.context import runtime_of
from fediverse.web.responses import json_response

FORM_MARGIN = 64 * 1024  # the multipart framing and the text fields beside the file


def attachment(rt: Runtime, media: MediaUpload) -> dict[str, Any]:
    """The MediaAttachment entity of an upload (its large rendition, its thumbnail as the preview)."""
    original = {"width": media.width, "height": media.height, "size": f"{media.width}x{media.height}",
                "aspect": media.width / media.height if media.height else 1.0}
    small = {"width": media.large_width, "height": media.large_height,
             "size": f"{media.large_width}x{media.large_height}",
             "aspect": media.large_width / media.large_height if media.large_height else 1.0}
    return {"id": str(media.id), "type": "image", "url": rt.uris.media(media.large_key),
            "preview_url": rt.uris.media(media.thumbnail_key), "remote_url": None, "preview_remote_url": None,
            "text_url": None, "meta": {"original": original, "small": small,
                                       "focus": {"x": media.focal_x, "y": media.focal_y}},
            "description": media.description or None, "blurhash": media.blurhash}


@api_view("write:media")
async def upload(request: Request, session: Any, grant: Grant | None) -> Response:
    assert grant is not None and grant.user is not None
    rt = runtime_of(request)
    form = await read_form(request, rt.settings.media.max_upload_bytes + FORM_MARGIN, max_files=1, max_fields=20)
    try:
        file = form.get("file")
        if not isinstance(file, UploadFile):
            raise Invalid("file is required (multipart/form-data, the image as `file`)")
        data = await file.read()
        media = await media_uploads.upload(
            rt, session, grant.user, data, description=text(form, "description") or "",
            focus=media_uploads.parse_focus(text(form, "focus")), filename=file.filename or "",
            declared_mime=file.content_type)
    finally:
        await form.close()
    return json_response(attachment(rt, media))


@api_view("write:media")
async def show(request: Request, session: Any, grant: Grant | None) -> Response:
    assert grant is not None and grant.user is not None
    media = await media_uploads.own(session, grant.user, path_id(request))
    return json_response(attachment(runtime_of(request), media))


@api_view("write:media")
async def change(request: Request, session: Any, grant: Grant | None) -> Response:
    """PUT: a new description or focus, before the upload is posted."""
    assert grant is not None and grant.user is not None
    media_id = path_id(request)
    params = await read_params(request)
    description = string(params, "description", limit=media_uploads.MAX_DESCRIPTION + 1) \
        if "description" in params else None
    focus = media_uploads.parse_focus(string(params, "focus", limit=100)) if "focus" in params else None
    media = await media_uploads.update(runtime_of(request), session, grant.user, media_id,
                                       description=description, focus=focus)
    return json_response(attachment(runtime_of(request), media))


def routes() -> list[Route]:
    return [route for path, endpoint, methods in (("/api/v1/media", upload, ["POST"]),
                                                  ("/api/v2/media", upload, ["POST"]),
                                                  ("/api/v1/media/{id:int}", show, ["GET"]),
                                                  ("/api/v1/media/{id:int}", change, ["PUT"]))
            for route in both_routes(path, endpoint, methods)]

