"""Durable work: a delivery survives its process. The row is the queue; the broker is only the doorbell.

Embedded: instance A is stopped while its Follow delivery is queued, or while the POST is in flight; a new
app on the same database delivers it, and B ends up with the Follow exactly once.

Dramatiq + Redis (FEDIVERSE_TEST_REDIS_URL): instances run as real uvicorn servers on loopback ports (each
with its own event loop, like production), A with the dramatiq backend and real dramatiq workers: the normal
Follow -> Accept round trip, a message lost from Redis, and a worker killed (SIGKILL) in the middle of a POST.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import socket
import sys
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable

import httpx
import pytest
import redis
import uvicorn
from sqlalchemy import func, select, update

from fediverse.app import create_app, shutdown, startup
from fediverse.config import Settings
from fediverse.db import accounts as account_db
from fediverse.db import follows as follow_db
from fediverse.jobs.kinds import Deliver
from fediverse.jobs.backends import make_backend
from fediverse.jobs.dramatiq_backend import JobWorker, namespace
from fediverse.models import DONE, QUEUED, RUNNING, InboundActivity, Job, LocalUser, OutboundActivity, utcnow
from fediverse.runtime import Runtime, create_runtime
from fediverse.services import accounts, following
from tests.federation.helpers import act, edge_state, make_user
from tests.support import Instance, Network, RoutingTransport

REDIS_URL = os.environ.get("FEDIVERSE_TEST_REDIS_URL", "")


def needs_redis(test: Callable[..., Any]) -> Callable[..., Any]:
    skip = pytest.mark.skipif(not REDIS_URL, reason="needs Redis: set FEDIVERSE_TEST_REDIS_URL=redis://127.0.0.1:6379/15")
    return pytest.mark.redis(skip(test))


# --- shared checks -------------------------------------------------------------------------------------------


async def wait_for(check: Callable[[], Awaitable[Any]], timeout: float = 15.0, what: str = "condition") -> Any:
    """Poll `check` until it returns something truthy; fail the test after `timeout` seconds."""
    try:
        async with asyncio.timeout(timeout):
            while not (result := await check()):
                await asyncio.sleep(0.05)
            return result
    except TimeoutError:
        pytest.fail(f"timed out after {timeout}s waiting for {what}")


async def inbound_count(rt: Runtime, activity_type: str) -> int:
    async with rt.sessions() as session:
        return await session.scalar(
            select(func.count()).select_from(InboundActivity).where(InboundActivity.type == activity_type)) or 0


async def delivery_of(rt: Runtime, activity_type: str) -> Job:
    """The one delivery row of the only outbound activity of that type."""
    async with rt.sessions() as session:
        activity_ids = list(await session.scalars(select(OutboundActivity.id).where(OutboundActivity.type == activity_type)))
        assert len(activity_ids) == 1, activity_ids
        jobs = [job for job in await session.scalars(select(Job).where(Job.kind == Deliver.kind))
                if job.payload["activity"] == activity_ids[0]]
    assert len(jobs) == 1, jobs
    return jobs[0]


async def end_lease(rt: Runtime, job_id: int) -> None:
    """The lease of a job whose worker is gone runs out now: what waiting `lease_seconds` does, without a short
    lease that a busy machine can outlive before the test has looked (the job would be taken again early)."""
    async with rt.sessions() as session:
        await session.execute(update(Job).where(Job.id == job_id, Job.state == RUNNING)
                              .values(lease_until=utcnow() - timedelta(seconds=1)))
        await session.commit()


async def job_done(rt: Runtime, job_id: int) -> Job | None:
    async with rt.sessions() as session:
        job = await session.get(Job, job_id)
    return job if job is not None and job.state == DONE else None


# --- embedded backend ----------------------------------------------------------------------------------------


class HoldFirstInboxAnswer(httpx.AsyncBaseTransport):
    """In front of B: the first inbox POST is handled by B in full (stored, committed), then the answer to the
    sender never comes, so the sender's job is still running when its process stops."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.stored = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "POST" and request.url.path.endswith("/inbox") and not self.stored.is_set():
            self.stored.set()
            await asyncio.Event().wait()  # until the sender's task is cancelled (bounded by its POST deadline)
        return response


async def restart(network: Network, old: Instance) -> Instance:
    """A new app and runtime on the old instance's database, as after a process restart."""
    settings = old.rt.settings
    await shutdown(old.app)
    app = create_app(settings, transport=RoutingTransport(network))
    await startup(app)
    network.apps[old.domain] = httpx.ASGITransport(app=app)
    new = Instance(old.domain, app, network)
    network.instances[network.instances.index(old)] = new
    return new


