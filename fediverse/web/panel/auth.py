"""Log in and out; who is logged in; the wrapper every studio view goes through."""

from __future__ import annotations

import hmac
import secrets
from functools import wraps
from typing import TYPE_CHECKING, Awaitable, Callable
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from fediverse.errors import Conflict, Invalid, NotFound, RemoteError
from fediverse.models import LocalUser
from fediverse.runtime import Runtime
from fediverse.services import web_sessions
from fediverse.services.accounts import AwaitingApproval, authenticate, login_name, may_log_in, signed_in
from fediverse.web.context import runtime_of
from fediverse.web.panel.forms import PanelError, read_form, text
from fediverse.web.panel.render import error_page, page, redirect
from fediverse.web.panel.sessions import panel_state
from fediverse.ratelimit import limit_key
from fediverse.web.ratelimit import client_address

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

MAX_NEXT = 2500  # room for an OAuth authorize address (client id, redirect URI, scopes, state, PKCE challenge)
WRONG_LOGIN = "Wrong username or password."
AWAITING_APPROVAL = ("Your sign-up is waiting for a moderator's approval. You can log in as soon as it is "
                     "approved; there is nothing else to do until then.")
ROLE_RANK = {"artist": 0, "moderator": 1, "admin": 2}
HOUR = 3600
StudioView = Callable[[Request, "AsyncSession", LocalUser], Awaitable[Response]]


def _signup_open(request: Request) -> bool:
    return runtime_of(request).settings.registrations.mode != "closed"


def safe_next(value: str | None, default: str = "/studio") -> str:
    """Only a path on this site: never //host, a scheme, a backslash trick or control characters."""
    if (not value or len(value) > MAX_NEXT or not value.startswith("/") or value.startswith(("//", "/\\"))
            or any(ord(c) < 32 or c == "\\" for c in value)):
        return default
    return value


async def session_user(request: Request, session: AsyncSession, *, with_unread: bool = False) -> LocalUser | None:
    """The logged-in user, re-checked on every request: the session row still there (not ended, idle or too
    old), the account still allowed in, and the password unchanged. ``with_unread``: the badge count comes in
    the same query, left in ``request.state.unread``."""
    uid, token = request.session.get("uid"), request.session.get("sid")
    if not isinstance(uid, int) or not isinstance(token, str):
        return None
    now = runtime_of(request).clock.now()  # idle and age limits count on the runtime's clock
    found = await signed_in(session, token, uid, now, with_unread=with_unread)
    row, user, unread = found if found is not None else (None, None, 0)
    fingerprint = panel_state(request.scope).codec.password_fingerprint(user.password_hash if user else None)
    if user is None or not may_log_in(user) or not hmac.compare_digest(fingerprint, str(request.session.get("pw", ""))):
        request.session.clear()
        return None
    request.state.unread = unread
    if row is not None:
        await web_sessions.keep_alive(session, row, now)  # writes at most once a minute per session
    return user


async def viewer(request: Request, session: AsyncSession) -> LocalUser | None:
    """Who is signed in, on any path (public pages and files read the session cookie, never write it)."""
    return await session_user(request, session) if "session" in request.scope else None


async def start_session(request: Request, session: AsyncSession, user: LocalUser) -> None:
    """A brand-new session (new token, new row, new CSRF token) on every login, so a planted cookie is worth
    nothing; the service commits the row (with what the login changed before it)."""
    token = await web_sessions.log_in(session, user.account_id, request.headers.get("user-agent", ""),
                                      client_address(request.scope), runtime_of(request).clock.now())
    request.session.clear()
    request.session.update({
        "sid": token, "uid": user.account_id, "csrf": secrets.token_urlsafe(32),
        "pw": panel_state(request.scope).codec.password_fingerprint(user.password_hash),
    })


async def login_wait(rt: Runtime, username: str, address: str) -> int | None:
    """Seconds to wait before another login attempt, or None. Counted per (account, address) pair and per
    address each minute, and per account over an hour: guesses from one place stop there without locking
    the artist out everywhere, and guesses spread over many addresses still meet the account's ceiling."""
    server = rt.settings.server
    where = limit_key(address)
    name = login_name(rt, username)
    checks = [("login_address", where, server.login_attempts_per_minute_per_address, 60)]
    if name:
        checks += [("login_pair", f"{name}|{where}", server.login_attempts_per_minute, 60),
                   ("login_account", name, server.login_attempts_per_hour_per_account, HOUR)]
    waits = [wait for scope, key, limit, window in checks
             if (wait := await rt.limiter.hit(scope, key, limit, window=window)) is not None]
    return max(waits) if waits else None


