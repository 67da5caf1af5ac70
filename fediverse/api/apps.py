"""POST /api/v1/apps (anyone registers a client) and GET /api/v1/apps/verify_credentials."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from fediverse.api import scopes as scope_rules
from fediverse.api.auth import api_view
from fediverse.api.oauth_input import BadRequest, read_params, string
from fediverse.models import OAuthApp
from fediverse.services import oauth
from fediverse.services.oauth import Grant
from fediverse.web.context import runtime_of
from fediverse.web.responses import error, json_response

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

OOB = "urn:ietf:wg:oauth:2.0:oob"
MAX_NAME = 200
MAX_URI = 2000
MAX_URIS = 10
# Schemes a browser would run or read locally instead of handing to an app: never a redirect target.
FORBIDDEN_SCHEMES = {"javascript", "data", "vbscript", "file", "about", "blob"}


class ValidationFailed(ValueError):
    pass


def redirect_uris_from(value: Any) -> list[str]:
    """Space/newline separated string or array -> the list; each an absolute URI without a fragment (custom
    schemes such as `icecubesapp://` and `com.tapbots.Ivory.N:/request_token/…` included) or the oob URN."""
    items = value.split() if isinstance(value, str) else value if isinstance(value, list) else None
    if not items or not all(isinstance(item, str) for item in items):
        raise ValidationFailed("Validation failed: Redirect URI must be given")
    uris = list(dict.fromkeys(items))
    if len(uris) > MAX_URIS:
        raise ValidationFailed(f"Validation failed: at most {MAX_URIS} redirect URIs")
    for uri in uris:
        if uri == OOB:
            continue
        parts = urlsplit(uri)
        bad = (len(uri) > MAX_URI or not parts.scheme or parts.fragment or "#" in uri
               or parts.scheme.lower() in FORBIDDEN_SCHEMES or any(ord(c) < 33 for c in uri)
               or (parts.scheme.lower() in ("http", "https") and not parts.netloc))
        if bad:
            raise ValidationFailed(f"Validation failed: Redirect URI {uri[:200]!r} must be an absolute URI")
    return uris


def app_entity(app: OAuthApp, *, client_secret: str | None = None) -> dict[str, Any]:
    """Mastodon's Application (with the credentials when just registered)."""
    uris = app.redirect_uri_list
    doc: dict[str, Any] = {
        "id": str(app.id), "name": app.name, "website": app.website, "scopes": app.scopes.split(),
        "redirect_uri": "\n".join(uris), "redirect_uris": uris,
        "vapid_key": "",  # a string for decoders (Mastodon.py: str); no Web Push here yet
    }
    if client_secret is not None:
        doc.update({"client_id": app.client_id, "client_secret": client_secret, "client_secret_expires_at": 0})
    return doc


async def create_app(request: Request) -> Response:
    try:
        params = await read_params(request)
    except BadRequest as exc:
        return error(400, str(exc))
    name = string(params, "client_name", limit=10_000).strip()
    if not name:
        return error(422, "Validation failed: Application name can't be blank")
    if len(name) > MAX_NAME:
        return error(422, f"Validation failed: Application name is too long (at most {MAX_NAME} characters)")
    website = string(params, "website", limit=10_000).strip() or None
    if website is not None:
        parts = urlsplit(website)
        if len(website) > MAX_URI or parts.scheme not in ("http", "https") or not parts.netloc:
            return error(422, "Validation failed: Website must be an http(s) address")
    try:
        uris = redirect_uris_from(params.get("redirect_uris", params.get("redirect_uri")))
        raw_scopes = params.get("scopes")
        wanted = scope_rules.parse(raw_scopes if isinstance(raw_scopes, (str, list)) else None)
    except (ValidationFailed, scope_rules.ScopeError) as exc:
        message = str(exc)
        return error(422, message if message.startswith("Validation") else f"Validation failed: {message}")
    rt = runtime_of(request)
    async with rt.sessions() as session:
        registered = await oauth.register_app(session, name, website, uris, wanted, rt.clock.now())
    return json_response(app_entity(registered.app, client_secret=registered.client_secret),
                         headers={"Cache-Control": "no-store"})


@api_view(user=False)
async def verify_app(request: Request, session: AsyncSession, grant: Grant | None) -> Response:
    assert grant is not None
    return json_response(app_entity(grant.app))
