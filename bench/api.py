"""Client API benchmark: requests/s of the two calls a phone app makes most, through the real app, beside a bare
Starlette app answering the same bytes, measured in the same run.

    .venv/bin/python bench/api.py              # 1,000 followed + 1,000 other accounts, 50,000 statuses
    .venv/bin/python bench/api.py --quick      # 5,000 statuses, 10 rounds
    .venv/bin/python bench/api.py --postgres postgresql://postgres@127.0.0.1:5432/postgres   # a fresh database
    .venv/bin/python bench/api.py --path '/api/v1/timelines/public?limit=40'   # another GET in place of home

The artist (created with the real service) follows 1,000 remote accounts with statuses stored as in
timeline.py (`populate`: remote notes with an image each, boosts, every visibility), so her home timeline has
far more than 40 entries. Her app's token is issued by the OAuth service the token endpoint uses (scopes
`read write`). Requests go through httpx's ASGI transport into the app, as timeline.py and discovery.py do
(no sockets: the figure is the app's own cost, not the network's).

Timed, alternating, `--rounds` rounds (default 30) of `--requests` requests each (default 20), after a warm-up;
medians of the per-round requests/s:

  GET   `--path` (default /api/v1/timelines/home?limit=40) with the bearer token: the token check, the rate
        budget, the home query, every entity (accounts, media, counts, the viewer's favourites), JSON;
        beside a bare Starlette route answering the bytes of that same answer (what any server must at least
        do to hand them over). The page must hold 40 statuses.
  POST  /api/v1/statuses with a short text, no media (a plain note, stored and queued for federation; no job
        workers run here), beside a bare route answering the bytes of one such answer.

It prints requests/s and the ratio app / bare (issue 13's aim: >= 0.1 for the home timeline on PostgreSQL).
An endpoint this tree does not serve yet (404/405) is reported as missing and skipped.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Awaitable, Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
from starlette.applications import Starlette  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import Response  # noqa: E402
from starlette.routing import Route  # noqa: E402

from bench.timeline import DOMAIN, FOLLOWED, OTHERS, PASSWORD, bench_app, bench_parser, populate, sized  # noqa: E402
from fediverse.models import utcnow  # noqa: E402
from fediverse.services import oauth  # noqa: E402
from fediverse.services.accounts import create_user  # noqa: E402

HOME = "/api/v1/timelines/home?limit=40"
POST = "/api/v1/statuses"
REDIRECT = "urn:ietf:wg:oauth:2.0:oob"
Run = Callable[[], Awaitable[None]]


async def issue_token(rt: Any, account_id: int) -> str:
    async with rt.sessions() as session:
        app = (await oauth.register_app(session, "Bench app", None, [REDIRECT], ["read", "write"], utcnow())).app
        code = await oauth.issue_code(session, app, account_id, REDIRECT, ["read", "write"], None, utcnow())
        return (await oauth.trade_code(session, app, code, REDIRECT, None, utcnow())).token


def bare_app(body: bytes, content_type: str) -> Starlette:
    """The baseline: one route answering fixed bytes (any method), nothing else."""
    async def answer(request: Request) -> Response:
        await request.body()
        return Response(body, media_type=content_type)

    return Starlette(routes=[Route("/{path:path}", answer, methods=["GET", "POST"])])


async def per_second(rounds: int, requests: int, runs: dict[str, Run]) -> dict[str, tuple[float, float]]:
    """(median, best) requests/s of each, rounds alternating after one warm-up round."""
    for run in runs.values():
        for _ in range(requests):
            await run()
    rates: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            start = time.perf_counter()
            for _ in range(requests):
                await run()
            rates[name].append(requests / (time.perf_counter() - start))
    return {name: (statistics.median(values), max(values)) for name, values in rates.items()}


def report(label: str, result: dict[str, tuple[float, float]]) -> None:
    (app_rate, app_best), (bare_rate, bare_best) = result["app"], result["bare"]
    print(f"  {label}")
    print(f"    app   {app_rate:9.1f} req/s (best {app_best:9.1f})")
    print(f"    bare  {bare_rate:9.1f} req/s (best {bare_best:9.1f})")
    print(f"    ratio app / bare: {app_rate / bare_rate:.3f} (medians), {app_best / bare_best:.3f} (bests)")


async def measure_get(client: httpx.AsyncClient, headers: dict[str, str], path: str,
                      args: argparse.Namespace) -> None:
    first = await client.get(path, headers=headers)
    if first.status_code in (404, 405):
        print(f"  GET {path}: answered {first.status_code}, not served by this tree: skipped")
        return
    assert first.status_code == 200, first.text[:300]
    assert isinstance(first.json(), list) and len(first.json()) == 40, f"{len(first.json())} statuses, not 40"
    body, kind = first.content, first.headers["content-type"]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=bare_app(body, kind)),
                                 base_url=f"https://{DOMAIN}") as bare_client:
        async def app() -> None:
            response = await client.get(path, headers=headers)
            assert response.status_code == 200

        async def bare() -> None:
            response = await bare_client.get(path, headers=headers)
            assert len(response.content) == len(body)

        result = await per_second(args.rounds, args.requests, {"app": app, "bare": bare})
    report(f"GET {path} ({len(body):,} bytes, 40 statuses), {args.rounds} rounds x {args.requests}", result)


async def measure_post(client: httpx.AsyncClient, headers: dict[str, str], args: argparse.Namespace) -> None:
    counter = iter(range(10**9))
    first = await client.post(POST, headers=headers, data={"status": "Ink on paper, from the bench app"})
    if first.status_code in (404, 405):
        print(f"  POST {POST}: answered {first.status_code}, not served by this tree: skipped")
        return
    assert first.status_code == 200, first.text[:300]
    body, kind = first.content, first.headers["content-type"]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=bare_app(body, kind)),
                                 base_url=f"https://{DOMAIN}") as bare_client:
        async def app() -> None:
            response = await client.post(POST, headers=headers, data={"status": f"Sketch {next(counter)} #ink"})
            assert response.status_code == 200, response.text[:300]

        async def bare() -> None:
            response = await bare_client.post(POST, headers=headers, data={"status": f"Sketch {next(counter)} #ink"})
            assert len(response.content) == len(body)

        result = await per_second(args.rounds, args.requests, {"app": app, "bare": bare})
    report(f"POST {POST} (text only, {len(body):,} bytes answered), {args.rounds} rounds x {args.requests}", result)


async def main(args: argparse.Namespace) -> None:
    async with bench_app(args, "api") as asgi:
        rt = asgi.state.runtime
        async with rt.sessions() as session:
            user = await create_user(rt, session, "viewer", password=PASSWORD)
            await session.commit()
        print(f"{'PostgreSQL' if args.postgres else 'SQLite'}: {FOLLOWED:,} followed + {OTHERS:,} other accounts, "
              f"{args.statuses:,} statuses")
        start = time.perf_counter()
        await populate(rt, user.account_id, args.statuses)
        print(f"  populated in {time.perf_counter() - start:.0f} s")
        headers = {"Authorization": f"Bearer {await issue_token(rt, user.account_id)}"}
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=asgi), base_url=f"https://{DOMAIN}") as client:
            await measure_get(client, headers, args.path, args)
            if not args.no_post:
                await measure_post(client, headers, args)


def parse_args() -> argparse.Namespace:
    parser = bench_parser(50_000, 5_000)
    parser.add_argument("--requests", type=int, default=20, help="requests per round and variant (default 20)")
    parser.add_argument("--path", default=HOME, help=f"the GET measured (default {HOME})")
    parser.add_argument("--no-post", action="store_true", help="measure the GET only")
    return sized(parser.parse_args(), 50_000, 5_000)


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