async def login(request: Request) -> Response:
    next_url = safe_next(request.query_params.get("next"))
    if request.method == "GET":
        async with runtime_of(request).sessions() as session:
            if await session_user(request, session) is not None:
                return RedirectResponse(next_url, status_code=303)
        return page(request, "panel/login.html", next=next_url, username="", signup_open=_signup_open(request))
    try:
        form = await read_form(request)
    except PanelError as exc:
        return page(request, "panel/login.html", status=exc.status, error=exc.message, next=next_url, username="")
    username = text(form, "username", limit=400).strip()
    password = text(form, "password", limit=1025)
    next_url = safe_next(text(form, "next", limit=MAX_NEXT + 1) or None)
    rt = runtime_of(request)
    wait = await login_wait(rt, username, client_address(request.scope))
    if wait is not None:
        return page(request, "panel/login.html", status=429, headers={"Retry-After": str(wait)},
                    error=f"Too many login attempts. Wait {wait} seconds, then try again.",
                    next=next_url, username=username)
    async with rt.sessions() as session:
        try:
            user = await authenticate(rt, session, username, password)
        except AwaitingApproval:
            return page(request, "panel/login.html", status=403, error=AWAITING_APPROVAL, next=next_url,
                        username=username, signup_open=_signup_open(request))
        if user is None:
            return page(request, "panel/login.html", status=401, error=WRONG_LOGIN, next=next_url, username=username)
        await start_session(request, session, user)  # commits a re-hashed password too, if argon2's changed
    return redirect(request, next_url)


async def logout(request: Request) -> Response:
    try:
        await read_form(request)
    except PanelError as exc:
        return error_page(request, exc.status, exc.message)
    token = request.session.get("sid")
    if isinstance(token, str):
        async with runtime_of(request).sessions() as session:
            await web_sessions.log_out(session, token)  # a copy of the cookie stops working too
    request.session.clear()
    return redirect(request, "/login", "You are logged out.")


def studio_view(view: StudioView) -> Callable[[Request], Awaitable[Response]]:
    """Log-in check (GET -> login page, POST -> 403), one database session, and no 500 for bad input."""

    @wraps(view)
    async def endpoint(request: Request) -> Response:
        async with runtime_of(request).sessions() as session:
            user = await session_user(request, session, with_unread=True)
            if user is None:
                if request.method in ("GET", "HEAD"):
                    return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
                return error_page(request, 403, "You are not logged in (or your session has expired). "
                                                "Log in and send the form again.")
            request.state.nav = {"username": user.account.username, "role": user.role,
                                 "staff": has_role(user, "moderator"), "admin": has_role(user, "admin"),
                                 "unread": request.state.unread}
            try:
                return await view(request, session, user)
            except PanelError as exc:
                await session.rollback()
                return error_page(request, exc.status, exc.message, headers=exc.headers)
            except NotFound as exc:
                await session.rollback()
                return error_page(request, 404, str(exc))
            except (Invalid, Conflict, RemoteError) as exc:
                await session.rollback()
                return error_page(request, 400, str(exc))

    return endpoint


def has_role(user: LocalUser, min_role: str) -> bool:
    """Role order artist < moderator < admin; an unknown role ranks below everything."""
    return ROLE_RANK.get(user.role, -1) >= ROLE_RANK[min_role]


def staff_view(min_role: str) -> Callable[[StudioView], Callable[[Request], Awaitable[Response]]]:
    """A studio view only staff of at least `min_role` may open: checked on the server for every request (403)."""
    if min_role not in ROLE_RANK:
        raise ValueError(f"unknown role {min_role!r}")

    def decorate(view: StudioView) -> Callable[[Request], Awaitable[Response]]:
        @wraps(view)
        async def checked(request: Request, session: AsyncSession, user: LocalUser) -> Response:
            if not has_role(user, min_role):
                return error_page(request, 403, f"Only {'admins' if min_role == 'admin' else 'moderators and admins'} "
                                                "may open this page.")
            return await view(request, session, user)

        return studio_view(checked)

    return decorate
