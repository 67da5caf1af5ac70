"""Remote accounts and remote interaction on the web.

- ``/@user@domain``: a remote profile (services/remote_accounts.py). Visitors see accounts we already hold and
  their public posts; signed-in artists may make us look an account up, see what they may see, and follow.
- ``/authorize_interaction?uri=``: where other servers send their users (our WebFinger subscribe template);
  signed-out visitors go to the login page and come back.
- ``/@name/follow``: a visitor on a portfolio gives their handle; we ask their server for its subscribe template
  and send them there, remembering their server in a cookie (HttpOnly, SameSite=Lax, no secret in it).
- ``/studio/follow`` and ``/studio/unfollow``: the POSTs of the Follow/Unfollow buttons (CSRF-checked panel forms).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from fediverse.db import accounts as account_db
from fediverse.errors import Invalid, NotFound, RemoteError
from fediverse.models import ACCEPTED, LocalUser
from fediverse.services import remote_accounts
from fediverse.web.consent import ROBOTS_ADD
from fediverse.web.context import runtime_of
from fediverse.web.pages import page_error
from fediverse.web.panel.auth import safe_next, studio_view, viewer
from fediverse.web.panel.forms import csrf_token, read_form, text
from fediverse.web.panel.render import redirect
from fediverse.web.remote_html import remote_html
from fediverse.web.security_headers import CONTENT_SECURITY_POLICY
from fediverse.web.templating import render_page

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from fediverse.runtime import Runtime

SERVER_COOKIE = "remote_server"
SERVER_COOKIE_AGE = 365 * 24 * 3600
_SERVER_RE = re.compile(r"^[a-z0-9.-]{1,253}(:[0-9]{1,5})?$")


def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def _post_view(post: remote_accounts.Post, local_media: dict[str, str]) -> dict[str, Any]:
    """A post for the template: HTML sanitised again; images as our cached copies, or links to the originals."""
    return {"url": post.url, "html": remote_html(post.content_html), "summary": post.summary,
            "sensitive": post.sensitive, "published": post.published,
            "media": [{"url": url, "alt": alt, "local": local_media.get(url)} for url, alt in post.media]}


async def remote_profile(request: Request) -> Response:
    """`/@user@domain`."""
    rt = runtime_of(request)
    username, domain = request.path_params["username"], request.path_params["domain"]
    if domain.lower() == rt.uris.domain:  # one of ours: the portfolio
        return RedirectResponse(rt.uris.profile(username.lower()), status_code=301)
    async with rt.sessions() as session:
        user = await viewer(request, session)
    try:
        profile = await remote_accounts.remote_profile(rt, username, domain, user)
    except NotFound:
        return page_error(request, 404, "No such account",
                          "Log in to look up accounts on other servers." if user is None else "")
    except (RemoteError, Invalid) as exc:
        return page_error(request, 502 if isinstance(exc, RemoteError) else 400, "Could not find that account",
                          str(exc)[:300])
    account = profile.account
    response = render_page(
        request, "remote_profile.html", account=account, handle=f"@{account.username}@{account.domain}",
        display=account.display_name or account.username, summary_html=remote_html(account.summary),
        fields=[(str(f.get("name", ""))[:255], remote_html(str(f.get("value", ""))[:2000]))
                for f in (account.fields or []) if isinstance(f, dict)],
        avatar=profile.local_media.get(account.icon_url or ""), header=profile.local_media.get(account.image_url or ""),
        posts=[_post_view(p, profile.local_media) for p in profile.posts], from_outbox=profile.from_outbox,
        outbox_error=profile.outbox_error, counts=profile.counts, signed_in=user is not None,
        following=profile.follow, accepted=profile.follow is not None and profile.follow.state == ACCEPTED,
        csrf=csrf_token(request) if user is not None else "", here=request.url.path,
    )
    response.headers[ROBOTS_ADD] = ", ".join(profile.robots)  # noindex (their home is elsewhere), their refusals
    return _private(response)


async def authorize_interaction(request: Request) -> Response:
    """`/authorize_interaction?uri=`: follow an account, or see a post and follow its author."""
    rt = runtime_of(request)
    uri = request.query_params.get("uri", "")
    async with rt.sessions() as session:
        user = await viewer(request, session)
        if user is None:
            back = "/authorize_interaction?uri=" + quote(uri[:remote_accounts.MAX_URI], safe="")
            return RedirectResponse("/login?next=" + quote(safe_next(back, "/"), safe=""), status_code=303)
        try:
            found = await remote_accounts.resolve_interaction(rt, session, user, uri)
        except (Invalid, NotFound) as exc:
            return _private(page_error(request, 400 if isinstance(exc, Invalid) else 404,
                                       "Nothing to interact with", str(exc)[:300]))
        except RemoteError as exc:
            return _private(page_error(request, 502, "Could not fetch that", str(exc)[:300]))
    account = found.account
    handle = f"@{account.username}@{account.domain or rt.uris.domain}"
    profile_url = rt.uris.profile(account.username) if account.is_local else f"/@{account.username}@{account.domain}"
    return _private(render_page(
        request, "authorize_interaction.html", account=account, handle=handle, profile_url=profile_url,
        display=account.display_name or account.username, following=found.following,
        is_self=account.id == user.account_id, post_url=found.post_url,
        post_html=remote_html(found.post_html) if found.post_html else None, post_summary=found.post_summary,
        local_work=found.local_work, csrf=csrf_token(request), here=request.url.path + "?" + request.url.query,
    ))


def _visitor_follow_csp(rt: Runtime) -> str:
    """The handle form posts here and is answered by a 303 to the visitor's own server, which browsers check
    against form-action too (Chromium blocks it under 'self'): that page lets forms lead to https servers (and
    http ones where this instance itself federates over plain http on private addresses: tests, development)."""
    targets = "'self' https: http:" if rt.settings.federation.allow_private_addresses else "'self' https:"
    return CONTENT_SECURITY_POLICY.replace("form-action 'self'", f"form-action {targets}")


async def visitor_follow(request: Request) -> Response:
    """`/@name/follow`: GET the small form; POST a handle -> 303 to their server's subscribe template."""
    rt = runtime_of(request)
    async with rt.sessions() as session:
        artist = await account_db.local_by_username(session, request.path_params["username"])
    if artist is None or artist.actor_type == "Application" or artist.suspended_at is not None:
        return page_error(request, 404, "No such artist")
    remembered = request.cookies.get(SERVER_COOKIE, "")
    remembered = remembered if _SERVER_RE.match(remembered) else ""
    handle, error, status = "", "", 200
    if request.method == "POST":
        form = await request.form(max_fields=5, max_files=0)
        raw = form.get("handle")
        handle = raw.strip()[:320] if isinstance(raw, str) else ""
        try:
            url, server = await remote_accounts.remote_follow_url(rt, handle, artist.uri)
        except Invalid as exc:
            error, status = str(exc), 400
        except RemoteError as exc:
            error, status = str(exc), 502
        else:
            response = RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})
            secure = rt.settings.instance.scheme == "https"
            response.set_cookie(SERVER_COOKIE, server, max_age=SERVER_COOKIE_AGE, httponly=True, samesite="lax",
                                secure=secure, path="/")
            return response
    elif remembered:
        handle = f"@{remembered}"
    response = render_page(
        request, "remote_follow.html", status=status, artist=artist, display=artist.display_name or artist.username,
        artist_handle=f"@{artist.username}@{rt.uris.domain}", handle=handle, error=error,
        remembered=remembered, profile_url=rt.uris.profile(artist.username),
    )
    response.headers["Content-Security-Policy"] = _visitor_follow_csp(rt)
    return _private(response)


@studio_view
async def follow_view(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    form = await read_form(request)
    target = text(form, "account", limit=remote_accounts.MAX_URI)
    edge = await remote_accounts.follow_account(runtime_of(request), session, user, target)  # commits
    message = "Follow request sent." if edge.state != ACCEPTED else "You follow them now."
    return redirect(request, safe_next(text(form, "next", limit=600) or None, "/studio"), message)


@studio_view
async def unfollow_view(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    form = await read_form(request)
    await remote_accounts.unfollow_account(runtime_of(request), session, user,
                                           text(form, "account", limit=remote_accounts.MAX_URI))  # commits
    return redirect(request, safe_next(text(form, "next", limit=600) or None, "/studio"), "Unfollowed.")


# Mounted first: `/@user@domain` would otherwise reach the local profile route, `/@name/follow` the work page.
routes = [
    Route("/@{username}@{domain}", remote_profile),
    Route("/@{username}/follow", visitor_follow, methods=["GET", "POST"]),
    Route("/authorize_interaction", authorize_interaction),
    Route("/studio/follow", follow_view, methods=["POST"]),
    Route("/studio/unfollow", unfollow_view, methods=["POST"]),
]
