"""Fan-out benchmark: one artist, followers on N fake instances, signed deliveries per second end to end.

    .venv/bin/python bench/fanout.py                # 2,000 instances x 3 activities (about 1-2 minutes)
    .venv/bin/python bench/fanout.py --quick        # 300 instances x 2 activities (a few seconds)
    .venv/bin/python bench/fanout.py --workers 64   # override [jobs] embedded_workers (default: the instance's)
    .venv/bin/python bench/fanout.py --repeat 2     # interleaved passes, medians reported
    .venv/bin/python bench/fanout.py --postgres postgresql://postgres@127.0.0.1/postgres   # PostgreSQL instead of SQLite

Three senders deliver the same activities (about 2 KB each, a fresh RSA-2048 signature per request) to the
same N inboxes, each a distinct 127.0.0.1 port served by one separate fake-inbox process that checks every
signature with our verifier and answers 202 (see _loopback.py):

  (a) a minimal asyncio HTTP/1.1 client, signing in a 2-thread pool: the limit of this machine;
  (b) the same through one httpx.AsyncClient;
  ours: our real pipeline in an embedded-backend instance (SQLite in a temp dir, allow_private_addresses):
        publish -> fanout job -> delivery rows -> claiming -> signing -> sending -> recording done.
        The clock starts at the commit that publishes and stops at the last delivery row's finished_at.

Followers are inserted straight into the database (remote Account rows + accepted Follow rows).
Absolute figures drift +-10 % on this machine; the ratios are the result.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import _loopback as lb  # noqa: E402  (bench/ is on sys.path when run as a script)

import httpx  # noqa: E402
import orjson  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402

from fediverse.activitypub.signatures.cavage import sign_cavage  # noqa: E402
from fediverse.activitypub.signatures.keys import public_key_pem  # noqa: E402
from fediverse.app import create_app, shutdown, startup  # noqa: E402
from fediverse.config import Settings  # noqa: E402
from fediverse.federation.outbox import publish  # noqa: E402
from fediverse.jobs.kinds import Deliver, FanOut  # noqa: E402
from fediverse.models import ACCEPTED, DEAD, DONE, Account, Follow, Job, utcnow  # noqa: E402
from fediverse.services.accounts import create_user  # noqa: E402

AP_JSON = "application/activity+json"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
DOMAIN = "art.bench"


# --- set-up ---------------------------------------------------------------------------------------------

async def database_url(args: argparse.Namespace, folder: Path) -> tuple[str, str | None]:
    if not args.postgres:
        return f"sqlite+aiosqlite:///{folder / 'db.sqlite3'}", None
    import asyncpg
    from sqlalchemy.engine import make_url

    name = f"fvbench_{uuid.uuid4().hex[:10]}"
    admin = make_url(args.postgres)
    conn = await asyncpg.connect(host=admin.host or "127.0.0.1", port=admin.port or 5432, user=admin.username or "postgres",
                                 password=admin.password, database=admin.database or "postgres")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    url = admin.set(drivername="postgresql+asyncpg", database=name).render_as_string(hide_password=False)
    return url, name


async def drop_database(args: argparse.Namespace, name: str) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    admin = make_url(args.postgres)
    conn = await asyncpg.connect(host=admin.host or "127.0.0.1", port=admin.port or 5432, user=admin.username or "postgres",
                                 password=admin.password, database=admin.database or "postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def add_followers(rt: Any, artist_id: int, ports: list[int]) -> None:
    """One remote follower per fake instance, inserted directly (accounts + accepted follows)."""
    now = utcnow()
    accounts = []
    for i, port in enumerate(ports):
        host = f"{lb.HOST}:{port}"
        uri = f"http://{host}/users/f{i}"
        accounts.append({"uri": uri, "handle": f"f{i}@{host}", "username": f"f{i}", "domain": host,
                         "inbox_url": f"{uri}/inbox", "key_id": f"{uri}#main-key", "fetched_at": now})
    async with rt.sessions() as session:
        ids = list(await session.scalars(insert(Account).returning(Account.id), accounts))
        follows = [{"uri": f"{a['uri']}/follows/1", "follower_id": fid, "followee_id": artist_id,
                    "follower_inbox": a["inbox_url"], "state": ACCEPTED, "accepted_at": now}
                   for a, fid in zip(accounts, ids)]
        await session.execute(insert(Follow), follows)
        await session.commit()


def make_activity(actor: str, n: int) -> dict[str, Any]:
    """A Create(Note) of about 2 KB, like a post with a paragraph of text and a licence."""
    note = f"https://{DOMAIN}/users/artist/works/{n}"
    text = ("<p>New piece in the series: ink and watercolour on cotton paper, 30 x 40 cm. "
            "Made slowly over three weeks; the process notes and sketches are linked below. </p>") * 9
    return {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": f"{note}/activity", "type": "Create", "actor": actor,
        "published": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "to": [PUBLIC], "cc": [f"{actor}/followers"],
        "object": {"id": note, "type": "Note", "attributedTo": actor, "content": text, "to": [PUBLIC],
                   "cc": [f"{actor}/followers"], "url": note, "sensitive": False},
    }


# --- the three senders ------------------------------------------------------------------------------------

def targets(ports: list[int], rounds: int) -> list[tuple[int, int, str]]:
    return [(k, port, f"http://{lb.HOST}:{port}/users/f{i}/inbox") for k in range(rounds) for i, port in enumerate(ports)]


async def baseline_minimal(ports: list[int], bodies: list[bytes], key_id: str, key: Any, concurrency: int) -> float:
    """(a) minimal client: fresh signature per request in a 2-thread pool, raw HTTP/1.1, keep-alive per host."""
    loop = asyncio.get_running_loop()
    pool = ThreadPoolExecutor(2, thread_name_prefix="bench-sign")
    client = lb.MiniClient()
    work = iter(targets(ports, len(bodies)))
    failures: list[int] = []

    async def worker() -> None:
        for k, port, url in work:
            body = bodies[k]
            signed = await loop.run_in_executor(pool, sign_cavage, "POST", url, {"Content-Type": AP_JSON}, body, key_id, key)
            path = url.split(str(port), 1)[1]
            head = lb.request_head("POST", path, {**signed, "Content-Type": AP_JSON})
            status, _ = await client.request(port, head, body)
            if status != 202:
                failures.append(status)

    start, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    await client.aclose()
    pool.shutdown()
    if failures:
        raise RuntimeError(f"minimal client: {len(failures)} failures, e.g. HTTP {failures[0]}")
    count = len(ports) * len(bodies)
    return count / elapsed, cpu / count


async def baseline_httpx(ports: list[int], bodies: list[bytes], key_id: str, key: Any, concurrency: int) -> float:
    """(b) the same through one httpx.AsyncClient (pool sized to the concurrency)."""
    loop = asyncio.get_running_loop()
    pool = ThreadPoolExecutor(2, thread_name_prefix="bench-sign")
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    work = iter(targets(ports, len(bodies)))
    failures: list[int] = []
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def worker() -> None:
            for k, _port, url in work:
                body = bodies[k]
                signed = await loop.run_in_executor(pool, sign_cavage, "POST", url, {"Content-Type": AP_JSON}, body, key_id, key)
                response = await client.post(url, content=body, headers={**signed, "Content-Type": AP_JSON})
                if response.status_code != 202:
                    failures.append(response.status_code)

        start, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    pool.shutdown()
    if failures:
        raise RuntimeError(f"httpx client: {len(failures)} failures, e.g. HTTP {failures[0]}")
    count = len(ports) * len(bodies)
    return count / elapsed, cpu / count


async def ours(
    rt: Any, artist_id: int, actor: str, n_inboxes: int, rounds: int, serial: list[int], timeout: float
) -> tuple[float, float]:
    """Publish `rounds` activities to the followers and wait until every delivery row is done."""
    async with rt.sessions() as session:
        author = await session.get(Account, artist_id)
        for _ in range(rounds):
            serial[0] += 1
            await publish(session, author, make_activity(actor, serial[0]), followers=True)
        start_wall = utcnow()
        start, cpu = time.perf_counter(), time.process_time()
        await session.commit()
    expected = n_inboxes * rounds
    finished = (Job.kind == Deliver.kind) & Job.state.in_((DONE, DEAD)) & (Job.created_at >= start_wall)
    while True:
        await asyncio.sleep(0.1)
        async with rt.sessions() as session:
            done = await session.scalar(select(func.count()).select_from(Job).where(finished))
        if done >= expected:
            cpu = time.process_time() - cpu
            break
        if time.perf_counter() - start > timeout:
            raise RuntimeError(f"ours: only {done} of {expected} deliveries finished after {timeout:.0f}s")
    async with rt.sessions() as session:
        dead = await session.scalar(select(func.count()).select_from(Job).where(finished & (Job.state == DEAD)))
        last = await session.scalar(select(func.max(Job.finished_at)).where(finished))
        fanouts = await session.scalar(select(func.count()).select_from(Job).where(
            (Job.kind == FanOut.kind) & (Job.state != DONE) & (Job.created_at >= start_wall)))
    if dead or fanouts:
        raise RuntimeError(f"ours: {dead} deliveries gave up, {fanouts} fan-out jobs not done")
    return expected / (last - start_wall).total_seconds(), cpu / expected


async def profile_ours(path: str, rt: Any, *args: Any) -> None:
    """cProfile of the event-loop thread during one pass of ours (signing threads are not included)."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    rate, _cpu = await ours(rt, *args)
    profiler.disable()
    profiler.dump_stats(path)
    print(f"  ours {rate:,.0f}/s under cProfile; profile written to {path}")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


