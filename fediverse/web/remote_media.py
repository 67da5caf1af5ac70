"""`/media/remote/<token>/file.<ext>`: our stamped copy of a remote image, with its author's consent record.

The token is random (never the row id): the files of followers-only and direct notes cannot be enumerated, and
they are served only to a signed-in local account the note addressed (or staff); anyone else gets 404.

The copy was re-encoded with our XMP stamp of the combined record (services/remote_media.py); the consent
middleware (web/consent.py, target kind "remote") adds the same record as headers to every answer here (200,
HEAD, 304, 404) and refuses AI crawlers where it refuses them. A purged copy is fetched again on request.
A request can make us fetch from another server, so ``guard`` runs first: a budget per client address
(``[spam] remote_media_per_minute_per_ip``, 429 + Retry-After); the file name is checked before any fetch, and
concurrent requests for one file share one fetch (services/remote_media.ensure_cached).
Content-addressed bytes: the ETag is the SHA-256 in the storage key; the URL itself is stable (the token), so
caches revalidate (``no-cache``) instead of keeping a copy that a re-stamp would replace.
"""

from __future__ import annotations


from starlette.requests import Request
from starlette.responses import Response
from starlette.convertors import Convertor, register_url_convertor
from starlette.routing import Route

from fediverse.services import remote_media
from fediverse.services.works import store_for
from fediverse.web.context import runtime_of
from fediverse.web.media import regular_file_stat, stored_file
from fediverse.web.panel.auth import viewer
from fediverse.web.ratelimit import client_key
from fediverse.web.responses import error

CACHE_CONTROL = "public, max-age=86400, no-cache"
PRIVATE_CACHE_CONTROL = "private, no-cache"  # a followers-only or direct note's file: for its addressee only
LIMIT_SCOPE = "remote_media_ip"


async def guard(request: Request) -> Response | None:
    """A 429 when this client address is over its budget for remote media, else None."""
    rt = runtime_of(request)
    wait = await rt.limiter.hit(LIMIT_SCOPE, client_key(request.scope),
                                rt.settings.spam.remote_media_per_minute_per_ip)
    if wait is None:
        return None
    response = error(429, f"too many requests; wait {wait} seconds")
    response.headers["Retry-After"] = str(wait)
    response.headers["Cache-Control"] = "no-store"
    return response


async def remote_file(request: Request) -> Response:
    refused = await guard(request)
    if refused is not None:
        return refused
    rt = runtime_of(request)
    name: str = request.path_params["name"]
    async with rt.sessions() as session:
        user = await viewer(request, session)
    found = await remote_media.find_for(rt, request.path_params["token"], user)
    if found is None:  # unknown, or the file of a note not addressed to whoever asks: the same 404
        return error(404, "no such media")
    row = await remote_media.ensure_cached(rt, found.media_id, name)  # a wrong name never causes a fetch
    if row is None or row.storage_key is None or not remote_media.name_fits(row, name):
        return error(404, "no such media")
    path = store_for(rt).open_remote(row.storage_key)
    info = regular_file_stat(path)
    if path is None or info is None:
        return error(404, "no such media")
    await remote_media.touch(rt, row)
    return stored_file(request, path, info, row.storage_key, CACHE_CONTROL if found.listed else PRIVATE_CACHE_CONTROL)


class MediaToken(Convertor[str]):
    """A RemoteMedia.token: never the 2-hex folder of a local key (`/media/<artist>/<ab>/<sha>.<ext>`)."""

    regex = "[A-Za-z0-9_-]{16,32}"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("media_token", MediaToken())

# Mount before web/media.py's `/media/{key:path}`.
routes = [Route("/media/remote/{token:media_token}/{name}", remote_file, methods=["GET", "HEAD"])]
