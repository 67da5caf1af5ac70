"""Home timeline benchmark: one page of 40 items for an artist following 1,000 accounts, beside the bare SQL
query that reads the same 40 posts, measured in the same run.

    .venv/bin/python bench/timeline.py              # 1,000 followed + 1,000 other accounts, 1,000,000 statuses
    .venv/bin/python bench/timeline.py --quick      # 50,000 statuses (seconds)
    .venv/bin/python bench/timeline.py --statuses 200000
    .venv/bin/python bench/timeline.py --postgres postgresql://postgres@127.0.0.1:5432/postgres   # a fresh database

The artist (created with the real service) follows 1,000 remote accounts; 1,000 more post too (noise the
query must skip). Statuses are stored remote notes (a short paragraph, one image attachment in ``raw``) spread
evenly over the 2,000 authors, a twentieth of them boosts of an earlier status; visibilities 85 % public,
8 % unlisted, 5 % followers-only, 2 % direct (a third of those addressed to the artist). Rows are inserted
straight into the database (Core inserts), the instance is ours (`create_app`, migrations, no job workers).

Timed, alternating, medians of `--rounds` (default 30) after a warm-up:

  bare SQL  the 40 posts of the page read by id with one plain SELECT (status, note, author), rows fetched:
            what any timeline must at least do once it knows the ids;
  ids       services.timelines.home_ids: the home query itself (follows, visibility, suspensions), 40 ids;
  service   services.timelines.home: ids + everything the page shows (works, notes, authors, boosters,
            counts, the viewer's likes, boosts and bookmarks, cached media), as typed items;
  page      GET /home through the ASGI app, signed in: session check, badge count, service, template.

for the first page and for a page deep in the timeline (max_id at the middle of the ids). It prints
milliseconds and each figure as a ratio to the bare SQL (aim: page <= 3x).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Awaitable, Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
from sqlalchemy import insert, select, text  # noqa: E402

from fediverse.app import create_app, shutdown, startup  # noqa: E402
from fediverse.config import Settings  # noqa: E402
from fediverse.models import ACCEPTED, Account, Follow, RemoteNote, Status, StatusAudience  # noqa: E402
from fediverse.services import timelines  # noqa: E402
from fediverse.services.accounts import create_user  # noqa: E402
from fediverse.snowflake import lowest_id_at  # noqa: E402

DOMAIN = "art.bench"
PASSWORD = "correct horse battery"
FOLLOWED = 1000
OTHERS = 1000
BATCH = 5000
T0 = datetime(2026, 1, 1, tzinfo=UTC)
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


# --- set-up -------------------------------------------------------------------------------------------------

async def database_url(args: argparse.Namespace, folder: Path) -> tuple[str, str | None]:
    if not args.postgres:
        return f"sqlite+aiosqlite:///{folder / 'db.sqlite3'}", None
    import asyncpg
    from sqlalchemy.engine import make_url

    name = f"fvbench_{uuid.uuid4().hex[:10]}"
    admin = make_url(args.postgres)
    conn = await asyncpg.connect(host=admin.host or "127.0.0.1", port=admin.port or 5432,
                                 user=admin.username or "postgres", password=admin.password,
                                 database=admin.database or "postgres")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return admin.set(drivername="postgresql+asyncpg", database=name).render_as_string(hide_password=False), name


async def drop_database(args: argparse.Namespace, name: str) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    admin = make_url(args.postgres)
    conn = await asyncpg.connect(host=admin.host or "127.0.0.1", port=admin.port or 5432,
                                 user=admin.username or "postgres", password=admin.password,
                                 database=admin.database or "postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def note_raw(uri: str, author: str, n: int) -> dict[str, Any]:
    return {"id": uri, "type": "Note", "attributedTo": author, "content": f"<p>Post {n}</p>",
            "attachment": [{"type": "Document", "mediaType": "image/jpeg", "name": f"Sketch {n}",
                            "url": f"https://r{n % 50}.bench/media/{n}.jpg"}]}


async def populate(rt: Any, viewer_id: int, statuses: int) -> None:
    """Remote accounts, the viewer's follows, and `statuses` notes and boosts, in batches."""
    rng = random.Random(7)
    async with rt.sessions() as session:
        rows = [{"uri": f"https://r{i % 50}.bench/users/u{i}", "handle": f"u{i}@r{i % 50}.bench", "username": f"u{i}",
                 "domain": f"r{i % 50}.bench", "inbox_url": f"https://r{i % 50}.bench/users/u{i}/inbox",
                 "display_name": f"Painter {i}"} for i in range(FOLLOWED + OTHERS)]
        authors = list(await session.scalars(insert(Account).returning(Account.id), rows))
        uris = {aid: row["uri"] for aid, row in zip(authors, rows)}
        await session.execute(insert(Follow), [
            {"uri": f"https://{DOMAIN}/follows/{i}", "follower_id": viewer_id, "followee_id": aid,
             "follower_inbox": rows[i]["inbox_url"], "state": ACCEPTED} for i, aid in enumerate(authors[:FOLLOWED])])
        await session.commit()
    made: list[int] = []
    step = 0
    while step < statuses:
        count = min(BATCH, statuses - step)
        notes, status_rows, audience = [], [], []
        picks = []
        for k in range(step, step + count):
            author = authors[k % len(authors)]
            when = T0 + timedelta(seconds=k)
            sid = lowest_id_at(when) + 1
            roll = rng.random()
            if made and roll < 0.05:
                boosted = made[rng.randrange(max(0, len(made) - 5000), len(made))]
                status_rows.append({"id": sid, "account_id": author, "reblog_of_id": boosted,
                                    "uri": f"{uris[author]}/statuses/{k}/activity", "visibility": "public",
                                    "created_at": when})
                continue
            visibility = "public" if roll < 0.85 else "unlisted" if roll < 0.93 else "private" if roll < 0.98 \
                else "direct"
            uri = f"{uris[author]}/statuses/{k}"
            notes.append({"uri": uri, "account_id": author, "content_html": f"<p>Post {k}: ink on paper.</p>",
                          "published_at": when, "raw": note_raw(uri, uris[author], k), "visibility": visibility})
            picks.append((sid, author, visibility, when))
            if visibility == "direct" and rng.random() < 0.33:
                audience.append({"status_id": sid, "account_id": viewer_id})
        async with rt.sessions() as session:
            note_ids = list(await session.scalars(insert(RemoteNote).returning(RemoteNote.id), notes)) if notes else []
            status_rows = [{"id": sid, "account_id": author, "remote_note_id": nid, "visibility": vis,
                            "created_at": when} for (sid, author, vis, when), nid in zip(picks, note_ids)] \
                + status_rows
            status_rows.sort(key=lambda r: r["id"])
            await session.execute(insert(Status), status_rows)
            if audience:
                await session.execute(insert(StatusAudience), audience)
            await session.commit()
        made.extend(sid for sid, *_ in picks)
        step += count
        print(f"\r  stored {step:,} / {statuses:,} statuses", end="", flush=True)
    print()
    async with rt.engine.connect() as conn:
        await conn.execute(text("ANALYZE"))
        await conn.commit()


