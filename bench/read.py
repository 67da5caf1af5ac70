"""Read benchmark: requests/second for what the fediverse and visitors fetch most, against bare Starlette.

    .venv/bin/python bench/read.py            # 3 rounds x 5 s per target (about 2 minutes)
    .venv/bin/python bench/read.py --quick    # 1 round x 2 s

Targets, each through the real app (`create_app`, SQLite in a temp dir, embedded job backend, run by
uvicorn with uvloop + httptools exactly as `fediverse serve` runs it):

  work JSON   GET <work.uri>     Accept: application/activity+json
  actor JSON  GET /users/<name>  Accept: application/activity+json
  portfolio   GET /@<name>       (HTML, 12 works)

Baseline, measured in the same run and the same way: a bare Starlette app under the same uvicorn settings whose
endpoints return the very bytes the real app returned (`Response(bytes)`, the "cached GET" limit of
performance.md). The server processes are pinned to CPU 0 and the load generator to CPU 1 (`taskset`); the
load generator is `wrk` when installed, else a minimal asyncio HTTP/1.1 client in its own process.
App and baseline alternate round by round; the medians and their ratio are the result (goal: JSON >= 0.5).
Each target is measured twice: as visitors and servers get it (answered from the response cache after the
first request), and "uncached" (a Cookie header, which the cache never answers: routing, queries, rendering).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import _loopback as lb  # noqa: E402  (bench/ is on sys.path when run as a script)

HOST = "127.0.0.1"
AP_ACCEPT = "application/activity+json"
WORKS = 12


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def pinned(cpu: int) -> list[str]:
    return ["taskset", "-c", str(cpu)] if shutil.which("taskset") and (os.cpu_count() or 1) > 1 else []


def settings_sections(folder: Path, port: int) -> dict[str, dict[str, Any]]:
    return {
        "instance": {"domain": f"{HOST}:{port}", "scheme": "http", "name": "Bench"},
        "database": {"url": f"sqlite+aiosqlite:///{folder / 'db.sqlite3'}"},
        "media": {"root": str(folder / "media")},
        "server": {"secret_key_file": str(folder / "secret.key")},
        "jobs": {"backend": "embedded"},
        # one load generator on one address: the per-address limit would answer 429 (bench/ratelimit.py
        # measures what the limit itself costs)
        "spam": {"requests_per_minute_per_ip": 10**9, "requests_per_minute_per_account": 10**9},
    }


# --- set-up: one artist with a dozen works ----------------------------------------------------------------

async def populate(sections: dict[str, dict[str, Any]]) -> str:
    from fediverse.app import create_app, shutdown, startup
    from fediverse.config import Settings
    from fediverse.services.accounts import create_user
    from fediverse.services.works import ImageUpload, WorkInput, create_work
    from tests import imagecorpus as corpus

    app = create_app(Settings().replace(**sections), run_jobs=False)
    await startup(app)
    rt = app.state.runtime
    try:
        async with rt.sessions() as session:
            user = await create_user(rt, session, "alice", display_name="Alice Fox",
                                     summary="I paint foxes in the snow.\n\nCommissions open.")
            await session.commit()
        uri = ""
        for n in range(WORKS):
            image = ImageUpload(corpus.jpeg(corpus.photo(1600, 1200, seed=n)), f"Fox study number {n}, oil on board")
            async with rt.sessions() as session:
                work = await create_work(rt, session, user, WorkInput(
                    title=f"Fox study {n}", description=f"Study {n} #fox #oil",
                    license_url="https://creativecommons.org/licenses/by-nc-nd/4.0/"), [image])
            uri = work.uri
    finally:
        await shutdown(app)
    return uri


# --- the server processes ----------------------------------------------------------------------------------

def serve_app(config: Path, port: int) -> None:
    import uvicorn

    from fediverse.app import create_app
    from fediverse.config import Settings

    sections = json.loads(config.read_text())
    app = create_app(Settings().replace(**sections), migrate=False)
    uvicorn.run(app, host=HOST, port=port, log_level="warning", proxy_headers=True, server_header=False)


def serve_bare(documents: Path, port: int) -> None:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    docs = json.loads(documents.read_text())

    def endpoint(body: bytes, media_type: str) -> Any:
        async def handler(request: Any) -> Response:
            return Response(body, media_type=media_type)
        return handler

    routes = [Route(d["path"], endpoint(d["body"].encode(), d["type"])) for d in docs.values()]
    uvicorn.run(Starlette(routes=routes), host=HOST, port=port, log_level="warning", proxy_headers=True,
                server_header=False)


def start(args: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([*pinned(0), sys.executable, __file__, *args], cwd=lb.ROOT)


def wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server on {port} exited with {proc.returncode}")
        try:
            with socket.create_connection((HOST, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server on {port} did not start")


def fetch(port: int, path: str, accept: str | None) -> tuple[int, str, bytes]:
    import httpx

    headers = {"Accept": accept} if accept else {}
    response = httpx.get(f"http://{HOST}:{port}{path}", headers=headers)
    return response.status_code, response.headers["content-type"], response.content


# --- load generators ---------------------------------------------------------------------------------------

def load(port: int, path: str, accept: str | None, seconds: float, connections: int,
         bypass: bool = False) -> tuple[float, int]:
    """(requests/second, non-200 responses), from wrk or from the minimal client in its own process.

    `bypass` sends a Cookie header, which the response cache never answers: the render-every-time path."""
    url = f"http://{HOST}:{port}{path}"
    if shutil.which("wrk"):
        header = (["-H", f"Accept: {accept}"] if accept else []) + (["-H", "Cookie: bench=1"] if bypass else [])
        out = subprocess.run([*pinned(1), "wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", *header,
                              url], capture_output=True, text=True, check=True).stdout
        rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
        bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
        errors = re.search(r"Socket errors: .*", out)
        if rate == 0 or errors:
            raise RuntimeError(f"wrk against {url} failed:\n{out}")
        return rate, int(bad.group(1)) if bad else 0
    out = subprocess.run([*pinned(1), sys.executable, __file__, "load", str(port), path, accept or "", str(seconds),
                          str(connections), "1" if bypass else ""], capture_output=True, text=True, check=True).stdout
    result = json.loads(out)
    return result["rate"], result["bad"]


def mini_load(port: int, path: str, accept: str, seconds: float, connections: int, bypass: bool) -> None:
    async def run() -> dict[str, float]:
        headers = {"Host": f"{HOST}:{port}"} | ({"Accept": accept} if accept else {}) | (
            {"Cookie": "bench=1"} if bypass else {})
        head = lb.request_head("GET", path, headers)
        count = bad = 0
        stop = time.monotonic() + seconds

        async def worker() -> None:
            nonlocal count, bad
            client = lb.MiniClient()
            while time.monotonic() < stop:
                status, _ = await client.request(port, head)
                count += 1
                bad += status != 200
            await client.aclose()

        started = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(connections)))
        return {"rate": count / (time.monotonic() - started), "bad": bad}

    print(json.dumps(lb.run(run())))


# --- main ----------------------------------------------------------------------------------------------------

def main(args: argparse.Namespace) -> None:
    lb.raise_nofile()
    rounds, seconds = (1, 2.0) if args.quick else (args.rounds, args.seconds)
    folder = Path(tempfile.mkdtemp(prefix="fediverse-read-"))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        app_port, bare_port = free_port(), free_port()
        sections = settings_sections(folder, app_port)
        work_uri = lb.run(populate(sections))
        config = folder / "settings.json"
        config.write_text(json.dumps(sections))
        procs.append(start(["serve", str(config), str(app_port)]))
        wait_ready(app_port, procs[-1])
        work_path = work_uri.removeprefix(f"http://{HOST}:{app_port}")
        targets = {"work JSON": (work_path, AP_ACCEPT), "actor JSON": ("/users/alice", AP_ACCEPT),
                   "portfolio HTML": ("/@alice", None)}
        documents = {}
        for name, (path, accept) in targets.items():
            status, kind, body = fetch(app_port, path, accept)
            assert status == 200, (name, status, body[:200])
            documents[name] = {"path": path, "type": kind, "body": body.decode()}
        (folder / "documents.json").write_text(json.dumps(documents))
        procs.append(start(["bare", str(folder / "documents.json"), str(bare_port)]))
        wait_ready(bare_port, procs[-1])
        generator = "wrk" if shutil.which("wrk") else "minimal asyncio client"
        print(f"read benchmark: {lb.cpu_note()}; servers on CPU 0, {generator} on CPU 1; "
              f"{args.connections} connections, {rounds} x {seconds:g} s per target and server")
        print("cached = served by the response cache (web/cache.py); uncached = a Cookie header bypasses it, "
              "so every request is routed, queried and rendered")
        print(f"{'target':<26}{'bytes':>8}{'app req/s':>12}{'bare req/s':>12}{'ratio':>8}")
        for name, (path, accept) in targets.items():
            for bypass in (False, True):
                label = f"{name}{' uncached' if bypass else ''}"
                load(app_port, path, accept, 1.0, args.connections, bypass)  # warm-up
                load(bare_port, path, accept, 1.0, args.connections)
                app_rates, bare_rates = [], []
                for _ in range(rounds):
                    rate, bad = load(app_port, path, accept, seconds, args.connections, bypass)
                    assert bad == 0, f"{label}: {bad} non-2xx responses from the app"
                    app_rates.append(rate)
                    bare_rates.append(load(bare_port, path, accept, seconds, args.connections)[0])
                app_rate, bare_rate = lb.median(app_rates), lb.median(bare_rates)
                print(f"{label:<26}{len(documents[name]['body']):>8}{app_rate:>12,.0f}{bare_rate:>12,.0f}"
                      f"{app_rate / bare_rate:>8.2f}", flush=True)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(folder, ignore_errors=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1 round x 2 s per target")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=32)
    return parser.parse_args()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve_app(Path(sys.argv[2]), int(sys.argv[3]))
    elif len(sys.argv) > 1 and sys.argv[1] == "bare":
        serve_bare(Path(sys.argv[2]), int(sys.argv[3]))
    elif len(sys.argv) > 1 and sys.argv[1] == "load":
        mini_load(int(sys.argv[2]), sys.argv[3], sys.argv[4], float(sys.argv[5]), int(sys.argv[6]), bool(sys.argv[7]))
    else:
        main(parse_args())