async def test_delivery_cut_off_mid_post_by_a_stop_is_delivered_once_after_restart(network: Network) -> None:
    a = await network.add("art.test", jobs={"lease_seconds": 600})  # it ends when the test says (end_lease)
    b = await network.add("social.test")
    alice = await make_user(a, "alice")
    bob = await make_user(b, "bob")
    gate = HoldFirstInboxAnswer(network.apps["social.test"])
    network.apps["social.test"] = gate
    await b.app.state.backend.stop()  # B stores what it receives; it answers the Follow once A is back

    await act(a, "follow", "alice", "bob@social.test")
    async with asyncio.timeout(10):
        await gate.stored.wait()
    in_flight = await delivery_of(a.rt, "Follow")
    assert (in_flight.state, in_flight.attempts) == (RUNNING, 1)
    assert await inbound_count(b.rt, "Follow") == 1

    a = await restart(network, a)  # A stops with the POST in flight: nobody recorded that it got through
    assert (await delivery_of(a.rt, "Follow")).state == RUNNING  # still leased to the process that is gone
    await b.app.state.backend.start()
    await end_lease(a.rt, in_flight.id)
    done = await wait_for(lambda: job_done(a.rt, in_flight.id), what="the leased delivery to be taken again")
    await network.drain()

    assert done.attempts == 2  # sent again after the lease expired ...
    assert await inbound_count(b.rt, "Follow") == 1  # ... and B still has it once
    assert await edge_state(b, alice.account.uri, bob.account.uri) == "accepted"
    assert await edge_state(a, alice.account.uri, bob.account.uri) == "accepted"
    assert await inbound_count(a.rt, "Accept") == 1


async def test_delivery_queued_while_the_workers_are_down_is_sent_after_restart(network: Network) -> None:
    a = await network.add("art.test")
    b = await network.add("social.test")
    alice = await make_user(a, "alice")
    bob = await make_user(b, "bob")
    await a.app.state.backend.stop()  # A's job workers are gone: the Follow exists only as a row

    await act(a, "follow", "alice", "bob@social.test")
    await asyncio.sleep(0.2)
    queued = await delivery_of(a.rt, "Follow")
    assert (queued.state, queued.attempts) == (QUEUED, 0)
    assert await inbound_count(b.rt, "Follow") == 0

    a = await restart(network, a)
    await network.drain()
    assert await inbound_count(b.rt, "Follow") == 1
    sent = await delivery_of(a.rt, "Follow")
    assert (sent.state, sent.attempts) == (DONE, 1)
    assert await edge_state(a, alice.account.uri, bob.account.uri) == "accepted"


# --- dramatiq backend, real servers ----------------------------------------------------------------------------


