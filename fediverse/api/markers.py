"""``GET``/``POST /api/v1/markers``: where the caller stopped reading her home and notifications timelines
(services/markers.py), so her other apps open there. ``GET ?timeline[]=home&timeline[]=notifications`` answers
the saved ones keyed by timeline; ``POST`` takes ``home[last_read_id]`` and ``notifications[last_read_id]`` as a
form or JSON (``{"home": {"last_read_id": "…"}}``, as Mastodon.py sends)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fediverse.api import entities, signed_in
from fediverse.api.params import BadRequest, id_param
from fediverse.api.params import routes as both_routes
from fediverse.api.public import _json
from fediverse.models import MARKER_TIMELINES, LocalUser, Marker
from fediverse.runtime import Runtime
from fediverse.services import markers


def _entity(marker: Marker) -> dict[str, Any]:
    return {"last_read_id": str(marker.last_read_id), "version": marker.version,
            "updated_at": entities.timestamp(marker.updated_at)}


@signed_in.view("read:statuses")
async def get_markers(request: Request, rt: Runtime, session: Any, user: LocalUser) -> Response:
    wanted = [*request.query_params.getlist("timeline[]"), *request.query_params.getlist("timeline")]
    found = await markers.markers_of(session, user.account_id, wanted)
    return _json({m.timeline: _entity(m) for m in found})


async def _positions(request: Request) -> dict[str, int]:
    """timeline -> last read id, from a JSON body or a form (``home[last_read_id]``)."""
    raw: dict[str, Any] = {}
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = await request.json()
        except ValueError:
            raise BadRequest("The body is not JSON") from None
        if isinstance(body, dict):
            raw = {t: v.get("last_read_id") for t, v in body.items() if isinstance(v, dict)}
    else:
        form = await request.form()
        raw = {t: form.get(f"{t}[last_read_id]") for t in MARKER_TIMELINES if f"{t}[last_read_id]" in form}
    positions = {}
    for timeline, value in raw.items():
        if timeline in MARKER_TIMELINES:
            last = id_param(value, f"{timeline}[last_read_id]")
            if last is None:
                raise BadRequest(f"{timeline}[last_read_id] is required")
            positions[timeline] = last
    if not positions:
        raise BadRequest("Give home[last_read_id] or notifications[last_read_id]")
    return positions


@signed_in.view("write:statuses")
async def save_markers(request: Request, rt: Runtime, session: Any, user: LocalUser) -> Response:
    saved = await markers.save_markers(session, user.account_id, await _positions(request), rt.clock.now())
    return _json({m.timeline: _entity(m) for m in saved})


def routes() -> list[Route]:
    return [*both_routes("/api/v1/markers", get_markers), *both_routes("/api/v1/markers", save_markers, ["POST"])]
