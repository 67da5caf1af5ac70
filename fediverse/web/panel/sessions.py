"""Signed session cookies for the panel (pure ASGI): HttpOnly, SameSite=Lax, Secure on https, idle expiry.

The cookie holds a small JSON dict signed with HMAC-SHA256 under a key derived from the instance secret:
`sid` (the session token, new on every login: its SHA-256 names the server-side row of
services.web_sessions, so deleting the row ends the session at once), `uid` (account id), `csrf`
(per-session token), `iat` (issued), `seen` (last use, refreshed at most once a minute), `pw` (a
fingerprint of the password hash, so a password set any other way also ends every session) and an
optional one-shot `flash` message.
Only panel paths write it; other paths may read it (never refreshed there), so a public page or a cached
remote file can show a signed-in artist what was addressed to them. Federation requests carry no cookie.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any, Callable

import orjson
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fediverse.config import Settings
from fediverse.services.web_sessions import IDLE, MAX_AGE, TOUCH_EVERY
from fediverse.web.panel.secret import derive_key, load_or_create_secret

# /oauth/authorize signs in and asks for consent with the panel's own session and CSRF token.
PANEL_PREFIXES = ("/login", "/logout", "/studio", "/admin", "/signup", "/home", "/bookmarks", "/oauth/authorize")
IDLE_SECONDS = int(IDLE.total_seconds())  # the cookie expires with its server-side row
MAX_AGE_SECONDS = int(MAX_AGE.total_seconds())
REFRESH_SECONDS = int(TOUCH_EVERY.total_seconds())  # `seen` is re-signed at most this often
MAX_COOKIE_CHARS = 3500
SCOPE_KEY = "fediverse.panel"


def is_panel_path(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in PANEL_PREFIXES)


class SessionCodec:
    def __init__(self, secret: bytes, *, idle_seconds: int = IDLE_SECONDS, max_age_seconds: int = MAX_AGE_SECONDS) -> None:
        self._key = derive_key(secret, "session-cookie")
        self._fingerprint_key = derive_key(secret, "password-fingerprint")
        self.idle_seconds = idle_seconds
        self.max_age_seconds = max_age_seconds

    def encode(self, data: dict[str, Any]) -> str:
        body = _b64(orjson.dumps(data))
        return f"{body}.{_b64(self._mac(body))}"

    def decode(self, value: str, now: float) -> dict[str, Any] | None:
        """The session dict, or None when the cookie is forged, malformed, idle too long or too old."""
        body, _, mac = value.partition(".")
        if not body or not mac or len(value) > MAX_COOKIE_CHARS:
            return None
        try:
            if not hmac.compare_digest(_unb64(mac), self._mac(body)):
                return None
            data = orjson.loads(_unb64(body))
        except (ValueError, orjson.JSONDecodeError):
            return None
        if not isinstance(data, dict):
            return None
        seen, issued = data.get("seen"), data.get("iat")
        if not isinstance(seen, (int, float)) or not isinstance(issued, (int, float)):
            return None
        if now - seen > self.idle_seconds or now - issued > self.max_age_seconds or seen > now + 300:
            return None
        return data

    def password_fingerprint(self, password_hash: str | None) -> str:
        return hmac.new(self._fingerprint_key, (password_hash or "").encode(), hashlib.sha256).hexdigest()[:32]

    def _mac(self, body: str) -> bytes:
        return hmac.new(self._key, body.encode("ascii"), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class PanelSessionMiddleware:
    """Puts the session dict in scope["session"] (so `request.session` works) on panel paths only."""

    def __init__(self, app: ASGIApp, settings: Settings, clock: Callable[[], float] = time.time) -> None:
        self.app = app
        secret = load_or_create_secret(settings.server.secret_key_file)
        self.codec = SessionCodec(secret)
        self.signup_key = derive_key(secret, "signup-form")  # signs the sign-up form's timestamp and challenge
        self.secure = settings.instance.scheme == "https"
        # The __Host- prefix makes browsers refuse the cookie unless Secure, host-only and Path=/.
        self.cookie_name = "__Host-session" if self.secure else "session"
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        now = self.clock()
        raw = HTTPConnection(scope).cookies.get(self.cookie_name, "")
        data = (self.codec.decode(raw, now) if raw else None) or {}
        if not is_panel_path(scope["path"]):
            if data:  # read-only elsewhere: a page or file shown only to the accounts a note addressed
                scope["session"] = data
                scope[SCOPE_KEY] = self
            await self.app(scope, receive, send)
            return
        before = orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
        scope["session"] = data
        scope[SCOPE_KEY] = self

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                session = scope["session"]
                changed = orjson.dumps(session, option=orjson.OPT_SORT_KEYS) != before
                headers = MutableHeaders(scope=message)
                if session and (changed or now - session.get("seen", 0) >= REFRESH_SECONDS):
                    session.setdefault("iat", int(now))
                    session["seen"] = int(now)
                    headers.append("Set-Cookie", self._cookie(self.codec.encode(session), self.codec.idle_seconds))
                elif not session and raw:
                    headers.append("Set-Cookie", self._cookie("", 0))
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def _cookie(self, value: str, max_age: int) -> str:
        parts = [f"{self.cookie_name}={value}", "Path=/", f"Max-Age={max_age}", "HttpOnly", "SameSite=Lax"]
        if self.secure:
            parts.append("Secure")
        return "; ".join(parts)


def panel_state(scope: Scope) -> PanelSessionMiddleware:
    state = scope.get(SCOPE_KEY)
    if state is None:
        raise RuntimeError("the panel session middleware is not installed (see fediverse.app)")
    return state