class HoldFirstInboxAnswerASGI:
    """ASGI wrapper for a served instance: like HoldFirstInboxAnswer, until `release` is set (or 15 s pass)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.stored = threading.Event()
        self.release = threading.Event()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if (scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].endswith("/inbox")
                or self.stored.is_set()):
            await self.app(scope, receive, send)
            return
        held: list[Any] = []

        async def hold(message: Any) -> None:
            held.append(message)

        await self.app(scope, receive, hold)
        self.stored.set()
        for _ in range(300):
            if self.release.is_set():
                break
            await asyncio.sleep(0.05)
        for message in held:
            await send(message)


@dataclass
class Served:
    """One instance served by uvicorn on a loopback port in its own thread, plus a runtime on the test's loop
    for local actions (like a CLI command: it rings the instance's backend) and for reading state."""

    settings: Settings
    server: uvicorn.Server
    thread: threading.Thread
    rt: Runtime
    sender: Any = None

    @property
    def domain(self) -> str:
        return self.settings.instance.domain

    def actor_url(self, username: str) -> str:
        return f"{self.settings.base_url}/users/{username}"

    async def make_user(self, username: str) -> LocalUser:
        async with self.rt.sessions() as session:
            user = await accounts.create_user(self.rt, session, username)
            await session.commit()
        return user

    async def follow(self, username: str, target: str) -> None:
        async with self.rt.sessions() as session:
            me = await account_db.local_user(session, username)
            assert me is not None
            await following.follow(self.rt, session, me, target)
            await session.commit()
        if self.sender is not None:
            await self.sender.flush()

    async def edge(self, follower: str, followee: str) -> str | None:
        async with self.rt.sessions() as session:
            a = await account_db.by_uri(session, follower)
            b = await account_db.by_uri(session, followee)
            edge = await follow_db.between(session, a.id, b.id) if a and b else None
        return edge.state if edge else None


@dataclass
class Cluster:
    """Served instances, workers and worker processes of one test; everything is stopped at the end."""

    network: Network
    served: list[Served] = field(default_factory=list)
    workers: list[JobWorker] = field(default_factory=list)
    processes: list[asyncio.subprocess.Process] = field(default_factory=list)

    async def serve(self, *, wrap: Callable[[Any], Any] | None = None, **sections: dict[str, Any]) -> Served:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        domain = f"127.0.0.1:{sock.getsockname()[1]}"
        jobs = {"lease_seconds": 2, **sections.pop("jobs", {})}
        settings = await self.network.settings_for(domain, instance={"scheme": "http"}, jobs=jobs, **sections)
        app: Any = create_app(settings)
        config = uvicorn.Config(wrap(app) if wrap else app, log_level="warning", lifespan="on", ws="none",
                                access_log=False, timeout_graceful_shutdown=2)
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=f"uvicorn-{domain}", daemon=True)
        thread.start()
        async with asyncio.timeout(20):  # from here on, the server owns (and closes) the socket
            while not server.started:
                assert thread.is_alive(), f"{domain} failed to start"
                await asyncio.sleep(0.02)
        rt = create_runtime(settings)
        instance = Served(settings, server, thread, rt)
        self.served.append(instance)
        if settings.job_backend == "dramatiq":
            _clear_redis(settings)
            instance.sender = make_backend(rt)
            rt.attach_backend(instance.sender)
            await instance.sender.start()
        return instance

    async def start_worker(self, instance: Served, threads: int = 2) -> JobWorker:
        worker = JobWorker(instance.settings, threads=threads, poll_ms=100)
        await asyncio.to_thread(worker.start)
        self.workers.append(worker)
        return worker

    async def stop_worker(self, worker: JobWorker) -> None:
        self.workers.remove(worker)
        await asyncio.to_thread(worker.stop)

    async def worker_process(self, instance: Served, threads: int = 1) -> asyncio.subprocess.Process:
        """`fediverse worker` in a child process, with the instance's settings written to a config file."""
        path = Path(self.network.root) / f"worker-{instance.domain.replace(':', '_')}.toml"
        path.write_text(_toml(instance.settings), encoding="utf-8")
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "fediverse", "--config", str(path), "worker", "--threads", str(threads),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        self.processes.append(proc)
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        assert line.startswith(b"fediverse worker for "), line
        return proc

    async def close(self) -> None:
        for proc in self.processes:
            if proc.returncode is None:
                proc.kill()
            await proc.communicate()
        for worker in self.workers:
            await asyncio.to_thread(worker.stop)
        for instance in self.served:
            if instance.sender is not None:
                await instance.sender.stop()
            instance.server.should_exit = True
        for instance in self.served:
            await asyncio.to_thread(instance.thread.join, 15)
            await instance.rt.close()
            if instance.settings.jobs.redis_url:
                _clear_redis(instance.settings)


def _clear_redis(settings: Settings) -> None:
    """Drop this instance's keys (its own namespace, so concurrent test runs on the same Redis db are safe)."""
    client = redis.Redis.from_url(settings.jobs.redis_url)
    try:
        for key in client.scan_iter(match=f"{namespace(settings)}:*"):
            client.delete(key)
    finally:
        client.close()


def _toml(settings: Settings) -> str:
    lines: list[str] = []
    for section in ("instance", "database", "media", "jobs", "federation"):
        lines.append(f"[{section}]")
        for key, value in dataclasses.asdict(getattr(settings, section)).items():
            if isinstance(value, bool):
                lines.append(f"{key} = {'true' if value else 'false'}")
            elif isinstance(value, (int, float)):
                lines.append(f"{key} = {value}")
            else:
                lines.append(f"{key} = {_quote(str(value))}")
    return "\n".join(lines) + "\n"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _redis_queue_keys(settings: Settings) -> list[str]:
    ns = namespace(settings)
    return [f"{ns}:fediverse", f"{ns}:fediverse.msgs", f"{ns}:fediverse.DQ", f"{ns}:fediverse.DQ.msgs"]


