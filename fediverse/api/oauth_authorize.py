"""GET/POST /oauth/authorize: sign in with the studio's own login, then a consent page naming the app, its
website and every scope in words; Authorise -> 302 to the app's redirect URI with a code (or a page showing the
code for `urn:ietf:wg:oauth:2.0:oob`), Deny -> 302 with error=access_denied.

The request is checked the same way on GET and POST. A client id or redirect URI that does not match a
registered app is never redirected to (an error page instead); other errors go back to the app (RFC 6749
4.1.2.1). The consent form is a panel form: same-origin and CSRF checked (web/panel/forms.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping
from urllib.parse import quote, urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from fediverse.api import scopes as scope_rules
from fediverse.api.apps import OOB
from fediverse.api.oauth_input import truthy
from fediverse.models import OAuthApp
from fediverse.services import oauth, web_sessions
from fediverse.web.context import runtime_of
from fediverse.web.panel.auth import session_user
from fediverse.web.panel.forms import PanelError, read_form
from fediverse.web.panel.render import error_page, page
from fediverse.web.security_headers import CONTENT_SECURITY_POLICY

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

PKCE_CHALLENGE = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
FIELDS = ("client_id", "redirect_uri", "response_type", "scope", "state", "code_challenge", "code_challenge_method")


class Refused(Exception):
    """A request that cannot be sent back to the app: shown as an error page."""


@dataclass(frozen=True)
class Authorization:
    app: OAuthApp
    redirect_uri: str
    scopes: list[str]
    state: str | None
    code_challenge: str | None
    error: tuple[str, str] | None  # (OAuth error code, description) to send back to the app


def _get(params: Mapping[str, Any], name: str, limit: int = 2000) -> str:
    value = params.get(name)
    return value[:limit] if isinstance(value, str) else ""


async def check(session: AsyncSession, params: Mapping[str, Any]) -> Authorization:
    """The authorize request checked (same rules on GET and POST); Refused when it cannot go back to the app."""
    app = await oauth.app_by_client_id(session, _get(params, "client_id", 200))
    if app is None:
        raise Refused("The app asking for access is not registered here (unknown client_id).")
    registered = app.redirect_uri_list
    redirect_uri = _get(params, "redirect_uri") or (registered[0] if len(registered) == 1 else "")
    if redirect_uri not in registered:
        raise Refused("The app asked to send you back to an address it did not register (redirect_uri does not "
                      "match). Nothing was shared with it.")
    state = _get(params, "state", 1000) or None

    def back(code: str, description: str) -> Authorization:
        return Authorization(app, redirect_uri, [], state, None, (code, description))

    if _get(params, "response_type") != "code":
        return back("unsupported_response_type", "Only response_type=code is supported.")
    try:
        wanted = scope_rules.parse(_get(params, "scope") or None)
    except scope_rules.ScopeError as exc:
        return back("invalid_scope", f"{exc}.")
    if not scope_rules.subset(wanted, app.scopes.split()):
        return back("invalid_scope", "The requested scope is not among the scopes the app registered.")
    challenge = _get(params, "code_challenge", 200) or None
    if challenge is not None:
        if _get(params, "code_challenge_method") != "S256":
            return back("invalid_request", "Only code_challenge_method=S256 is supported.")
        if not PKCE_CHALLENGE.fullmatch(challenge):
            return back("invalid_request", "The code_challenge is malformed.")
    return Authorization(app, redirect_uri, wanted, state, challenge, None)


def with_query(uri: str, values: dict[str, str | None]) -> str:
    query = urlencode({k: v for k, v in values.items() if v is not None})
    return f"{uri}{'&' if '?' in uri else '?'}{query}"


def answer(request: Request, auth: Authorization, values: dict[str, str | None]) -> Response:
    """Back to the app: a 302 to its redirect URI, or for the out-of-band URI a page to copy from."""
    values = {**values, "state": auth.state}
    if auth.redirect_uri == OOB:
        if "code" in values:
            return page(request, "panel/oauth_code.html", app=auth.app, code=values["code"])
        return error_page(request, 400, values.get("error_description") or "Access was denied.")
    return RedirectResponse(with_query(auth.redirect_uri, values), status_code=302,
                            headers={"Cache-Control": "no-store"})


def form_action_csp(redirect_uri: str) -> str:
    """The consent page's CSP lets its form lead to the app's redirect URI (browsers check form-action on the
    redirect after the POST): the URI's origin for http(s), its scheme for an app's custom scheme."""
    parts = urlsplit(redirect_uri)
    if redirect_uri == OOB or not parts.scheme:
        return CONTENT_SECURITY_POLICY
    target = f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") else f"{parts.scheme}:"
    return CONTENT_SECURITY_POLICY.replace("form-action 'self'", f"form-action 'self' {target}")


async def authorize(request: Request) -> Response:
    if request.method == "POST":
        return await _decide(request)
    params = request.query_params
    async with runtime_of(request).sessions() as session:
        try:
            auth = await check(session, params)
        except Refused as exc:
            return error_page(request, 400, str(exc))
        if auth.error is not None:
            return answer(request, auth, {"error": auth.error[0], "error_description": auth.error[1]})
        user = await session_user(request, session)
        if user is not None and truthy(params.get("force_login")):
            # "Log in as someone else" (adding a second account in an app): end this session, ask again.
            token = request.session.get("sid")
            if isinstance(token, str):
                await web_sessions.log_out(session, token)
            request.session.clear()
            user = None
        if user is None:
            kept = [(k, v) for k, v in params.multi_items() if k != "force_login"]
            back = f"/oauth/authorize?{urlencode(kept)}"
            return RedirectResponse(f"/login?next={quote(back, safe='')}", status_code=303)
        fields = {name: params.get(name, "") for name in FIELDS}
        fields["scope"] = " ".join(auth.scopes)
        return page(request, "panel/oauth_authorize.html", app=auth.app, fields=fields, username=user.account.username,
                    scopes=[(scope, scope_rules.describe(scope)) for scope in auth.scopes],
                    redirect_host=urlsplit(auth.redirect_uri).netloc or auth.redirect_uri,
                    headers={"Content-Security-Policy": form_action_csp(auth.redirect_uri)})


async def _decide(request: Request) -> Response:
    try:
        form = await read_form(request)
    except PanelError as exc:
        return error_page(request, exc.status, exc.message)
    rt = runtime_of(request)
    async with rt.sessions() as session:
        try:
            auth = await check(session, form)
        except Refused as exc:
            return error_page(request, 400, str(exc))
        if auth.error is not None:
            return answer(request, auth, {"error": auth.error[0], "error_description": auth.error[1]})
        user = await session_user(request, session)
        if user is None:
            return error_page(request, 403, "You are not logged in (or your session has expired). Open the app "
                                            "and sign in again.")
        if form.get("decision") != "authorise":
            return answer(request, auth, {"error": "access_denied",
                                          "error_description": "The person denied the app access."})
        code = await oauth.issue_code(session, auth.app, user.account_id, auth.redirect_uri, auth.scopes,
                                      auth.code_challenge, rt.clock.now())
    return answer(request, auth, {"code": code})
