"""Test support: several complete instances in one process, talking over httpx's ASGI transport.

Each instance has its own database (SQLite file, or a fresh PostgreSQL database when
FEDIVERSE_TEST_DATABASE_URL is set), its own media dir and its own embedded job backend.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import shutil
import sqlite3
import tempfile
import threading
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy.engine import make_url
from starlette.applications import Starlette

from fediverse.activitypub.signatures.keys import generate_private_key
from fediverse.app import create_app, shutdown, startup
from fediverse.clock import SYSTEM_CLOCK, Clock
from fediverse.config import Settings
from fediverse.db.engine import create_engine
from fediverse.db.migrate import upgrade
from fediverse.runtime import Runtime, create_runtime

PG_ADMIN_URL = os.environ.get("FEDIVERSE_TEST_DATABASE_URL", "")


class StepClock:
    """A clock that stands still until the test moves it (fediverse.clock.Clock).

    Give it to an instance (`network.add(..., clock=StepClock())`) and its rate-limit windows, sign-up fill
    time and daily cap never see a window's edge pass mid-test, however slow the machine. It starts at the
    first second of the current UTC hour, so minute and hour windows begin with the test and dates stay
    close to the database's own timestamps."""

    def __init__(self, start: float | None = None) -> None:
        self.at = start if start is not None else time.time() // 3600 * 3600

    def time(self) -> float:
        return self.at

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.at, UTC)

    def advance(self, seconds: float) -> None:
        self.at += seconds


_made_keys: list[rsa.RSAPrivateKey] = []


class AccountKeys:
    """Stands in for `generate_private_key` when accounts are created in a test (tests/conftest.py): real, distinct
    RSA-2048 keys, made once per test process and handed out again, in the same order, to the next test.

    Every account of one test still has its own key, so a signature made with another account's key fails as it
    would; what is saved is making the key (~60 ms) and, through load_private_key's cache, loading its PEM again
    with its consistency checks (~100 ms), for each instance actor and user of every test."""

    def __init__(self) -> None:
        self.handed_out = 0
        self.lock = threading.Lock()  # accounts.create_user makes its key in a worker thread

    def __call__(self) -> rsa.RSAPrivateKey:
        with self.lock:
            if self.handed_out == len(_made_keys):
                _made_keys.append(generate_private_key())
            self.handed_out += 1
            return _made_keys[self.handed_out - 1]


class RoutingTransport(httpx.AsyncBaseTransport):
    """Sends each request to the in-process app that owns the URL's host; unknown hosts fail to connect."""

    def __init__(self, network: Network) -> None:
        self.network = network

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        target = self.network.apps.get(request.url.netloc.decode())
        if target is None:
            raise httpx.ConnectError(f"no route to {request.url.netloc.decode()}", request=request)
        return await target.handle_async_request(request)


@dataclass
class Instance:
    domain: str
    app: Starlette
    network: Network

    @property
    def rt(self) -> Runtime:
        return self.app.state.runtime

    @property
    def clock(self) -> Clock:
        return self.rt.clock

    @property
    def base(self) -> str:
        return self.rt.settings.base_url

    def client(self) -> httpx.AsyncClient:
        """An HTTP client as another server would use it, routed into the network."""
        return httpx.AsyncClient(transport=RoutingTransport(self.network), base_url=self.base)


