"""Fixed-window rate limits shared by the inbox and the web edge: in memory, or in Redis across processes.

One call per request: `hit(scope, key, limit)` counts the request in the current window and says how many
seconds to wait when the count went past `limit` (None while allowed); `take` counts the same way and also says
how much of the budget is left and when the window ends (the client API's X-RateLimit-* headers). Fixed windows (the window index is
part of the key) cost one INCR + EXPIRE round trip in Redis and one dict lookup in memory; a burst at a
window edge may get up to 2x the limit, which is the usual trade (Mastodon's rack-attack does the same).

Redis trouble never turns into an error for the client: the limiter fails open and logs once a minute.
"""

from __future__ import annotations

import ipaddress
import logging
import math
from collections import Counter, OrderedDict
from dataclasses import dataclass
from typing import Protocol

from fediverse.clock import SYSTEM_CLOCK, Clock

log = logging.getLogger("fediverse.ratelimit")

MAX_KEYS = 100_000  # in-memory: the least recently used keys are dropped past this


@dataclass(frozen=True)
class Budget:
    """One counted request: its number in the window, the limit, when the window ends (epoch seconds), and the
    seconds to wait when it went past the limit (None while allowed)."""

    count: int
    limit: int
    reset_at: float
    wait: int | None

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.count)


class Limiter(Protocol):
    rejections: Counter[str]

    async def hit(self, scope: str, key: str, limit: int, window: int = 60) -> int | None: ...

    async def take(self, scope: str, key: str, limit: int, window: int = 60) -> Budget: ...

    async def aclose(self) -> None: ...


def limit_key(ip: str) -> str:
    """The budget a client address counts against: IPv6 by /64, as Mastodon's rack-attack does (one host
    usually holds a whole /64 and rotates within it); an IPv4-mapped IPv6 address as its IPv4 address."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return f"ip:{ip}"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return f"ip:{address.ipv4_mapped}"
        return f"ip:{ipaddress.ip_network(f'{address}/64', strict=False)}"
    return f"ip:{address}"


def _retry_after(now: float, window: int) -> int:
    return max(1, math.ceil((math.floor(now / window) + 1) * window - now))


def _budget(now: float, window: int, count: int, limit: int) -> Budget:
    return Budget(count, limit, (math.floor(now / window) + 1) * window,
                  _retry_after(now, window) if count > limit else None)


class MemoryLimiter:
    """Counts in this process only (the embedded single-process setup)."""

    def __init__(self, clock: Clock = SYSTEM_CLOCK) -> None:
        self.clock = clock
        self.rejections: Counter[str] = Counter()
        self._counts: OrderedDict[str, tuple[int, int]] = OrderedDict()  # key -> (window index, count)

    async def hit(self, scope: str, key: str, limit: int, window: int = 60) -> int | None:
        return (await self.take(scope, key, limit, window)).wait

    async def take(self, scope: str, key: str, limit: int, window: int = 60) -> Budget:
        now = self.clock.time()
        index = int(now // window)
        name = f"{scope}:{key}"
        found = self._counts.get(name)
        count = found[1] + 1 if found is not None and found[0] == index else 1
        self._counts[name] = (index, count)
        self._counts.move_to_end(name)
        if len(self._counts) > MAX_KEYS:
            self._counts.popitem(last=False)
        if count > limit:
            self.rejections[scope] += 1
        return _budget(now, window, count, limit)

    async def aclose(self) -> None:
        self._counts.clear()


class RedisLimiter:
    """Counts in Redis, so several web workers and machines share one budget per key."""

    def __init__(self, url: str, prefix: str, clock: Clock = SYSTEM_CLOCK) -> None:
        import redis.asyncio as aioredis

        self.clock = clock
        self.prefix = prefix
        self.rejections: Counter[str] = Counter()
        self._redis = aioredis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        self._last_warning = 0.0
        # Keys known to be over their limit in their window (name includes the window index) -> window end:
        # a flood is refused without a round trip to Redis.
        self._blocked: OrderedDict[str, float] = OrderedDict()

    async def hit(self, scope: str, key: str, limit: int, window: int = 60) -> int | None:
        return (await self.take(scope, key, limit, window)).wait

    async def take(self, scope: str, key: str, limit: int, window: int = 60) -> Budget:
        import redis

        now = self.clock.time()
        index = int(now // window)
        name = f"{self.prefix}:{scope}:{key}:{index}"
        if name in self._blocked:
            self.rejections[scope] += 1
            return _budget(now, window, limit + 1, limit)
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.incr(name)
                pipe.expire(name, window + 1)
                count, _ = await pipe.execute()
        except (redis.RedisError, OSError) as exc:
            if now - self._last_warning > 60:
                self._last_warning = now
                log.warning("rate limit not checked (Redis unavailable): %s", exc)
            return _budget(now, window, 0, limit)  # fails open: nothing counted, the whole budget shown
        if int(count) > limit:
            self.rejections[scope] += 1
            self._blocked[name] = (index + 1) * window  # when this window ends
            while self._blocked and (len(self._blocked) > MAX_KEYS or next(iter(self._blocked.values())) <= now):
                self._blocked.popitem(last=False)  # roughly oldest first: ended windows go
        return _budget(now, window, int(count), limit)

    async def aclose(self) -> None:
        await self._redis.aclose()


def make_limiter(redis_url: str, prefix: str, clock: Clock = SYSTEM_CLOCK) -> Limiter:
    """Redis when the instance has one configured (several processes), memory otherwise; windows are counted
    on `clock` (the runtime's)."""
    return RedisLimiter(redis_url, prefix, clock) if redis_url else MemoryLimiter(clock)
