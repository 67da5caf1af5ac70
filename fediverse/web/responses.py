"""Response helpers: AS2 JSON with the content type Mastodon insists on, JRD, and JSON errors."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

AP_MEDIA_TYPE = "application/activity+json"
AP_TYPES = ("application/activity+json", "application/ld+json")


def wants_activitypub(request: Request) -> bool:
    """True when the Accept header asks for ActivityStreams rather than a page."""
    accept = request.headers.get("accept", "").lower()
    return any(kind in accept for kind in AP_TYPES)


def wants_html(request: Request) -> bool:
    """True for a browser reading a page (GET or HEAD, Accept names text/html, not ActivityStreams)."""
    return request.method in ("GET", "HEAD") and "text/html" in request.headers.get("accept", "").lower() \
        and not wants_activitypub(request)


def activity_json(doc: dict[str, Any], *, status: int = 200, cache_seconds: int = 60) -> Response:
    return Response(orjson.dumps(doc), status_code=status, media_type=AP_MEDIA_TYPE,
                    headers={"Cache-Control": f"max-age={cache_seconds}", "Vary": "Accept, Signature"})


def json_response(doc: Any, *, status: int = 200, media_type: str = "application/json", headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(doc), status_code=status, media_type=media_type, headers=headers)


def error(status: int, message: str) -> Response:
    return json_response({"error": message}, status=status)
