"""Refuse requests with absurd headers (431) before any route reads them (pure ASGI, every route).

The numbers follow the servers in front of most fediverse instances: nginx refuses a header line longer than
its large_client_header_buffers (8 KiB) and Mastodon's puma a header block past ~112 KiB; real fediverse
requests carry ~10 headers and < 2 KiB (a Signature header is < 1 KiB; a Cookie well under 4 KiB). Here: at
most MAX_HEADERS header lines, MAX_HEADER_BYTES for one (name + value), MAX_TOTAL_BYTES for all of them. The
signature code reads dozens of headers, the inbox joins repeated ones: unbounded, each is a cheap way to make
us burn CPU and memory per request.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send

MAX_HEADERS = 100
MAX_HEADER_BYTES = 8 * 1024
MAX_TOTAL_BYTES = 16 * 1024


def header_problem(headers: list[tuple[bytes, bytes]]) -> str | None:
    """Why these headers are refused, or None when they are within the limits."""
    if len(headers) > MAX_HEADERS:
        return f"more than {MAX_HEADERS} header fields"
    total = 0
    for name, value in headers:
        size = len(name) + len(value)
        if size > MAX_HEADER_BYTES:
            return f"a header field ({name[:40].decode('latin-1')}) is larger than {MAX_HEADER_BYTES} bytes"
        total += size
    if total > MAX_TOTAL_BYTES:
        return f"header fields larger than {MAX_TOTAL_BYTES} bytes in total"
    return None


class HeaderLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (problem := header_problem(scope["headers"])) is not None:
            body = json.dumps({"error": f"request header fields too large: {problem}"}).encode()
            await send({"type": "http.response.start", "status": 431, "headers": [
                (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"), (b"connection", b"close")]})
            await send({"type": "http.response.body", "body": body, "more_body": False})
            return
        await self.app(scope, receive, send)
