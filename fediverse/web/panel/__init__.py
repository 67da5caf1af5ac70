"""The artist's panel: sign up, log in and out, and the studio (works, profile, notifications). Server-rendered forms.

Mount with `routes` and `middleware(settings)` (see fediverse.app). Security, in one place:
- sessions.py: signed cookie (HttpOnly, SameSite=Lax, Secure + __Host- on https) carrying a session token whose
  row (services.web_sessions) logout, password change, suspension and security.py's "end session" delete;
- forms.py: every POST passes an Origin check, a size cap before parsing, and a per-session CSRF token;
- auth.py: argon2 via services.accounts.authenticate, the same answer for unknown users, login limits per
  (account, client address) and per address each minute, and per account each hour (429).
"""

from __future__ import annotations

from pathlib import Path

from starlette.middleware import Middleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from fediverse.config import Settings
from fediverse.web.panel import admin, auth, home, notifications, profile, report, security, signup, studio
from fediverse.web.panel.sessions import PanelSessionMiddleware

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

routes = [
    Route("/login", auth.login, methods=["GET", "POST"]),
    Route("/logout", auth.logout, methods=["POST"]),
    Route("/signup", signup.signup, methods=["GET", "POST"]),
    Route("/invite/{code}", signup.invite_link),
    Route("/studio", studio.studio_home),
    Route("/studio/new", studio.new_work, methods=["GET", "POST"]),
    Route("/studio/works/{public_id}/edit", studio.edit_work_view, methods=["GET", "POST"]),
    Route("/studio/works/{public_id}/delete", studio.delete_work_view, methods=["GET", "POST"]),
    Route("/studio/works/{public_id}/pin", studio.pin_work, methods=["POST"]),
    Route("/studio/works/{public_id}/move", studio.move_work, methods=["POST"]),
    Route("/studio/profile", profile.profile, methods=["GET", "POST"]),
    Route("/studio/notifications", notifications.notifications_page),
    Route("/studio/follow-requests/{follow_id:int}/{action}", notifications.answer_request, methods=["POST"]),
    Route("/studio/boosts/{note_id:int}/{action}", notifications.boost_note, methods=["POST"]),
    Route("/home", home.home_page),
    Route("/home/statuses/{status_id:int}/{action}", home.act, methods=["POST"]),
    Route("/bookmarks", home.bookmarks_page),
    Route("/studio/report", report.report_form, methods=["GET", "POST"]),
    Route("/studio/security", security.security_page),
    Route("/studio/security/password", security.password_view, methods=["POST"]),
    Route("/studio/security/sessions/end-others", security.end_others_view, methods=["POST"]),
    Route("/studio/security/sessions/{session_id:int}/end", security.end_session_view, methods=["POST"]),
    *admin.routes,
    Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
]


def middleware(settings: Settings) -> list[Middleware]:
    return [Middleware(PanelSessionMiddleware, settings=settings)]
