"""The database and job queue of a `fediverse` started as a process (browser, interop and CLI tests).

On SQLite (the default pass) a server gets a database file in its folder and runs its jobs itself. In the
PostgreSQL pass (FEDIVERSE_TEST_DATABASE_URL) it gets a fresh PostgreSQL database of its own, made and dropped
by tests/support.py's Network; with FEDIVERSE_TEST_REDIS_URL its jobs go through Redis to a real
`fediverse worker` process. The processes read only their config file: the test run's FEDIVERSE_* variables
never leak into them (clean_env), so a test's database is the one its config names and nothing else.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from tests.components import PG_URL, REDIS_URL
from tests.support import Network

SQLITE_FILE = "fediverse.sqlite3"


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for subprocesses: no FEDIVERSE_* overrides leak in from the caller."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEDIVERSE_")}
    env.update(extra)
    return env


def fediverse(config: Path, *args: str) -> list[str]:
    """The command line of `fediverse --config <config> <args>` in this interpreter."""
    return [sys.executable, "-m", "fediverse", "--config", str(config), *args]


def stop(process: subprocess.Popen[Any], timeout: float = 20) -> None:
    """Ask a process to stop (SIGTERM); kill it if it has not within `timeout` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass(frozen=True)
class Backing:
    """Where one server keeps its rows and sends its jobs."""

    folder: Path
    database_url: str
    redis_url: str = ""

    @property
    def on_postgresql(self) -> bool:
        return self.database_url.startswith("postgresql")

    def config(self, shipped: str) -> str:
        """The shipped instance.toml with this database in place of its SQLite file (the PostgreSQL pass only:
        on SQLite the default config is tested as it ships)."""
        if not self.on_postgresql:
            return shipped
        default = 'url = "sqlite+aiosqlite:///data/fediverse.sqlite3"'
        assert shipped.count(default) == 1, "instance.toml no longer names its default SQLite database"
        return shipped.replace(default, f'url = "{self.database_url}"')

    def toml(self, jobs: str = "") -> str:
        """The [database] and [jobs] sections of the server's config; `jobs` adds lines to [jobs]."""
        backend = f'backend = "dramatiq"\nredis_url = "{self.redis_url}"' if self.redis_url else 'backend = "embedded"'
        return f'[database]\nurl = "{self.database_url}"\n\n[jobs]\n{backend}\n{jobs}\n'

    def check_used(self) -> None:
        """In the PostgreSQL pass: the server's accounts are in its PostgreSQL database and no SQLite file exists."""
        if not self.on_postgresql:
            assert list(self.folder.rglob("*.sqlite3")), f"no SQLite database under {self.folder}"
            return
        assert not list(self.folder.rglob("*.sqlite3")), "a server fell back to SQLite in the PostgreSQL pass"
        assert asyncio.run(local_users(self.database_url)) > 0, f"no local users in {self.database_url}"


async def local_users(database_url: str) -> int:
    """How many local accounts the PostgreSQL database at `database_url` holds."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            return int(await conn.scalar(text("SELECT count(*) FROM local_users")) or 0)
    finally:
        await engine.dispose()


@contextmanager
def backing(folder: Path, *, jobs_through_redis: bool = True) -> Iterator[Backing]:
    """A database for one server (fresh PostgreSQL in the PostgreSQL pass, dropped afterwards) and, where
    Redis is given and the server delivers, a Redis queue."""
    if not PG_URL:
        yield Backing(folder, f"sqlite+aiosqlite:///{folder / SQLITE_FILE}", REDIS_URL if jobs_through_redis else "")
        return
    network = Network(folder)  # its PostgreSQL bookkeeping: CREATE DATABASE now, DROP ... WITH (FORCE) at close
    url = asyncio.run(network.database_url(folder))
    try:
        yield Backing(folder, url, REDIS_URL if jobs_through_redis else "")
    finally:
        asyncio.run(network.close())


@contextmanager
def job_worker(config: Path, folder: Path) -> Iterator[subprocess.Popen[bytes] | None]:
    """`fediverse worker` for the instance in `config` when its jobs go through Redis (None otherwise).
    The instance's Redis keys (queues, rate limits: all under its own domain's namespace, so parallel tests
    never share them) are cleared before and after."""
    from fediverse.config import load_settings
    from tests.test_durability import _clear_redis

    settings = load_settings(config, env={})
    if settings.job_backend != "dramatiq":
        yield None
        return
    _clear_redis(settings)
    log_path = folder / "worker.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(fediverse(config, "worker", "--threads", "4"), stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, env=clean_env(), cwd=folder)
        try:
            deadline = time.monotonic() + 60
            while b"fediverse worker for " not in log_path.read_bytes():
                assert process.poll() is None, f"fediverse worker exited:\n{log_path.read_text()}"
                assert time.monotonic() < deadline, f"fediverse worker did not start:\n{log_path.read_text()}"
                time.sleep(0.1)
            yield process
            assert process.poll() is None, f"fediverse worker died during the test:\n{log_path.read_text()}"
        finally:
            stop(process)
            _clear_redis(settings)