@pytest.fixture
async def cluster(network: Network) -> AsyncIterator[Cluster]:
    c = Cluster(network)
    try:
        yield c
    finally:
        await c.close()


DRAMATIQ = {"backend": "dramatiq", "redis_url": REDIS_URL}


@needs_redis
async def test_follow_and_accept_round_trip_through_dramatiq_workers(cluster: Cluster) -> None:
    b = await cluster.serve()
    a = await cluster.serve(jobs=DRAMATIQ)
    await cluster.start_worker(a)
    await a.make_user("alice")
    await b.make_user("bob")
    alice, bob = a.actor_url("alice"), b.actor_url("bob")

    await a.follow("alice", bob)  # Follow sent by A's worker; B's Accept is processed by A's worker
    await b.follow("bob", alice)  # B's Follow lands in A's inbox; A's worker sends the Accept
    for side in (a, b):
        await wait_for(lambda s=side: _is_accepted(s, alice, bob), what=f"alice -> bob accepted on {side.domain}")
        await wait_for(lambda s=side: _is_accepted(s, bob, alice), what=f"bob -> alice accepted on {side.domain}")
    async with a.rt.sessions() as session:
        states = dict((await session.execute(select(Job.state, func.count()).group_by(Job.state))).all())
    assert set(states) == {DONE}, states
    assert await inbound_count(b.rt, "Follow") == 1
    assert await inbound_count(a.rt, "Accept") == 1


async def _is_set(event: threading.Event) -> bool:
    return event.is_set()


async def _is_accepted(instance: Served, follower: str, followee: str) -> bool:
    return await instance.edge(follower, followee) == "accepted"


@needs_redis
async def test_delivery_whose_redis_message_was_lost_is_swept_and_delivered_once(cluster: Cluster) -> None:
    b = await cluster.serve()
    a = await cluster.serve(jobs=DRAMATIQ)
    await a.make_user("alice")
    await b.make_user("bob")
    alice, bob = a.actor_url("alice"), b.actor_url("bob")

    await a.follow("alice", bob)  # no worker is running yet: the id waits in Redis ...
    client = redis.Redis.from_url(REDIS_URL)
    try:
        assert client.llen(_redis_queue_keys(a.settings)[0]) == 1
        client.delete(*_redis_queue_keys(a.settings))  # ... and is lost
    finally:
        client.close()
    queued = await delivery_of(a.rt, "Follow")
    assert queued.state == QUEUED

    await cluster.start_worker(a)  # only the sweeper can know about the row now
    done = await wait_for(lambda: job_done(a.rt, queued.id), what="the sweeper to send the lost delivery")
    assert done.attempts == 1
    await wait_for(lambda: _is_accepted(a, alice, bob), what="the Accept to come back")
    assert await inbound_count(b.rt, "Follow") == 1


@needs_redis
async def test_worker_killed_mid_post_loses_nothing_and_b_gets_the_follow_once(cluster: Cluster) -> None:
    gate: list[HoldFirstInboxAnswerASGI] = []
    b = await cluster.serve(wrap=lambda app: gate.append(HoldFirstInboxAnswerASGI(app)) or gate[0])
    a = await cluster.serve(jobs={**DRAMATIQ, "lease_seconds": 600})  # it ends when the test says (end_lease)
    await a.make_user("alice")
    await b.make_user("bob")
    alice, bob = a.actor_url("alice"), b.actor_url("bob")
    doomed = await cluster.worker_process(a, threads=1)

    await a.follow("alice", bob)
    await wait_for(lambda: _is_set(gate[0].stored), what="B to store the Follow")
    in_flight = await delivery_of(a.rt, "Follow")
    assert (in_flight.state, in_flight.attempts) == (RUNNING, 1)
    doomed.kill()  # SIGKILL while the POST waits for B's answer: no outcome is ever recorded
    await doomed.wait()
    gate[0].release.set()
    assert (await delivery_of(a.rt, "Follow")).state == RUNNING
    await end_lease(a.rt, in_flight.id)

    await cluster.start_worker(a)  # a fresh worker: its sweeper sends the id again once the lease expires
    done = await wait_for(lambda: job_done(a.rt, in_flight.id), what="the killed worker's job to be taken again")
    assert done.attempts == 2
    await wait_for(lambda: _is_accepted(a, alice, bob), what="the Accept to come back")
    assert await inbound_count(b.rt, "Follow") == 1  # delivered twice, received once
    assert await _is_accepted(b, alice, bob)
