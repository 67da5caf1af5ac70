"""`/media/<artist>/<sha2>/<sha256>.<ext>`: public renditions, content-addressed, so cacheable forever.

Only `MediaStore.open_public` finds files: it accepts nothing but the public key shape, so private originals,
traversal (`..`, `%2e%2e`, absolute paths) and unknown keys all end in 404.

- strong ETag = the SHA-256 in the key; `Cache-Control: public, max-age=31536000, immutable`
- If-None-Match -> 304 (weak comparison, `*`, lists), HEAD, one `bytes=` Range -> 206, unsatisfiable -> 416
  (both from Starlette's FileResponse, which also honours If-Range)
- any other Range (several ranges, other units, malformed) is ignored and the whole file is sent (RFC 9110
  §14.2 allows it; it keeps multipart range responses, a cheap amplification trick, off the server)
- consent: web/consent.py's middleware adds the file's record (the work's, else the artist's, found from the
  first key segment) as X-Robots-Tag / tdm-reservation / tdm-policy / Content-Usage / Link rel=license to every
  answer here (200, 206, 304, HEAD, 404), and refuses AI crawlers where the record refuses them
"""

from __future__ import annotations

import os
import re
import stat
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from fediverse.storage import MediaStore
from fediverse.web.context import runtime_of
from fediverse.web.responses import error

if TYPE_CHECKING:
    from fediverse.runtime import Runtime

CACHE_CONTROL = "public, max-age=31536000, immutable"
CONTENT_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp",
                 "gif": "image/gif", "avif": "image/avif"}
_SINGLE_RANGE = re.compile(r"\s*bytes\s*=\s*(\d{0,18})\s*-\s*(\d{0,18})\s*", re.IGNORECASE)


@lru_cache(maxsize=8)
def store_at(root: str) -> MediaStore:
    return MediaStore(root)


def public_path(rt: Runtime, key: str) -> Path | None:
    return store_at(rt.settings.media.root).open_public(key)


def usable_range(value: str | None) -> bool:
    """True for exactly one well-formed byte range (`a-b`, `a-`, `-n`) with a <= b."""
    if not value:
        return False
    match = _SINGLE_RANGE.fullmatch(value)
    if match is None:
        return False
    start, end = match.groups()
    if not start and not end:
        return False
    return not (start and end and int(end) < int(start))


def etag_matches(header: str, etag: str) -> bool:
    """If-None-Match uses the weak comparison: W/ prefixes do not matter; `*` matches any stored file."""
    tags = [tag.strip() for tag in header.split(",")]
    return "*" in tags or etag in (tag.removeprefix("W/") for tag in tags)


class MediaFileResponse(FileResponse):
    """A FileResponse that drops a Range header we decided not to honour, so the whole file is sent."""

    def __init__(self, *args, honour_range: bool, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.honour_range = honour_range

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.honour_range:
            scope = {**scope, "headers": [(k, v) for k, v in scope["headers"] if k != b"range"]}
        await super().__call__(scope, receive, send)


async def media(request: Request) -> Response:
    rt = runtime_of(request)
    key = request.path_params["key"]
    path = public_path(rt, key)
    info = regular_file_stat(path)
    if path is None or info is None:
        return error(404, "no such media")
    return stored_file(request, path, info, key, CACHE_CONTROL)


def regular_file_stat(path: str | os.PathLike[str] | None) -> os.stat_result | None:
    """The file's stat taken once (what is served is what was checked), or None if it is gone or not regular."""
    if path is None:
        return None
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info if stat.S_ISREG(info.st_mode) else None


def stored_file(request: Request, path: str | os.PathLike[str], info: os.stat_result, key: str,
                cache_control: str) -> Response:
    """A content-addressed file of the media store (the name is its SHA-256): ETag from the name, 304 on a
    match, Range honoured, and headers that keep a hostile file from running as a page."""
    digest, _, ext = key.rpartition("/")[2].partition(".")
    etag = f'"{digest}"'
    headers = {
        "ETag": etag,
        "Cache-Control": cache_control,
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cross-Origin-Resource-Policy": "cross-origin",
        "Access-Control-Allow-Origin": "*",
    }
    if etag_matches(request.headers.get("if-none-match", ""), etag):
        return Response(status_code=304, headers=headers)
    return MediaFileResponse(path, stat_result=info, headers=headers,
                             media_type=CONTENT_TYPES.get(ext, "application/octet-stream"),
                             honour_range=usable_range(request.headers.get("range")))


routes = [Route("/media/{key:path}", media, methods=["GET", "HEAD"])]
