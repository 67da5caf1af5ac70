"""Dramatiq backend: the row is the queue, Redis is only the doorbell.

- `DramatiqSender` (in `fediverse serve`, CLI commands and workers) sends the ids of rows that became due
  through the `run_job_message` actor, from a background thread, so committing never waits on Redis.
- `JobWorker` (in `fediverse worker`) runs a dramatiq Worker in this process: each message claims its row with
  `claim_one` and runs the one `run_job()` body on the worker's event loop, with the worker's one Runtime.
  A sweeper re-sends ids of due rows and rows whose lease ran out, so a lost message or a killed worker
  loses nothing, and runs the housekeeping.
- Retries are ours (the row's run_at), never dramatiq's: the actor has max_retries=0 and never raises.

Keys live under a per-instance namespace, so two instances sharing one Redis never take each other's ids.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import math
import queue
import signal
import threading
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import dramatiq
import httpx
import redis
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import Retries

from fediverse.config import Settings
from fediverse.db import jobs as job_db
from fediverse.jobs.outcome import Retry
from fediverse.jobs.runner import lease, record, run_job
from fediverse.jobs.sweeper import housekeeping
from fediverse.models import utcnow

if TYPE_CHECKING:
    from fediverse.runtime import Runtime

log = logging.getLogger("fediverse.jobs")

QUEUE = "fediverse"
ACTOR_NAME = "run_job_message"
MAX_DELAY = timedelta(days=6)  # Redis delay messages must stay under 7 days; the sweeper sends later ones
BATCH = 500
DEAD_MESSAGE_TTL_MS = 3_600_000  # a failed message is worthless: the row says what to do next


def namespace(settings: Settings) -> str:
    """Redis key prefix of this instance's queues."""
    return f"fediverse:{settings.instance.domain}"


def make_broker(settings: Settings) -> RedisBroker:
    """A RedisBroker for this instance with the `run_job_message` actor declared (no connection is made yet)."""
    broker = RedisBroker(
        url=settings.jobs.redis_url,
        namespace=namespace(settings),
        middleware=[Retries(max_retries=0)],
        dead_message_ttl=DEAD_MESSAGE_TTL_MS,
    )
    dramatiq.actor(run_job_message, broker=broker, actor_name=ACTOR_NAME, queue_name=QUEUE, max_retries=0)
    return broker


def close_broker(broker: RedisBroker) -> None:
    broker.close()
    broker.client.close()
    broker.client.connection_pool.disconnect()


# The JobWorker running in this process (dramatiq runs one Worker per process).
_active: JobWorker | None = None


def run_job_message(job_id: int) -> None:
    """The actor: claim row `job_id` if it is due and run it. Done, leased elsewhere or not yet due: nothing."""
    worker = _active
    if worker is None:
        log.warning("job message %s arrived outside a running JobWorker; the sweeper will send it again", job_id)
        return
    worker.run_message(int(job_id))


