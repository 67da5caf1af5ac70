"""The site-level consent files and policy documents: /robots.txt, /.well-known/tdmrep.json, /ai.txt, and the
TDM policies (ODRL) of the instance and of each artist.

The files are generated from every artist's record (services/consent.py) and kept in the consent middleware's
store (web/consent.py) under the tag "site", so any commit that changes an account drops them.
"""

from __future__ import annotations

from typing import Any, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fediverse.runtime import Runtime
from fediverse.services import consent as consent_service
from fediverse.web.consent import STORE_KEY, ConsentStore
from fediverse.web.context import runtime_of
from fediverse.web.responses import error, json_response

SITE_FILE_MAX_AGE = 60  # browsers and crawlers may keep robots.txt & co. this long: changes show within a minute


async def _site_file(request: Request, name: str, build: Callable[[Runtime, list[Any]], str]) -> str:
    rt = runtime_of(request)

    async def compute() -> tuple[str, tuple[str, ...]]:
        async with rt.sessions() as session:
            rules = await consent_service.path_rules(session, rt.settings, rt.uris)
        return build(rt, rules), ("site",)

    store: ConsentStore | None = request.scope.get(STORE_KEY)
    if store is None:
        return (await compute())[0]
    return await store.get_or_compute(("site", name), compute)


def _text(body: str, media_type: str = "text/plain; charset=utf-8") -> Response:
    return Response(body, media_type=media_type, headers={
        "Cache-Control": f"public, max-age={SITE_FILE_MAX_AGE}", "Access-Control-Allow-Origin": "*",
        "X-Content-Type-Options": "nosniff"})


async def robots_txt(request: Request) -> Response:
    return _text(await _site_file(request, "robots.txt",
                                  lambda rt, rules: consent_service.site_robots_txt(rt.settings, rules)))


async def tdmrep_json(request: Request) -> Response:
    body = await _site_file(request, "tdmrep.json",
                            lambda rt, rules: consent_service.site_tdmrep_json(rt.settings, rt.uris, rules))
    return _text(body, "application/json")


async def ai_txt(request: Request) -> Response:
    return _text(await _site_file(request, "ai.txt", lambda rt, rules: consent_service.site_ai_txt(rt.settings, rules)))


def _policy_response(doc: dict[str, Any]) -> Response:
    return json_response(doc, media_type="application/ld+json", headers={
        "Cache-Control": f"public, max-age={SITE_FILE_MAX_AGE}", "Access-Control-Allow-Origin": "*"})


async def instance_policy(request: Request) -> Response:
    rt = runtime_of(request)
    return _policy_response(consent_service.instance_policy(rt.settings, rt.uris))


async def artist_policy(request: Request) -> Response:
    rt = runtime_of(request)
    async with rt.sessions() as session:
        account = await consent_service.serving_account(session, request.path_params["username"])
    if account is None:
        return error(404, "no such artist")
    return _policy_response(consent_service.artist_policy(rt.settings, rt.uris, account))


routes = [
    Route("/robots.txt", robots_txt),
    Route("/.well-known/tdmrep.json", tdmrep_json),
    Route("/ai.txt", ai_txt),
    Route("/policies/tdm", instance_policy),
    Route("/policies/tdm/{username}", artist_policy),
]
