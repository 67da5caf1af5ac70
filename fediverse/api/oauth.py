"""POST /oauth/token, POST /oauth/revoke and /.well-known/oauth-authorization-server (RFC 6749, 7009, 8414).

Errors are OAuth JSON (`{error, error_description}`, 400, or 401 for client authentication). The client
authenticates by HTTP Basic (RFC 6749 2.3.1: form-urlencoded id and secret) or by `client_id` and
`client_secret` in the body. Tokens never expire and there are no refresh tokens (Tusky #1955).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import unquote_plus

from starlette.requests import Request
from starlette.responses import Response

from fediverse.api import scopes as scope_rules
from fediverse.api.oauth_input import BadRequest, read_params, string
from fediverse.models import OAuthApp
from fediverse.services import oauth
from fediverse.services.oauth import Issued, OAuthError
from fediverse.web.context import runtime_of
from fediverse.web.responses import json_response

GRANT_TYPES = ["authorization_code", "client_credentials"]
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def oauth_error(exc: OAuthError, *, basic: bool = False) -> Response:
    headers = dict(NO_STORE)
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="oauth"' if basic else 'Bearer realm="oauth"'
    return json_response({"error": exc.code, "error_description": exc.description}, status=exc.status, headers=headers)


def client_credentials_of(request: Request, params: dict[str, Any]) -> tuple[str, str, bool]:
    """(client_id, client_secret, sent by Basic); Basic wins when both are sent."""
    kind, _, value = request.headers.get("authorization", "").partition(" ")
    if kind.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise OAuthError("invalid_client", "The Basic authorization header could not be read.", 401) from None
        client_id, sep, secret = decoded.partition(":")
        if not sep:
            raise OAuthError("invalid_client", "The Basic authorization header could not be read.", 401)
        return unquote_plus(client_id), unquote_plus(secret), True
    return string(params, "client_id", limit=200), string(params, "client_secret", limit=200), False


def _requested_scopes(params: dict[str, Any], app: OAuthApp) -> list[str]:
    raw = params.get("scope", params.get("scopes"))
    try:
        wanted = scope_rules.parse(raw if isinstance(raw, (str, list)) else None)
    except scope_rules.ScopeError as exc:
        raise OAuthError("invalid_scope", f"{exc}.") from None
    if not scope_rules.subset(wanted, app.scopes.split()):
        raise OAuthError("invalid_scope", "The requested scope is not among the scopes the app registered.")
    return wanted


def token_answer(issued: Issued) -> Response:
    row = issued.row
    return json_response({"access_token": issued.token, "token_type": "Bearer", "scope": row.scopes,
                          "created_at": int(row.created_at.timestamp())}, headers=NO_STORE)


async def token(request: Request) -> Response:
    basic = False
    try:
        params = await read_params(request)
    except BadRequest as exc:
        return oauth_error(OAuthError("invalid_request", f"{exc}."))
    rt = runtime_of(request)
    try:
        client_id, secret, basic = client_credentials_of(request, params)
        grant_type = string(params, "grant_type", limit=100)
        if grant_type not in GRANT_TYPES:
            raise OAuthError("unsupported_grant_type" if grant_type else "invalid_request",
                             f"grant_type must be one of {', '.join(GRANT_TYPES)}.")
        async with rt.sessions() as session:
            app = await oauth.authenticate_client(session, client_id, secret)
            now = rt.clock.now()
            if grant_type == "client_credentials":
                issued = await oauth.app_token(session, app, _requested_scopes(params, app), now)
            else:
                code = string(params, "code", limit=200)
                if not code:
                    raise OAuthError("invalid_request", "The code parameter is missing.")
                verifier = string(params, "code_verifier", limit=200) or None
                issued = await oauth.trade_code(session, app, code, string(params, "redirect_uri"), verifier, now)
    except OAuthError as exc:
        return oauth_error(exc, basic=basic)
    return token_answer(issued)


async def revoke(request: Request) -> Response:
    basic = False
    try:
        params = await read_params(request)
        client_id, secret, basic = client_credentials_of(request, params)
        rt = runtime_of(request)
        async with rt.sessions() as session:
            app = await oauth.authenticate_client(session, client_id, secret)
            token = string(params, "token", limit=200)
            if not token:
                raise OAuthError("invalid_request", "The token parameter is missing.")
            await oauth.revoke(session, app, token)
    except BadRequest as exc:
        return oauth_error(OAuthError("invalid_request", f"{exc}."))
    except OAuthError as exc:
        return oauth_error(exc, basic=basic)
    return json_response({}, headers=NO_STORE)


async def server_metadata(request: Request) -> Response:
    """RFC 8414 metadata: Phanpy uses PKCE only when it sees S256 here; Mastodon.py reads the endpoints."""
    base = runtime_of(request).settings.base_url
    return json_response({
        "issuer": f"{base}/",
        "service_documentation": "https://docs.joinmastodon.org/",
        "authorization_endpoint": f"{base}/oauth/authorize",
        "token_endpoint": f"{base}/oauth/token",
        "revocation_endpoint": f"{base}/oauth/revoke",
        "app_registration_endpoint": f"{base}/api/v1/apps",
        "scopes_supported": list(scope_rules.ALL),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": GRANT_TYPES,
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    }, headers={"Cache-Control": "max-age=300"})
