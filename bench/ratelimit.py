"""What the web rate limit costs per request: the same app with and without RateLimitMiddleware, same process.

    .venv/bin/python bench/ratelimit.py            # 5 alternating rounds x 20,000 requests
    .venv/bin/python bench/ratelimit.py --quick    # 3 x 5,000
    .venv/bin/python bench/ratelimit.py --redis redis://127.0.0.1:6379/15   # also the Redis-backed limiter

The app is a bare Starlette route answering 1.5 KB of bytes (the "cached GET" of performance.md, the cheapest
request we serve, so the overhead shows at its largest). Requests are driven through the ASGI callable directly
(no sockets), so the figure is the middleware's own CPU cost; every request counts against the limit of one
client address (high enough never to refuse). Prints µs per request for each and the ratio with / without.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from starlette.applications import Starlette  # noqa: E402
from starlette.middleware import Middleware  # noqa: E402
from starlette.responses import Response  # noqa: E402
from starlette.routing import Route  # noqa: E402

from fediverse.config import Settings  # noqa: E402
from fediverse.ratelimit import Limiter, MemoryLimiter, RedisLimiter  # noqa: E402
from fediverse.web.ratelimit import RateLimitMiddleware  # noqa: E402

BODY = b"x" * 1536


def build(limiter: Limiter | None) -> Starlette:
    async def page(request: Any) -> Response:
        return Response(BODY, media_type="application/activity+json")

    middleware = [Middleware(RateLimitMiddleware, by="ip")] if limiter is not None else []
    app = Starlette(routes=[Route("/users/alice", page)], middleware=middleware)
    settings = Settings().replace(spam={"requests_per_minute_per_ip": 10**12})
    app.state.runtime = SimpleNamespace(limiter=limiter, settings=settings)
    return app


async def run(app: Starlette, requests: int) -> float:
    """Seconds per request."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": "/users/alice", "raw_path": b"/users/alice", "query_string": b"", "root_path": "",
             "headers": [(b"host", b"bench.test"), (b"accept", b"application/activity+json")],
             "client": ("127.0.0.1", 40000), "server": ("bench.test", 80)}
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    started = time.perf_counter()
    for _ in range(requests):
        await app(dict(scope), receive, send)
    elapsed = time.perf_counter() - started
    if set(statuses) != {200}:
        raise RuntimeError(f"unexpected answers: {set(statuses)}")
    return elapsed / requests


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--redis", default="", help="also measure the Redis-backed limiter at this URL")
    args = parser.parse_args()
    rounds, requests = (3, 5000) if args.quick else (5, 20000)
    variants: dict[str, Limiter | None] = {"without": None, "memory": MemoryLimiter()}
    if args.redis:
        variants["redis"] = RedisLimiter(args.redis, f"bench:{uuid.uuid4().hex}")
    apps = {name: build(limiter) for name, limiter in variants.items()}
    for app in apps.values():  # warm-up
        await run(app, 500)
    results: dict[str, list[float]] = {name: [] for name in apps}
    for _ in range(rounds):  # alternate, so drift of the machine hits every variant alike
        for name, app in apps.items():
            results[name].append(await run(app, requests // (10 if name == "redis" else 1)))
    base = statistics.median(results["without"])
    print(f"rate limit middleware, {rounds} rounds x {requests} requests, in-process ASGI calls")
    for name, times in results.items():
        median = statistics.median(times)
        print(f"  {name:8s} {median * 1e6:8.1f} µs/request   ratio to without: {median / base:5.2f}")
    for limiter in variants.values():
        if limiter is not None:
            await limiter.aclose()


if __name__ == "__main__":
    asyncio.run(main())
