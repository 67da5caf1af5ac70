"""One Runtime per process: settings, engine, sessions, HTTP client, job backend, key cache, thread pool."""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from fediverse.activitypub.signatures.keys import load_private_key
from fediverse.activitypub.uris import Uris
from fediverse.clock import SYSTEM_CLOCK, Clock
from fediverse.config import Settings
from fediverse.db import domain_policy, stream_events
from fediverse.db.engine import create_engine
from fediverse.federation import health
from fediverse.federation.client import DomainBlocked, SafeClient, Signer
from fediverse.federation.deliver import ActivityCache
from fediverse.jobs.group_commit import OutcomeWriters
from fediverse.jobs.queue import JobBackend, install_commit_hook
from fediverse.ratelimit import Limiter, MemoryLimiter, make_limiter
from fediverse.services.remote_media import FetchLocks
from fediverse.services.site_settings import RefreshTimer
from fediverse.services.stream_bus import StreamBus

if TYPE_CHECKING:
    from fediverse.models import LocalUser


class _NullBackend:
    """Used until a real backend is attached (e.g. by CLI commands that only enqueue)."""

    def notify(self, jobs: list[tuple[int, datetime]]) -> None:
        return None


class _BackendProxy:
    """The commit hook rings whatever backend is attached now, so the hook is installed once per runtime."""

    def __init__(self) -> None:
        self.target: JobBackend = _NullBackend()

    def notify(self, jobs: list[tuple[int, datetime]]) -> None:
        self.target.notify(jobs)


def image_workers() -> int:
    """Threads for image work: every core but one, which stays free for the event loop and the signing pool.

    Threads, not processes: Pillow releases the GIL while it decodes, resamples and encodes, so they run in
    parallel; a process pool would copy every file across and lose probe's decode that derive reuses
    (imaging/_decode.py). The Python parts (XMP reading, header walks) are linear and capped."""
    return max(1, (os.cpu_count() or 1) - 1)


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    client: SafeClient
    uris: Uris
    backend: _BackendProxy
    signing_pool: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(2, thread_name_prefix="sign"))
    # Decoding and re-encoding images: its own bounded pool, so a queue of big or hostile files never delays
    # signing deliveries or checking passwords (signing_pool).
    image_pool: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(image_workers(), thread_name_prefix="image"))
    _signers: dict[int, Signer] = field(default_factory=dict)
    # Process state, each owned by the module that uses it: stored activities for deliveries, which domains
    # have a failure on record, the remote media fetches in flight, the group commit of job outcomes, and when
    # the panel's settings were last read.
    activities: ActivityCache = field(default_factory=ActivityCache)
    domain_health: health.Tracker = field(default_factory=health.Tracker)
    media_fetches: FetchLocks = field(default_factory=FetchLocks)
    job_outcomes: OutcomeWriters = field(default_factory=OutcomeWriters)
    settings_timer: RefreshTimer = field(default_factory=RefreshTimer)
    file_settings: Settings | None = None  # instance.toml as loaded; panel overrides are laid over it
    # Inbox and web rate limits (fediverse.ratelimit): shared through Redis when one is configured.
    limiter: Limiter = field(default_factory=MemoryLimiter)  # login, sign-up, inbox and web rate limits
    # What time-windowed checks read the time from (rate limits, sign-up fill time and daily cap); tests
    # hold it still so a window's edge never falls inside a test.
    clock: Clock = SYSTEM_CLOCK
    # Committed posts, edits, deletions and notifications on their way to streaming clients (api/streaming.py).
    streams: StreamBus = field(default_factory=StreamBus)

    def signer_for(self, user: LocalUser) -> Signer:
        """Each private key is parsed once per process: loading a PEM costs ~29 ms."""
        signer = self._signers.get(user.account_id)
        if signer is None:
            key_id = user.account.key_id
            assert key_id is not None
            signer = Signer(key_id, load_private_key(user.private_key_pem))
            self._signers[user.account_id] = signer
        return signer

    def attach_backend(self, backend: JobBackend) -> None:
        self.backend.target = backend

    async def run_in_pool(self, func, *args):  # type: ignore[no-untyped-def]
        """Signing and password hashing (CPU-bound, small, latency-sensitive)."""
        return await asyncio.get_running_loop().run_in_executor(self.signing_pool, func, *args)

    async def run_image_work(self, func, *args):  # type: ignore[no-untyped-def]
        """Probing, deriving and storing images: off the event loop, never in the signing pool."""
        return await asyncio.get_running_loop().run_in_executor(self.image_pool, func, *args)

    async def close(self) -> None:
        await self.settings_timer.close()
        await self.client.aclose()
        await self.limiter.aclose()
        await self.streams.aclose()
        await self.engine.dispose()
        self.signing_pool.shutdown(wait=False)
        self.image_pool.shutdown(wait=False)


class _JobSession(Session):
    """A Session subclass per runtime, so the after-commit hook of one runtime never fires for another."""


def create_runtime(settings: Settings, transport: httpx.AsyncBaseTransport | None = None,
                   clock: Clock = SYSTEM_CLOCK) -> Runtime:
    engine = create_engine(settings)
    session_class = type("RuntimeSession", (_JobSession,), {})
    sessions = async_sessionmaker(engine, expire_on_commit=False, sync_session_class=session_class)
    backend = _BackendProxy()
    install_commit_hook(session_class, backend)
    runtime = Runtime(
        settings=settings,
        file_settings=settings,
        engine=engine,
        sessions=sessions,
        client=SafeClient(settings, transport=transport),
        uris=Uris(settings.base_url),
        backend=backend,
        limiter=make_limiter(settings.jobs.redis_url, f"fediverse:{settings.instance.domain}:ratelimit", clock),
        clock=clock,
        streams=StreamBus(settings.jobs.redis_url, f"fediverse:{settings.instance.domain}:streaming"),
    )
    stream_events.install_hook(session_class, runtime.streams.publish, clock.now)
    runtime.client.host_guard = _domain_guard(engine, sessions)
    return runtime


def _domain_guard(engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]):  # type: ignore[no-untyped-def]
    """The client's check before any request: a suspended host gets none (the policy snapshot is cached)."""

    async def guard(host: str) -> None:
        rules = domain_policy.fresh_snapshot(engine)
        if rules is None:
            async with sessions() as session:
                rules = await domain_policy.hidden_hosts(session)
        rule = domain_policy.match(rules, host)
        if rule is not None and rule.suspended:
            raise DomainBlocked(f"{host} is suspended by the domain block on {rule.domain}")

    return guard
