"""WebFinger, host-meta and NodeInfo (the client API's /api/v1/instance is in fediverse/api/public.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fediverse.activitypub.nodeinfo import render_discovery, render_nodeinfo
from fediverse.activitypub.webfinger import (
    parse_resource, render_host_meta_json, render_host_meta_xml, render_jrd, subscribe_template,
)
from fediverse.db import accounts as account_db
from fediverse.models import Account, utcnow
from fediverse.runtime import Runtime
from fediverse.services import instance_stats
from fediverse.web.context import runtime_of
from fediverse.web.responses import error, json_response

CORS = {"Access-Control-Allow-Origin": "*"}
MAX_RESOURCE = 2048


async def webfinger(request: Request) -> Response:
    rt = runtime_of(request)
    value = request.query_params.get("resource")
    if not value:
        return error(400, "the resource parameter is required")
    if len(value) > MAX_RESOURCE:
        return error(400, "resource is too long")
    try:
        resource = parse_resource(value)
    except ValueError as exc:
        return error(400, str(exc))
    async with rt.sessions() as session:
        account = await _account_for(rt, session, resource)
    if account is None:
        return json_response({"error": "no such account"}, status=404, headers=CORS)
    if account.suspended_at is not None:  # Mastodon reads 410 as "suspended and gone"
        return json_response({"error": "this account is suspended"}, status=410, headers=CORS)
    person = account.actor_type != "Application"
    jrd = render_jrd(account.username, rt.uris.domain, account.uri, account.url if person else None,
                     subscribe_template(rt.settings.base_url) if person else None)
    return json_response(jrd, media_type="application/jrd+json",
                         headers={**CORS, "Cache-Control": "max-age=259200, public"})


async def _account_for(rt: Runtime, session, resource) -> Account | None:  # type: ignore[no-untyped-def]
    if resource.url:
        url = resource.url.rstrip("/")
        if url == rt.settings.base_url:
            return await account_db.by_uri(session, rt.uris.instance_actor())
        account = await account_db.by_uri(session, url)
        if account is None and url.startswith(rt.settings.base_url + "/@"):
            account = await account_db.local_by_username(session, url.rsplit("/@", 1)[1])
        return account if account is not None and account.is_local else None
    if resource.domain != rt.uris.domain:
        return None
    return await account_db.local_by_username(session, resource.username or "")


async def host_meta(request: Request) -> Response:
    base = runtime_of(request).settings.base_url
    if "json" in request.headers.get("accept", "") or request.url.path.endswith(".json"):
        return json_response(render_host_meta_json(base), headers=CORS)
    return Response(render_host_meta_xml(base), media_type="application/xrd+xml", headers=CORS)


async def nodeinfo_links(request: Request) -> Response:
    return json_response(render_discovery(runtime_of(request).settings.base_url), headers=CORS)


async def nodeinfo(request: Request) -> Response:
    version = request.path_params["version"]
    if version not in ("2.0", "2.1"):
        return error(404, "NodeInfo 2.0 and 2.1 are served")
    rt = runtime_of(request)
    async with rt.sessions() as session:
        usage = await instance_stats.usage(session, utcnow())
    inst = rt.settings.instance
    doc = render_nodeinfo(version, usage, name=inst.name, description=inst.description,
                          open_registrations=rt.settings.registrations.mode != "closed")
    profile = f"http://nodeinfo.diaspora.software/ns/schema/{version}#"
    return json_response(doc, media_type=f'application/json; profile="{profile}"',
                         headers={**CORS, "Cache-Control": "max-age=1800"})


routes = [
    Route("/.well-known/webfinger", webfinger),
    Route("/.well-known/host-meta", host_meta),
    Route("/.well-known/host-meta.json", host_meta),
    Route("/.well-known/nodeinfo", nodeinfo_links),
    Route("/nodeinfo/{version}", nodeinfo),
]