class DramatiqSender:
    """The doorbell: `notify` queues (job id, run_at) pairs; a thread sends them to Redis, delayed when due later.

    A send that fails (Redis down) is only logged: the row is still there and the sweeper sends it again.
    """

    def __init__(self, rt: Runtime, broker: RedisBroker | None = None) -> None:
        self.rt = rt
        self._broker = broker
        self._owns_broker = broker is None
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._stopped = False

    def notify(self, jobs: list[tuple[int, datetime]]) -> None:
        if self._stopped:
            return
        for job in jobs:
            self._queue.put(job)

    async def start(self) -> None:
        if self._broker is None:
            self._broker = make_broker(self.rt.settings)
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="fediverse-dramatiq-sender", daemon=True)
        self._thread.start()

    async def stop(self, timeout: float = 10.0) -> None:
        """Send what is still pending (bounded by `timeout`), then stop; later notifications are dropped."""
        self._stopped = True
        thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(_STOP)
            await asyncio.to_thread(thread.join, timeout)
        if self._owns_broker and self._broker is not None:
            close_broker(self._broker)
            self._broker = None

    async def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything notified so far has been handed to Redis."""
        if self._thread is None:
            return False
        sent = threading.Event()
        self._queue.put(sent)
        return await asyncio.to_thread(sent.wait, timeout)

    def _run(self) -> None:
        assert self._broker is not None
        actor = self._broker.get_actor(ACTOR_NAME)
        while True:
            batch = [self._queue.get()]
            while len(batch) < BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            jobs: dict[int, datetime] = {}
            for item in batch:
                if isinstance(item, tuple):
                    jobs[item[0]] = item[1]
            self._send(actor, jobs)
            for item in batch:
                if isinstance(item, threading.Event):
                    item.set()
            if any(item is _STOP for item in batch):
                return

    def _send(self, actor: dramatiq.Actor[..., Any], jobs: dict[int, datetime]) -> None:
        now = utcnow()
        try:
            for job_id, run_at in jobs.items():
                wait = run_at - now
                if wait > MAX_DELAY:
                    continue
                delay = math.ceil(wait.total_seconds() * 1000)
                actor.send_with_options(args=(job_id,), delay=delay if delay > 0 else None)
        except (redis.RedisError, dramatiq.errors.DramatiqError) as exc:
            log.warning("could not send %d job id(s) to Redis (%s); the sweeper will send them", len(jobs), exc)


_STOP = object()


class JobWorker:
    """A dramatiq Worker on this instance's queue, with one event loop thread, one Runtime and the sweeper.

    `start()` returns once it is consuming; `stop()` cancels jobs still running after `grace` seconds (their
    rows keep their lease, and the sweeper sends them again once it expires). Usable from tests as a
    context manager.
    """

    def __init__(self, settings: Settings, *, threads: int = 8, poll_ms: int = 1000,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self.threads = threads
        self.poll_ms = poll_ms
        self.transport = transport
        self.broker: RedisBroker | None = None
        self.rt: Runtime | None = None
        self.sender: DramatiqSender | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: threading.Thread | None = None
        self._worker: dramatiq.Worker | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._running: set[asyncio.Task[Any]] = set()
        self._closing = False

    def __enter__(self) -> JobWorker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        global _active
        if _active is not None:
            raise RuntimeError("a JobWorker is already running in this process")
        self._closing = False
        try:
            self.broker = make_broker(self.settings)
            self.broker.client.ping()  # fail now, clearly, when Redis is not there
            self.loop = asyncio.new_event_loop()
            self._loop_thread = threading.Thread(target=self.loop.run_forever, name="fediverse-worker-loop", daemon=True)
            self._loop_thread.start()
            self._call(self._boot())
            _active = self
            self._worker = dramatiq.Worker(self.broker, queues={QUEUE}, worker_threads=self.threads,
                                           worker_timeout=self.poll_ms)
            self._worker.start()
        except BaseException:
            self.stop()
            raise

    def stop(self, grace: float = 0.0) -> None:
        """Stop taking messages; wait up to `grace` seconds for running jobs, cancel the rest; close everything."""
        global _active
        stopper = None
        if self._worker is not None:  # its threads finish their current message and take no new one
            stopper = threading.Thread(target=self._worker.stop, kwargs={"timeout": 30_000}, daemon=True)
            stopper.start()
        deadline = time.monotonic() + grace
        while self._running and time.monotonic() < deadline:
            time.sleep(0.02)
        self._closing = True
        if self.loop is not None:
            self._call(self._cancel_running())
        if stopper is not None:
            stopper.join(35)
            self._worker = None
        if _active is self:
            _active = None
        if self.loop is not None:
            self._call(self._shutdown())
            self.loop.call_soon_threadsafe(self.loop.stop)
            assert self._loop_thread is not None
            self._loop_thread.join(10)
            self.loop.close()
            self.loop = None
        if self.broker is not None:
            close_broker(self.broker)
            self.broker = None

    def run_message(self, job_id: int) -> None:
        """Called in a dramatiq worker thread: run the job on the worker's loop and wait for it."""
        if self._closing or self.loop is None:
            return
        future = asyncio.run_coroutine_threadsafe(self.handle(job_id), self.loop)
        try:
            future.result()
        except concurrent.futures.CancelledError:
            log.info("job %s interrupted by shutdown; the sweeper sends it again when its lease expires", job_id)
        except Exception:  # noqa: BLE001 - e.g. the database is down: the row is still there for the sweeper
            log.exception("job message %s failed", job_id)

    async def handle(self, job_id: int) -> bool:
        """Claim and run one job; False when it was not due (done, leased elsewhere, not yet due)."""
        if self._closing:
            return False
        task = asyncio.current_task()
        assert task is not None and self.rt is not None
        self._running.add(task)
        try:
            rt = self.rt
            async with rt.sessions() as session:
                job = await job_db.claim_one(session, job_id, lease(rt))
                await session.commit()  # the lease is visible to other workers before the job runs
            if job is None:
                return False
            # A job never outlives its lease, so no other worker can be running it at the same time.
            limit = 0.9 * rt.settings.jobs.lease_seconds
            try:
                async with asyncio.timeout(limit):
                    await run_job(rt, job)
            except TimeoutError:
                log.warning("job %s (%s) ran longer than %.0fs", job.id, job.kind, limit)
                await record(rt, job, Retry(f"ran longer than {limit:.0f}s"))
            return True
        finally:
            self._running.discard(task)

    async def sweep(self) -> int:
        """Re-send due rows whose message was lost and rows whose lease expired; run housekeeping.

        Only one process sweeps per period (a short Redis lock). Returns how many ids were sent.
        """
        assert self.rt is not None and self.sender is not None and self.broker is not None
        every = self.settings.jobs.sweep_seconds
        key = f"{namespace(self.settings)}:sweeper"
        if not await asyncio.to_thread(self.broker.client.set, key, self.broker.broker_id, nx=True, px=int(every * 800)):
            return 0
        async with self.rt.sessions() as session:
            due = await job_db.due_for_sweep(session, utcnow() - timedelta(seconds=every))
        self.sender.notify(due)
        await housekeeping(self.rt)
        return len(due)

    def _call(self, coro: Any) -> Any:
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    async def _boot(self) -> None:
        from fediverse.runtime import create_runtime

        self.rt = create_runtime(self.settings, transport=self.transport)
        assert self.broker is not None
        self.sender = DramatiqSender(self.rt, broker=self.broker)
        self.rt.attach_backend(self.sender)
        await self.sender.start()
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="fediverse-sweeper")

    async def _sweep_forever(self) -> None:
        while True:
            try:
                await self.sweep()
            except Exception:  # noqa: BLE001 - Redis or database hiccup: try again next period
                log.exception("job sweep failed")
            await asyncio.sleep(self.settings.jobs.sweep_seconds)

    async def _cancel_running(self) -> None:
        tasks = list(self._running)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _shutdown(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
        if self.sender is not None:
            await self.sender.stop()
        if self.rt is not None:
            await self.rt.close()
        self.rt, self.sender, self._sweeper = None, None, None
        await asyncio.get_running_loop().shutdown_default_executor()


def run_worker(settings: Settings, threads: int = 8, *, grace: float = 10.0) -> int:
    """`fediverse worker`: consume this instance's queue until SIGINT or SIGTERM."""
    worker = JobWorker(settings, threads=threads)
    try:
        worker.start()
    except redis.RedisError as exc:
        print(f"error: cannot reach Redis at {_redacted(settings.jobs.redis_url)}: {exc}", flush=True)
        return 1
    stopping = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stopping.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    print(f"fediverse worker for {settings.base_url}: {threads} threads on queue {QUEUE!r} at "
          f"{_redacted(settings.jobs.redis_url)} (lease {settings.jobs.lease_seconds}s, "
          f"sweep every {settings.jobs.sweep_seconds}s)", flush=True)
    try:
        while not stopping.wait(0.5):
            pass
    finally:
        worker.stop(grace=grace)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("fediverse worker stopped", flush=True)
    return 0


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = f"{parts.username or ''}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))
    return url