# --- main ----------------------------------------------------------------------------------------------------

async def main(args: argparse.Namespace) -> None:
    lb.raise_nofile()
    n, rounds = (300, 2) if args.quick else (args.inboxes, args.activities)
    folder = Path(tempfile.mkdtemp(prefix="fanout-bench-"))
    url, pg_name = await database_url(args, folder)
    jobs: dict[str, Any] = {"backend": "embedded"}
    if args.workers:
        jobs["embedded_workers"] = args.workers
    settings = Settings().replace(
        instance={"domain": DOMAIN, "scheme": "https", "name": "fan-out bench"},
        database={"url": url},
        media={"root": str(folder / "media")},
        federation={"allow_private_addresses": True},
        jobs=jobs,
    )
    app = create_app(settings)
    farm: lb.InboxFarm | None = None
    try:
        await startup(app)
        rt = app.state.runtime
        async with rt.sessions() as session:
            user = await create_user(rt, session, "artist")
            await session.commit()
            artist_id, actor = user.account_id, user.account.uri
        signer = rt.signer_for(user)
        farm = lb.InboxFarm(n, {signer.key_id: public_key_pem(signer.private_key)})
        ports = farm.start()
        await add_followers(rt, artist_id, ports)
        bodies = [orjson.dumps(make_activity(actor, 10_000 + k)) for k in range(rounds)]

        print(f"fan-out: {n} instances x {rounds} activities = {n * rounds} signed deliveries per sender; "
              f"body {len(bodies[0])} B; {'PostgreSQL' if pg_name else 'SQLite'}, embedded backend, "
              f"{settings.jobs.embedded_workers} workers; {lb.cpu_note()}")
        # Warm-up: one small pass of each, so imports, keys and first connections are not timed.
        await baseline_minimal(ports[:50], bodies[:1], signer.key_id, signer.private_key, args.concurrency)
        await baseline_httpx(ports[:50], bodies[:1], signer.key_id, signer.private_key, args.concurrency)
        serial = [0]
        await ours(rt, artist_id, actor, n, 1, serial, args.timeout)  # also warms every connection of ours
        before = await farm.stats()

        if args.profile:
            await profile_ours(args.profile, rt, artist_id, actor, n, rounds, serial, args.timeout)
            return
        results: dict[str, list[tuple[float, float]]] = {"a": [], "b": [], "ours": []}
        for rep in range(args.repeat):
            if args.only in (None, "a"):
                results["a"].append(await baseline_minimal(ports, bodies, signer.key_id, signer.private_key, args.concurrency))
            if args.only in (None, "ours"):
                results["ours"].append(await ours(rt, artist_id, actor, n, rounds, serial, args.timeout))
            if args.only in (None, "b"):
                results["b"].append(await baseline_httpx(ports, bodies, signer.key_id, signer.private_key, args.concurrency))
            if args.only:
                rate, cpu = results[args.only][-1]
                print(f"  {args.only}: {rate:,.0f} deliveries/s ({1000 * cpu:.2f} ms CPU each)", flush=True)
            elif args.repeat > 1:
                print(f"  pass {rep + 1}: (a) {results['a'][-1][0]:,.0f}/s  (b) {results['b'][-1][0]:,.0f}/s  "
                      f"ours {results['ours'][-1][0]:,.0f}/s", flush=True)
        if args.only:
            return
        after = await farm.stats()
        verified = after["ok"] - before["ok"]
        sent = 3 * args.repeat * n * rounds
        if verified != sent or after["bad"]:
            raise RuntimeError(f"the fake inboxes verified {verified} of {sent} requests; refused {after['bad']}: {after['errors']}")

        a, b, o = (lb.median(rate for rate, _ in results[k]) for k in ("a", "b", "ours"))
        ca, cb, co = (1000 * lb.median(cpu for _, cpu in results[k]) for k in ("a", "b", "ours"))
        print(f"  (a) minimal asyncio client, fresh RSA signature each   : {a:7,.0f} deliveries/s  "
              f"({ca:.2f} ms CPU each in this process)")
        print(f"  (b) one httpx.AsyncClient, same signing                : {b:7,.0f} deliveries/s  ({cb:.2f} ms)")
        print(f"  ours: publish -> fanout -> claim -> sign -> send -> done: {o:7,.0f} deliveries/s  ({co:.2f} ms)")
        print(f"  ours/(a) = {o / a:.2f}  (aim >= 0.6)    ours/(b) = {o / b:.2f}    "
              f"[all {verified} requests verified by the fake inboxes]")
    finally:
        if farm is not None:
            farm.stop()
        await shutdown(app)
        if pg_name:
            await drop_database(args, pg_name)
        shutil.rmtree(folder, ignore_errors=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="300 instances x 2 activities")
    parser.add_argument("--inboxes", type=int, default=2000, help="fake instances (default 2000)")
    parser.add_argument("--activities", type=int, default=3, help="activities published per pass (default 3)")
    parser.add_argument("--repeat", type=int, default=1, help="passes; medians are reported (default 1)")
    parser.add_argument("--concurrency", type=int, default=64, help="requests in flight for the baselines (default 64)")
    parser.add_argument("--workers", type=int, default=0, help="override [jobs] embedded_workers (default: the instance default)")
    parser.add_argument("--postgres", metavar="ADMIN_URL", help="use a fresh PostgreSQL database created through this URL")
    parser.add_argument("--only", choices=["a", "b", "ours"], help="run one sender only (for profiling; no ratios)")
    parser.add_argument("--profile", metavar="PATH", help="only run our pipeline, under cProfile, and write the profile")
    parser.add_argument("--timeout", type=float, default=150, help="give up on our pipeline after this many seconds")
    return parser.parse_args()


if __name__ == "__main__":
    lb.run(main(parse_args()))