@dataclass
class Network:
    root: Path
    apps: dict[str, httpx.ASGITransport] = field(default_factory=dict)
    instances: list[Instance] = field(default_factory=list)
    databases: list[str] = field(default_factory=list)
    threads_before: set[int] = field(default_factory=lambda: {t.ident or 0 for t in _sqlite_threads()})

    async def add(self, domain: str, clock: Clock = SYSTEM_CLOCK, **sections: dict[str, Any]) -> Instance:
        """A running instance; pass `clock=StepClock()` to a test that counts against a time window."""
        settings = await self.settings_for(domain, migrated=True, **sections)
        app = create_app(settings, transport=RoutingTransport(self), clock=clock)
        await startup(app)
        self.apps[domain] = httpx.ASGITransport(app=app)
        instance = Instance(domain, app, self)
        self.instances.append(instance)
        return instance

    async def settings_for(self, domain: str, *, migrated: bool = False, **sections: dict[str, Any]) -> Settings:
        """Settings of a test instance; its database is empty, or already at head with `migrated`."""
        folder = self.root / domain.replace(":", "_")
        folder.mkdir(parents=True, exist_ok=True)
        url = await self.database_url(folder, migrated=migrated)
        base: dict[str, dict[str, Any]] = {
            "instance": {"domain": domain, "scheme": "https", "name": f"Test {domain}"},
            "database": {"url": url},
            "media": {"root": str(folder / "media")},
            # key fetches between in-process instances take milliseconds, but a loaded 2-core CI box can stall the
            # event loop for seconds; the key-deadline test sets the shipped 4 s back
            "federation": {"allow_private_addresses": True, "key_fetch_seconds": 30.0},
            "jobs": {"backend": "embedded", "sweep_seconds": 1},
            "server": {"secret_key_file": str(folder / "secret.key")},
        }
        for name, values in sections.items():
            base[name] = {**base.get(name, {}), **values}
        return Settings().replace(**base)

    async def database_url(self, folder: Path, *, migrated: bool = False) -> str:
        """A new database for one instance: empty, or with `migrated` a copy of one migrated once per test process.

        Running every migration again costs each instance about 0.4 s on SQLite and 0.8 s on PostgreSQL, most of
        its start; a copy costs 0.1 s. The app's startup still runs `upgrade`, which finds the copy at head."""
        if not PG_ADMIN_URL:
            path = folder / "db.sqlite3"
            if migrated and not path.exists():  # an instance started again on the same folder keeps its data
                _copy_file(await _sqlite_template(), path)
            return f"sqlite+aiosqlite:///{path}"
        name = f"fvt_{uuid.uuid4().hex[:12]}"
        await _pg_admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{await _pg_template()}"' if migrated else ""))
        self.databases.append(name)
        return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    async def drain(self, timeout: float = 30.0) -> None:
        """Run every instance's jobs until all are quiet (deliveries cascade: Follow -> Accept -> ...)."""
        async with asyncio.timeout(timeout):
            for _round in range(20):
                busy = False
                for instance in self.instances:
                    backend = instance.app.state.backend
                    if backend is not None and await _has_due(instance.rt):
                        busy = True
                        await backend.drain(timeout)
                if not busy:
                    return

    async def close(self) -> None:
        try:  # let background jobs finish, so shutdown does not cut a database connection in half
            await self.drain(10)
        except TimeoutError:
            pass
        for instance in self.instances:
            await shutdown(instance.app)
        await self._sqlite_calls_finished()
        for name in self.databases:
            await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


    async def _sqlite_calls_finished(self, timeout: float = 5.0) -> None:
        """Wait, with the test's event loop still running, until the aiosqlite worker threads this test started
        have ended (closing the engines ends them). A database call still running in such a thread when pytest
        closes the loop would post its result to a closed loop, and that thread's error would fail whichever test
        runs next (seen once in 50 runs on a loaded machine)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not [t for t in _sqlite_threads() if (t.ident or 0) not in self.threads_before]:
                return
            await asyncio.sleep(0.01)


def _sqlite_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.endswith("(_connection_worker_thread)") and t.is_alive()]


@asynccontextmanager
async def bare_runtime(tmp_path: Path, domain: str, *, migrate: bool = True) -> AsyncIterator[Runtime]:
    """A migrated runtime of one instance with no app and no workers around it: for tests of db/, jobs,
    federation and inbox code called directly (on SQLite or on the PostgreSQL test database). With
    ``migrate=False`` the database is empty, for migration tests that upgrade step by step."""
    network = Network(tmp_path)
    runtime = create_runtime(await network.settings_for(domain, migrated=migrate))
    try:
        yield runtime
    finally:
        await runtime.close()
        await network.close()


_sqlite_template_path: Path | None = None
_pg_template_name: str | None = None


async def _migrated(url: str) -> None:
    engine = create_engine(Settings().replace(database={"url": url}))
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()  # PostgreSQL copies a template only while nobody is connected to it


async def _sqlite_template() -> Path:
    """A SQLite database at head, made once per test process."""
    global _sqlite_template_path
    if _sqlite_template_path is None:
        folder = Path(tempfile.mkdtemp(prefix="fediverse-test-template-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        await _migrated(f"sqlite+aiosqlite:///{folder / 'db.sqlite3'}")
        _sqlite_template_path = folder / "db.sqlite3"
    return _sqlite_template_path


def _copy_file(source_path: Path, target_path: Path) -> None:
    source, target = sqlite3.connect(source_path), sqlite3.connect(target_path)
    try:
        source.backup(target)  # a consistent copy, whatever the journal mode
    finally:
        source.close()
        target.close()


async def _pg_template() -> str:
    """A PostgreSQL database at head, made once per test process and dropped when it ends."""
    global _pg_template_name
    if _pg_template_name is None:
        name = f"fvt_template_{uuid.uuid4().hex[:12]}"
        await _pg_admin(f'CREATE DATABASE "{name}"')
        atexit.register(lambda: asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')))
        await _migrated(make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False))
        _pg_template_name = name
    return _pg_template_name


async def _has_due(rt: Runtime) -> bool:
    """Jobs due now or running (claimed but not finished)."""
    from sqlalchemy import func, or_, select

    from fediverse.models import QUEUED, RUNNING, Job, utcnow

    async with rt.sessions() as session:
        count = await session.scalar(select(func.count()).select_from(Job).where(
            or_(Job.state == RUNNING, (Job.state == QUEUED) & (Job.run_at <= utcnow()))))
    return bool(count)


async def _pg_admin(statement: str) -> None:
    import asyncpg

    url = make_url(PG_ADMIN_URL)
    conn = await asyncpg.connect(host=url.host or "127.0.0.1", port=url.port or 5432, user=url.username or "postgres",
                                 password=url.password, database=url.database or "postgres")
    try:
        await conn.execute(statement)
    finally:
        await conn.close()
