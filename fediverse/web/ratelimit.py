"""Per-client-address and per-account request limits for pages and the API (pure ASGI): 429 + Retry-After.

Two placements of the same middleware (see fediverse.app):
- `by="ip"` sits outside the response cache, so every request of a client counts, cached ones too;
- `by="account"` sits inside the panel session middleware, where the signed session says who is logged in.

The client address is the ASGI scope's. `fediverse serve` runs uvicorn with proxy_headers, which replaces it
with X-Forwarded-For only when the connection comes from an address in uvicorn's `forwarded_allow_ips`
(127.0.0.1 unless FORWARDED_ALLOW_IPS says otherwise): a header sent by anyone else is never trusted.

Exempt: static assets and media files (a gallery page loads dozens), health checks, and inbox POSTs, which
have their own per-address, per-domain and per-actor limits (fediverse.inbox.limits). Limits are read from rt.settings on
every request, so the admin panel changes them live.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from fediverse.ratelimit import limit_key

EXEMPT_PREFIXES = ("/static/", "/media/", "/health", "/favicon.ico")
IP_SCOPE = "web_ip"
ACCOUNT_SCOPE = "web_account"


def exempt(scope: Scope) -> bool:
    path: str = scope["path"]
    return path.startswith(EXEMPT_PREFIXES) or (scope["method"] == "POST" and path.endswith("/inbox"))


def client_address(scope: Scope) -> str:
    """The peer address as the server sees it: `fediverse serve` runs uvicorn with proxy headers, which takes
    X-Forwarded-For only from proxies in FORWARDED_ALLOW_IPS (default 127.0.0.1); the app never reads it."""
    client = scope.get("client")
    return client[0] if client else "unknown"


def client_key(scope: Scope) -> str:
    """The rate-limit budget of the client: its address, or its /64 for IPv6 (fediverse.ratelimit.limit_key)."""
    return limit_key(client_address(scope))


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, by: str = "ip") -> None:
        if by not in ("ip", "account"):
            raise ValueError(f"rate limit by {by!r}: must be 'ip' or 'account'")
        self.app = app
        self.by = by
        self.requests = 0  # every HTTP request seen (by="ip"), for /metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.by == "ip":
            self.requests += 1
            if self.requests == 1 and "app" in scope:
                scope["app"].state.rate_limit_ip = self  # so /metrics can read the count
        if exempt(scope):
            await self.app(scope, receive, send)
            return
        rt: Any = getattr(scope["app"].state, "runtime", None) if "app" in scope else None
        limiter = rt.limiter if rt is not None else None
        if limiter is None:
            await self.app(scope, receive, send)
            return
        if self.by == "ip":
            wait = await limiter.hit(IP_SCOPE, client_key(scope), rt.settings.spam.requests_per_minute_per_ip)
        else:
            session = scope.get("session")
            uid = session.get("uid") if isinstance(session, dict) else None
            if not isinstance(uid, int):
                await self.app(scope, receive, send)
                return
            wait = await limiter.hit(ACCOUNT_SCOPE, str(uid), rt.settings.spam.requests_per_minute_per_account)
        if wait is None:
            await self.app(scope, receive, send)
            return
        await too_many(scope, send, wait)


async def too_many(scope: Scope, send: Send, wait: int) -> None:
    """A short answer in the client's language: JSON for the client API and OAuth, HTML for browsers, plain text
    for everything else."""
    html = any(name == b"accept" and b"text/html" in value for name, value in scope["headers"])
    sentence = f"Too many requests. Wait {wait} seconds, then try again."
    if scope["path"].startswith(("/api/", "/oauth/token", "/oauth/revoke")):
        body = orjson.dumps({"error": sentence})
        content_type = b"application/json"
    elif html:
        body = (f'<!doctype html><html lang="en"><meta charset="utf-8"><title>Too many requests</title>'
                f"<h1>Too many requests</h1><p>{sentence}</p></html>").encode()
        content_type = b"text/html; charset=utf-8"
    else:
        body = (sentence + "\n").encode()
        content_type = b"text/plain; charset=utf-8"
    await send({"type": "http.response.start", "status": 429, "headers": [
        (b"content-type", content_type), (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(wait).encode()), (b"cache-control", b"no-store")]})
    await send({"type": "http.response.body", "body": body, "more_body": False})
