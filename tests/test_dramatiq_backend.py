"""The dramatiq backend's parts: backend choice, the sender (non-blocking, delays), the actor's claim rules,
and the `fediverse worker` command. End-to-end durability is in tests/test_durability.py."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any, AsyncIterator

import pytest
import redis

from fediverse.config import Settings
from fediverse.db.migrate import upgrade
from fediverse.jobs.backends import make_backend
from fediverse.jobs.dramatiq_backend import DramatiqSender, JobWorker, namespace, run_job_message, run_worker
from fediverse.jobs.embedded import EmbeddedBackend
from fediverse.models import DEAD, DONE, QUEUED, RUNNING, Job, utcnow
from fediverse.runtime import Runtime, create_runtime
from tests.support import Network
from tests.test_durability import REDIS_URL, _clear_redis, _toml, needs_redis


async def _settings(network: Network, **jobs: Any) -> Settings:
    domain = f"q{uuid.uuid4().hex[:10]}.test"  # its own Redis namespace: concurrent runs never meet
    return await network.settings_for(domain, jobs={"backend": "dramatiq", "redis_url": REDIS_URL or "redis://127.0.0.1:1/0",
                                                    "sweep_seconds": 60, **jobs})


@pytest.fixture
async def runtime(network: Network) -> AsyncIterator[Runtime]:
    rt = create_runtime(await _settings(network))
    await upgrade(rt.engine)
    try:
        yield rt
    finally:
        await rt.close()
        if REDIS_URL:
            _clear_redis(rt.settings)


async def test_server_rings_dramatiq_when_redis_is_configured_and_runs_jobs_itself_otherwise(tmp_path: Path) -> None:
    base = Settings().replace(database={"url": f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"})
    for settings, kind in ((base.replace(jobs={"redis_url": "redis://127.0.0.1:6379/0"}), DramatiqSender),
                           (base, EmbeddedBackend)):
        rt = create_runtime(settings)
        try:
            assert isinstance(make_backend(rt), kind)
        finally:
            await rt.close()


async def test_notify_returns_at_once_while_redis_does_not_answer(network: Network) -> None:
    hole = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # accepts connections, never answers
    hole.bind(("127.0.0.1", 0))
    hole.listen(16)
    settings = (await _settings(network)).replace(jobs={"redis_url": f"redis://127.0.0.1:{hole.getsockname()[1]}/0"})
    rt = create_runtime(settings)
    sender = DramatiqSender(rt)
    await sender.start()
    thread = sender._thread
    assert thread is not None
    try:
        sender.notify([(1, utcnow())])
        assert not await sender.flush(timeout=0.3)  # the sender thread is now stuck on a Redis that never answers
        # The commit hook only hands ids to that thread: it returns although Redis still does not answer. (A
        # deadline, not a stopwatch: a notify that waited on Redis would never return; a busy machine may be slow.)
        later = [(job_id, utcnow()) for job_id in range(2, 1002)]
        await asyncio.wait_for(asyncio.to_thread(sender.notify, later), timeout=10)
        assert not await sender.flush(timeout=0.3)
    finally:
        hole.close()  # now the sender's connection fails: it logs, gives up on the batch, and can stop
        await sender.stop(timeout=10)
        await rt.close()
    assert not thread.is_alive()


@needs_redis
async def test_sender_rings_due_jobs_now_and_later_jobs_with_a_delay(runtime: Runtime) -> None:
    sender = DramatiqSender(runtime)
    await sender.start()
    now = utcnow()
    try:
        sender.notify([(1, now - timedelta(seconds=5)), (2, now + timedelta(seconds=60)), (3, now + timedelta(days=30))])
        assert await sender.flush()
    finally:
        await sender.stop()
    ns = namespace(runtime.settings)
    client = redis.Redis.from_url(REDIS_URL)
    try:
        ready = [json.loads(raw) for raw in client.hvals(f"{ns}:fediverse.msgs")]
        delayed = [json.loads(raw) for raw in client.hvals(f"{ns}:fediverse.DQ.msgs")]
    finally:
        client.close()
    assert [(m["actor_name"], m["args"]) for m in ready] == [("run_job_message", [1])]
    assert [m["args"] for m in delayed] == [[2]]  # job 3 is too far off for Redis: the sweeper sends it when due
    eta = delayed[0]["options"]["eta"] / 1000
    assert (now + timedelta(seconds=59)).timestamp() < eta < (now + timedelta(seconds=62)).timestamp()


@needs_redis
async def test_actor_runs_a_due_row_and_leaves_done_leased_and_future_rows_alone(runtime: Runtime) -> None:
    now = utcnow()
    rows = {
        "due": Job(kind="no-such-kind", payload={}, run_at=now - timedelta(seconds=1)),
        "done": Job(kind="no-such-kind", payload={}, state=DONE, attempts=1, run_at=now - timedelta(seconds=1)),
        "leased": Job(kind="no-such-kind", payload={}, state=RUNNING, attempts=1, run_at=now - timedelta(seconds=1),
                      lease_until=now + timedelta(seconds=60)),
        "future": Job(kind="no-such-kind", payload={}, run_at=now + timedelta(seconds=60)),
    }
    async with runtime.sessions() as session:
        session.add_all(rows.values())
        await session.commit()
    worker = JobWorker(runtime.settings, threads=1, poll_ms=100)
    await asyncio.to_thread(worker.start)
    try:
        for job in rows.values():
            await asyncio.to_thread(run_job_message, job.id)
    finally:
        await asyncio.to_thread(worker.stop)
    async with runtime.sessions() as session:
        after = {name: await session.get(Job, job.id, populate_existing=True) for name, job in rows.items()}
    assert (after["due"].state, after["due"].attempts) == (DEAD, 1)
    assert "unknown job kind" in (after["due"].last_error or "")
    assert (after["done"].state, after["done"].attempts) == (DONE, 1)
    assert (after["leased"].state, after["leased"].attempts) == (RUNNING, 1)
    assert (after["future"].state, after["future"].attempts) == (QUEUED, 0)


@needs_redis
async def test_worker_command_prints_a_start_line_and_stops_cleanly_on_sigterm(runtime: Runtime, tmp_path: Path) -> None:
    config = tmp_path / "instance.toml"
    config.write_text(_toml(runtime.settings), encoding="utf-8")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "fediverse", "--config", str(config), "worker", "--threads", "2",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        assert proc.stdout is not None
        first = await asyncio.wait_for(proc.stdout.readline(), 30)
        assert first.decode().startswith(f"fediverse worker for {runtime.settings.base_url}: 2 threads on queue 'fediverse'")
        proc.send_signal(signal.SIGTERM)
        rest, _ = await asyncio.wait_for(proc.communicate(), 15)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.communicate()
    assert proc.returncode == 0, rest.decode()
    assert rest.decode().strip().endswith("fediverse worker stopped")


async def test_worker_without_redis_says_so_and_exits(network: Network, capsys: pytest.CaptureFixture[str]) -> None:
    closed = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there
    settings = (await _settings(network)).replace(jobs={"redis_url": f"redis://127.0.0.1:{port}/0"})
    assert await asyncio.to_thread(run_worker, settings, 1) == 1
    assert f"cannot reach Redis at redis://127.0.0.1:{port}/0" in capsys.readouterr().out