# --- the measured things --------------------------------------------------------------------------------------

BARE = """SELECT s.id, s.visibility, s.created_at, n.content_html, n.raw, a.handle, a.display_name
FROM statuses s LEFT JOIN statuses b ON b.id = s.reblog_of_id
JOIN remote_notes n ON n.id = COALESCE(b.remote_note_id, s.remote_note_id)
JOIN accounts a ON a.id = n.account_id WHERE s.id IN ({ids})"""


async def timed(rounds: int, runs: dict[str, Callable[[], Awaitable[Any]]]) -> dict[str, tuple[float, float]]:
    """(median, minimum) milliseconds of each, rounds alternating (one warm-up first). The minimum is printed
    beside the median because the machine is shared: under load the median drifts, the best round less."""
    for run in runs.values():
        await run()
    spent: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            start = time.perf_counter()
            await run()
            spent[name].append((time.perf_counter() - start) * 1000)
    return {name: (statistics.median(values), min(values)) for name, values in spent.items()}


def report(label: str, rounds: int, result: dict[str, tuple[float, float]]) -> None:
    """Milliseconds and ratios to the bare SQL measured in the same run (medians, then minimums)."""
    base, best = result["bare SQL"]
    print(f"  {label}, {rounds} rounds:           median                   minimum")
    for name, (ms, low) in result.items():
        print(f"    {name:9} {ms:8.2f} ms   {ms / base:5.2f} x bare SQL   {low:8.2f} ms   {low / best:5.2f} x")


async def measure(rt: Any, client: httpx.AsyncClient, viewer_id: int, max_id: int | None,
                  rounds: int) -> dict[str, tuple[float, float]]:
    async with rt.sessions() as session:
        viewer = await session.get(Account, viewer_id)
        first = await timelines.home(session, viewer, max_id)
    ids = [item.entry_id for item in first.items]
    assert len(ids) == timelines.PAGE_SIZE, f"only {len(ids)} items on the page"
    bare_sql = text(BARE.format(ids=", ".join(str(i) for i in ids)))
    path = "/home" + (f"?max_id={max_id}" if max_id is not None else "")

    async def bare() -> None:
        async with rt.engine.connect() as conn:
            rows = (await conn.execute(bare_sql)).all()
        assert len(rows) == len(ids)

    async def only_ids() -> None:
        async with rt.sessions() as session:
            await timelines.home_ids(session, await session.get(Account, viewer_id), max_id)

    async def service() -> None:
        async with rt.sessions() as session:
            await timelines.home(session, await session.get(Account, viewer_id), max_id)

    async def page() -> None:
        response = await client.get(path)
        assert response.status_code == 200 and response.text.count('class="post"') == len(ids)

    return await timed(rounds, {"bare SQL": bare, "ids": only_ids, "service": service, "page": page})


