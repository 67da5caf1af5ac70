"""The client API's own request budget, told on every answer: `X-RateLimit-Limit`, `-Remaining` and `-Reset`.

Mastodon's rack-attack gives each access token 300 requests per 5 minutes (each address without a token the
same), and apps such as Ivory and Mastodon.py's `ratelimit_method="pace"` read the three headers to slow down
before they hit the wall, so the headers always come as a set, on errors too. Past the limit: 429 JSON
`{"error": "Too many requests"}` with the headers and Retry-After.

The count lives in the runtime's limiter (fediverse.ratelimit: memory, or Redis shared by every process) and
its windows are read from the runtime's clock, so tests control time. A token is counted by a hash of it (the
token itself is never a Redis key). A made-up token gets its own budget without a database lookup; the web
edge's per-address limit (web/ratelimit.py, inside this one) still bounds such a client. The limit is
`spam.api_requests_per_5_minutes`, read on every request.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fediverse.api.auth import bearer_token
from fediverse.api.entities import timestamp
from fediverse.ratelimit import Budget
from fediverse.web.ratelimit import client_key

SCOPE = "api"
WINDOW = 300  # seconds: Mastodon's 5 minutes
TOO_MANY = orjson.dumps({"error": "Too many requests"})
NAMES = (b"x-ratelimit-limit", b"x-ratelimit-remaining", b"x-ratelimit-reset")


def budget_key(scope: Scope) -> str:
    """Whose budget a request counts against: its token's (hashed), else its client address's."""
    token = bearer_token(HTTPConnection(scope))
    if token:
        return "token:" + hashlib.sha256(token.encode()).hexdigest()[:32]
    return client_key(scope)


def headers_of(budget: Budget) -> list[tuple[bytes, bytes]]:
    reset = timestamp(datetime.fromtimestamp(budget.reset_at, UTC))
    return [(NAMES[0], str(budget.limit).encode()), (NAMES[1], str(budget.remaining).encode()),
            (NAMES[2], reset.encode())]


class ApiRateLimitMiddleware:
    """Counts every HTTP request under /api/ (CORS preflights are answered outside, by api.cors, and not
    counted) and adds the headers to whatever answers it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        rt: Any = getattr(scope["app"].state, "runtime", None) if "app" in scope else None
        if scope["type"] != "http" or not scope["path"].startswith("/api/") or rt is None:
            await self.app(scope, receive, send)
            return
        budget = await rt.limiter.take(SCOPE, budget_key(scope), rt.settings.spam.api_requests_per_5_minutes,
                                       WINDOW)
        extra = headers_of(budget)
        if budget.wait is not None:
            await send({"type": "http.response.start", "status": 429, "headers": [
                (b"content-type", b"application/json"), (b"content-length", str(len(TOO_MANY)).encode()),
                (b"retry-after", str(budget.wait).encode()), (b"cache-control", b"no-store"), *extra]})
            await send({"type": "http.response.body", "body": TOO_MANY, "more_body": False})
            return

        async def send_with_budget(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in NAMES]
                message = {**message, "headers": [*kept, *extra]}
            await send(message)

        await self.app(scope, receive, send_with_budget)
