"""Browser hardening headers on every response, public pages and panel alike (pure ASGI): one policy.

Content-Security-Policy (no scripts but our own files where a page opts in with OWN_SCRIPTS_CSP: the
sign-up page's proof of work, the work page's viewer; no framing, no plugins, forms post only here), X-Frame-Options for old browsers, X-Content-Type-Options: nosniff and a same-origin
Referrer-Policy (Mastodon's). A response that sets its own value keeps it: media files send a stricter
sandbox CSP (web/media.py) and the sign-up page allows its proof-of-work script (panel/signup.py).
Installed outermost (see fediverse.app), so cached answers, 429s and error pages carry the headers too.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: https:; style-src 'self' 'unsafe-inline'; script-src 'none'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
# A page that runs a script of its own (the sign-up puzzle, the studio upload) sends this instead: the same
# policy, with scripts allowed from this site's own files only (never inline, never another origin).
OWN_SCRIPTS_CSP = CONTENT_SECURITY_POLICY.replace("script-src 'none'", "script-src 'self'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if name not in headers:
                        headers.append(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