async def show_queries(rt: Any, client: httpx.AsyncClient) -> None:
    """The SQL statements one GET /home sends (first line of each), to spot N+1 loading."""
    from sqlalchemy import event

    seen: list[str] = []

    def log(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        seen.append(" ".join(statement.split())[:150])

    await client.get("/home")
    event.listen(rt.engine.sync_engine, "before_cursor_execute", log)
    await client.get("/home")
    event.remove(rt.engine.sync_engine, "before_cursor_execute", log)
    print(f"  {len(seen)} statements for one GET /home:")
    for line in seen:
        print("   ", line)


async def profile_page(client: httpx.AsyncClient, out: str, count: int = 200) -> None:
    """``--profile``: GET /home ``count`` times under cProfile (the event loop thread), stats written to ``out``."""
    import cProfile
    import pstats

    await client.get("/home")
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(count):
        await client.get("/home")
    profiler.disable()
    profiler.dump_stats(out)
    pstats.Stats(out).sort_stats("cumulative").print_stats(40)


@asynccontextmanager
async def bench_app(args: argparse.Namespace, name: str) -> AsyncIterator[Any]:
    """A fresh instance of ours (SQLite in a temporary folder, or a new PostgreSQL database), migrated, no job
    workers, rate limits out of the way; removed again afterwards."""
    folder = Path(tempfile.mkdtemp(prefix=f"fvbench-{name}-"))
    url, created = await database_url(args, folder)
    sections = {
        "instance": {"domain": DOMAIN, "scheme": "https", "name": "Bench"},
        "database": {"url": url}, "media": {"root": str(folder / "media")},
        "server": {"secret_key_file": str(folder / "secret.key")},
        "spam": {"requests_per_minute_per_ip": 10**9, "requests_per_minute_per_account": 10**9,
                 "api_requests_per_5_minutes": 10**9},
    }
    app = create_app(Settings().replace(**sections), run_jobs=False)
    await startup(app)
    try:
        yield app
    finally:
        await shutdown(app)
        if created:
            await drop_database(args, created)
        shutil.rmtree(folder, ignore_errors=True)


def bench_parser(default: int, quick: int) -> argparse.ArgumentParser:
    """The options every benchmark here takes: size, rounds, PostgreSQL."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=f"{quick:,} statuses, 10 rounds")
    parser.add_argument("--statuses", type=int, default=None, help=f"statuses stored (default {default:,})")
    parser.add_argument("--rounds", type=int, default=None, help="timed rounds (default 30)")
    parser.add_argument("--postgres", default="", help="an admin URL; a fresh database is made and dropped")
    return parser


def sized(args: argparse.Namespace, default: int, quick: int) -> argparse.Namespace:
    args.statuses = args.statuses or (quick if args.quick else default)
    args.rounds = args.rounds or (10 if args.quick else 30)
    return args


async def main(args: argparse.Namespace) -> None:
    async with bench_app(args, "timeline") as app:
        rt = app.state.runtime
        async with rt.sessions() as session:
            user = await create_user(rt, session, "viewer", password=PASSWORD)
            await session.commit()
        print(f"{'PostgreSQL' if args.postgres else 'SQLite'}: {FOLLOWED:,} followed + {OTHERS:,} other accounts, "
              f"{args.statuses:,} statuses")
        start = time.perf_counter()
        await populate(rt, user.account_id, args.statuses)
        print(f"  populated in {time.perf_counter() - start:.0f} s")
        async with rt.sessions() as session:
            middle = await session.scalar(select(Status.id).order_by(Status.id).offset(args.statuses // 2).limit(1))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=f"https://{DOMAIN}") as client:
            login = await client.get("/login")
            token = login.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            done = await client.post("/login", data={"csrf_token": token, "username": "viewer",
                                                     "password": PASSWORD})
            assert done.status_code == 303, done.text[:300]
            if args.profile:
                await show_queries(rt, client)
                await profile_page(client, args.profile)
                return
            for label, max_id in (("first page", None), ("deep page (max_id at the middle)", middle)):
                report(f"{label}, 40 items", args.rounds, await measure(rt, client, user.account_id, max_id, args.rounds))


def parse_args() -> argparse.Namespace:
    parser = bench_parser(1_000_000, 50_000)
    parser.add_argument("--profile", default="", help="only profile GET /home (cProfile), stats to this file")
    return sized(parser.parse_args(), 1_000_000, 50_000)


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
