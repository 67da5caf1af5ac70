"""Inbox benchmark: verified and stored inbox POSTs per second through our real app, against a bare endpoint.

    .venv/bin/python bench/inbox.py            # 4,000 POSTs per pass, 2 passes each (about 1-2 minutes)
    .venv/bin/python bench/inbox.py --quick    # 1,000 POSTs, 1 pass
    .venv/bin/python bench/inbox.py --jobs     # our server also runs its embedded job workers (all-in-one serve)

Two servers, each its own uvicorn process (uvloop + httptools, one worker, no access log), on 127.0.0.1:
  baseline: a bare Starlette endpoint that reads the body, parses it with orjson, verifies the signature with
            the same code (read_signature + verify_request, key object cached in a dict), checks signer == actor
            and inserts the activity with plain sqlite3 (WAL, synchronous=NORMAL, INSERT OR IGNORE, commit);
  ours:     create_app(settings) on SQLite in a temp dir, POST /inbox (the shared inbox). The signer is a known
            remote actor whose key is already cached (Account row fetched just now). By default the server does
            not run job workers (the web process of a split deployment; stored activities wait in the queue);
            --jobs runs the embedded backend in the same process, as plain `fediverse serve` does.
Servers run on CPU 0 and the load generator on CPU 1 (`taskset`, when there are two CPUs).
A separate load-generator process pre-signs every request (distinct activity ids, fresh RSA signatures; a
realistic ~1.6 KB Create(Note)) before the clock starts, then keeps --concurrency kept-alive connections
busy. Every request must answer 202 and every activity must be in the database afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import _loopback as lb  # noqa: E402  (bench/ is on sys.path when run as a script)

AP_JSON = "application/activity+json"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
REMOTE = "https://remote.bench"  # never contacted: its actor and key are already in our database
ACTOR = f"{REMOTE}/users/bob"
KEY_ID = f"{ACTOR}#main-key"


# --- the activities and the load generator (separate process) -------------------------------------------------

def make_activity(tag: str, n: int) -> bytes:
    import orjson

    note = f"{REMOTE}/users/bob/statuses/{tag}-{n}"
    return orjson.dumps({
        "@context": ["https://www.w3.org/ns/activitystreams", {"sensitive": "as:sensitive"}],
        "id": f"{note}/activity", "type": "Create", "actor": ACTOR,
        "published": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "to": [PUBLIC], "cc": [f"{ACTOR}/followers"],
        "object": {"id": note, "type": "Note", "attributedTo": ACTOR, "inReplyTo": None,
                   "content": "<p>" + "Lovely piece, the colours in the lower half are wonderful. " * 16 + "</p>",
                   "to": [PUBLIC], "cc": [f"{ACTOR}/followers"], "url": note, "sensitive": False,
                   "published": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "attachment": [], "tag": []},
    })


def _presign(job: dict[str, Any]) -> list[tuple[bytes, bytes]]:
    from fediverse.activitypub.signatures.cavage import sign_cavage
    from fediverse.activitypub.signatures.keys import load_private_key

    key = load_private_key(job["private_key_pem"])
    url = f"http://{lb.HOST}:{job['port']}{job['path']}"

    def one(n: int) -> tuple[bytes, bytes]:
        body = make_activity(job["tag"], n)
        signed = sign_cavage("POST", url, {"Content-Type": AP_JSON}, body, KEY_ID, key)
        return lb.request_head("POST", job["path"], {**signed, "Content-Type": AP_JSON}), body

    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(one, range(job["count"])))


async def _blast(port: int, requests: list[tuple[bytes, bytes]], concurrency: int) -> dict[str, Any]:
    clients = [lb.MiniClient() for _ in range(concurrency)]  # one kept-alive connection each
    statuses: dict[int, int] = {}
    samples: list[str] = []
    work = iter(requests)

    async def worker(client: lb.MiniClient) -> None:
        for head, body in work:
            status, answer = await client.request(port, head, body)
            statuses[status] = statuses.get(status, 0) + 1
            if status != 202 and len(samples) < 3:
                samples.append(f"{status} {answer[:300]!r}")

    start = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in clients))
    elapsed = time.perf_counter() - start
    for client in clients:
        await client.aclose()
    return {"rate": len(requests) / elapsed, "seconds": elapsed, "statuses": statuses, "samples": samples}


def loadgen_main() -> None:
    """One line of JSON in per pass (pre-sign, answer "ready", wait for "go", send, answer the result)."""
    lb.raise_nofile()
    for line in sys.stdin:
        job = json.loads(line)
        requests = _presign(job)
        print(json.dumps({"ready": len(requests)}), flush=True)
        sys.stdin.readline()  # "go"
        result = lb.run(_blast(job["port"], requests, job["concurrency"]))
        print(json.dumps(result), flush=True)


# --- the two servers (separate processes) ------------------------------------------------------------------------

def bare_app(db_path: str, public_key_pem: str) -> Any:
    """Verify with the same code, insert with plain sqlite3: the most a Python inbox can do here."""
    import orjson
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from fediverse.activitypub.signatures.errors import SignatureError
    from fediverse.activitypub.signatures.keys import load_public_key
    from fediverse.activitypub.signatures.verify import read_signature, verify_request

    keys = {KEY_ID: (ACTOR, load_public_key(public_key_pem))}
    db = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE IF NOT EXISTS inbound (id INTEGER PRIMARY KEY, uri TEXT UNIQUE NOT NULL, type TEXT,"
               " actor_uri TEXT, raw TEXT, received_at TEXT)")
    db.execute("CREATE INDEX IF NOT EXISTS ix_inbound_actor ON inbound (actor_uri)")

    async def inbox(request: Request) -> Response:
        body = await request.body()
        if len(body) > 1_048_576:
            return Response(status_code=413)
        try:
            doc = orjson.loads(body)
            path = request.url.path
            url = f"http://{request.headers.get('host', '')}{path}"
            info = read_signature("POST", path, url, request.headers)
            owner, key = keys[info.key_id]
            verify_request(info, "POST", path, url, request.headers, body, key)
        except (SignatureError, KeyError, ValueError) as exc:
            return Response(str(exc), status_code=401)
        if doc.get("actor") != owner:
            return Response("signer is not the actor", status_code=401)
        db.execute("BEGIN")
        db.execute("INSERT OR IGNORE INTO inbound (uri, type, actor_uri, raw, received_at) VALUES (?, ?, ?, ?, ?)",
                   (doc["id"], doc["type"], doc["actor"], body.decode(), datetime.now(UTC).isoformat()))
        db.execute("COMMIT")
        return Response(status_code=202)

    return Starlette(routes=[Route("/inbox", inbox, methods=["POST"])])


def serve_main(kind: str, port: int, config: dict[str, Any]) -> None:
    import runpy

    import uvicorn

    if kind == "ours" and config.get("preload"):
        runpy.run_path(config["preload"])  # --preload: try a change in our server without editing the tree

    if kind == "bare":
        app = bare_app(config["db"], config["public_key_pem"])
    else:
        from fediverse.app import create_app
        from fediverse.config import Settings

        settings = Settings().replace(**config["settings"])
        app = create_app(settings, run_jobs=config["jobs"])
    # As `fediverse serve` runs it (uvicorn[standard] picks uvloop and httptools).
    uvicorn.run(app, host=lb.HOST, port=port, log_level="warning", access_log=False, proxy_headers=True,
                server_header=False, loop="uvloop", http="httptools")


# --- the benchmark (parent process) ------------------------------------------------------------------------------

def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((lb.HOST, 0))
        return sock.getsockname()[1]


def pinned(cpu: int) -> list[str]:
    """`taskset -c CPU` when there are two CPUs or more: servers on CPU 0, the load generator on CPU 1."""
    import os

    return ["taskset", "-c", str(cpu)] if shutil.which("taskset") and (os.cpu_count() or 1) >= 2 else []


def start_server(kind: str, port: int, config: dict[str, Any]) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([*pinned(0), sys.executable, __file__, "_serve", kind, str(port), json.dumps(config)],
                            cwd=lb.ROOT)
    deadline = time.monotonic() + 60
    import socket

    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the {kind} server exited with {proc.returncode}")
        try:
            socket.create_connection((lb.HOST, port), timeout=0.5).close()
            return proc
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the {kind} server did not start")


def stop(proc: subprocess.Popen[Any] | None) -> None:
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def prepare_ours(settings: Any, public_key_pem: str) -> None:
    """Migrate, create the inbox owner, and cache the remote signer (its Account row, fetched just now)."""
    from fediverse.app import shutdown, startup
    from fediverse.app import create_app
    from fediverse.models import Account, utcnow
    from fediverse.services.accounts import create_user

    app = create_app(settings, run_jobs=False)
    await startup(app)
    try:
        rt = app.state.runtime
        async with rt.sessions() as session:
            await create_user(rt, session, "artist")
            session.add(Account(uri=ACTOR, handle="bob@remote.bench", username="bob", domain="remote.bench",
                                actor_type="Person", inbox_url=f"{ACTOR}/inbox", shared_inbox_url=f"{REMOTE}/inbox",
                                followers_url=f"{ACTOR}/followers", key_id=KEY_ID, public_key_pem=public_key_pem,
                                fetched_at=utcnow()))
            await session.commit()
    finally:
        await shutdown(app)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def count_rows(db_path: Path, table: str) -> int:
    with sqlite3.connect(db_path) as db:
        return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def main(args: argparse.Namespace) -> None:
    from fediverse.activitypub.signatures.keys import generate_private_key, private_key_to_pem, public_key_pem
    from fediverse.config import Settings

    count, passes = (1000, 1) if args.quick else (args.requests, args.repeat)
    folder = Path(tempfile.mkdtemp(prefix="inbox-bench-"))
    key = generate_private_key()
    pem = public_key_pem(key)
    ours_port, bare_port = free_port(), free_port()
    sections = {
        "instance": {"domain": f"{lb.HOST}:{ours_port}", "scheme": "http", "name": "inbox bench"},
        "database": {"url": f"sqlite+aiosqlite:///{folder / 'ours.sqlite3'}"},
        "media": {"root": str(folder / "media")},
        "jobs": {"backend": "embedded"},
        # one actor sends everything: the inbox rate limits would (rightly) refuse most of it
        "spam": {"inbox_per_domain_per_minute": 10**9, "inbox_per_actor_per_minute": 10**9},
    }
    lb.run(prepare_ours(Settings().replace(**sections), pem))
    servers: list[subprocess.Popen[bytes]] = []
    loadgen = None
    try:
        servers.append(start_server("ours", ours_port, {"settings": sections, "jobs": args.jobs, "preload": args.preload}))
        servers.append(start_server("bare", bare_port, {"db": str(folder / "bare.sqlite3"), "public_key_pem": pem}))
        loadgen = subprocess.Popen([*pinned(1), sys.executable, __file__, "_load"], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, cwd=lb.ROOT, text=True)
        assert loadgen.stdin is not None and loadgen.stdout is not None
        print(f"inbox: {count} signed POSTs per pass, {passes} pass(es), {args.concurrency} connections; body "
              f"{len(make_activity('x', 0))} B; SQLite; our server {'runs' if args.jobs else 'does not run'} "
              f"job workers; {lb.cpu_note()}; {'servers on CPU 0, load generator on CPU 1' if pinned(0) else 'not pinned'}")

        pids = {"ours": servers[0].pid, "bare": servers[1].pid}

        def one_pass(name: str, port: int, path: str, tag: str, n: int) -> dict[str, Any]:
            job = {"port": port, "path": path, "tag": tag, "count": n, "concurrency": args.concurrency,
                   "private_key_pem": private_key_to_pem(key)}
            loadgen.stdin.write(json.dumps(job) + "\n")
            loadgen.stdin.flush()
            json.loads(loadgen.stdout.readline())  # pre-signed
            cpu = cpu_seconds(pids[name])
            loadgen.stdin.write("go\n")
            loadgen.stdin.flush()
            result = json.loads(loadgen.stdout.readline())
            result["cpu"] = (cpu_seconds(pids[name]) - cpu) / n
            if set(result["statuses"]) != {"202"}:
                raise RuntimeError(f"{name}: statuses {result['statuses']}, e.g. {result['samples']}")
            return result

        one_pass("bare", bare_port, "/inbox", "warm-bare", 200)  # warm-up: imports, caches, connections
        one_pass("ours", ours_port, "/inbox", "warm-ours", 200)
        rates: dict[str, list[float]] = {"bare": [], "ours": []}
        cpus: dict[str, list[float]] = {"bare": [], "ours": []}
        for rep in range(passes):
            for name, port in (("bare", bare_port), ("ours", ours_port)):
                result = one_pass(name, port, "/inbox", f"{name}-{rep}", count)
                rates[name].append(result["rate"])
                cpus[name].append(result["cpu"])
            if passes > 1:
                print(f"  pass {rep + 1}: baseline {rates['bare'][-1]:,.0f}/s  ours {rates['ours'][-1]:,.0f}/s", flush=True)
        stored_ours = count_rows(folder / "ours.sqlite3", "inbound_activities")
        stored_bare = count_rows(folder / "bare.sqlite3", "inbound")
        expected = 200 + passes * count
        if stored_ours != expected or stored_bare != expected:
            raise RuntimeError(f"stored {stored_ours} (ours) and {stored_bare} (baseline) activities, expected {expected}")
        bare, ours = lb.median(rates["bare"]), lb.median(rates["ours"])
        cpu_bare, cpu_ours = (1000 * lb.median(cpus[k]) for k in ("bare", "ours"))
        print(f"  baseline: Starlette + same verification + plain sqlite3 insert : {bare:7,.0f} POSTs/s  "
              f"({cpu_bare:.2f} ms server CPU each)")
        print(f"  ours: create_app inbox (verify, key cache, store, enqueue)     : {ours:7,.0f} POSTs/s  "
              f"({cpu_ours:.2f} ms)")
        print(f"  ours/baseline = {ours / bare:.2f}  (aim >= 0.5)    [all {2 * expected} answered 202 and were stored]")
    finally:
        if loadgen is not None:
            loadgen.stdin.close()
            loadgen.wait(timeout=30)
        for proc in servers:
            stop(proc)
        shutil.rmtree(folder, ignore_errors=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 POSTs, one pass")
    parser.add_argument("--requests", type=int, default=4000, help="POSTs per pass (default 4000)")
    parser.add_argument("--repeat", type=int, default=2, help="passes; medians are reported (default 2)")
    parser.add_argument("--concurrency", type=int, default=16, help="connections of the load generator (default 16)")
    parser.add_argument("--jobs", action="store_true", help="our server runs its embedded job workers too")
    parser.add_argument("--preload", metavar="FILE", help="run this Python file in our server process before it starts "
                        "(to measure a prototype change, e.g. by monkeypatching, without editing the tree)")
    return parser.parse_args()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_serve":
        serve_main(sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4]))
    elif len(sys.argv) > 1 and sys.argv[1] == "_load":
        loadgen_main()
    else:
        main(parse_args())
