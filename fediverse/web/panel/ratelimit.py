"""Attempts per time window, per key (a username, a client address), sliding window, in memory, bounded.

Used for logins (per minute) and sign-ups (per hour). Each process keeps its own counts: with several web
processes the effective limit is that many times higher (the daily sign-up cap is counted in the database).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from typing import Callable

WINDOW_SECONDS = 60.0
MAX_KEYS = 50_000


class WindowLimiter:
    """At most `limit` attempts per key in any `window` seconds; `limit` may be changed at any time."""

    def __init__(self, limit: int, window: float = WINDOW_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()

    def retry_after(self, *keys: str) -> int | None:
        """Seconds until another attempt is allowed, when any key is at its limit; None when all are free."""
        now = self.clock()
        waits = []
        for key in keys:
            hits = self._recent(key, now)
            if hits is not None and len(hits) >= self.limit:
                waits.append(hits[-self.limit] + self.window - now if self.limit > 0 else self.window)
        return max(1, math.ceil(max(waits))) if waits else None

    def record(self, *keys: str) -> None:
        now = self.clock()
        for key in keys:
            hits = self._recent(key, now)
            if hits is None:
                hits = self._hits[key] = deque()
            hits.append(now)
            while len(hits) > max(self.limit, 1) * 2:  # refused attempts need not all be remembered
                hits.popleft()
            self._hits.move_to_end(key)
        while len(self._hits) > MAX_KEYS:
            self._hits.popitem(last=False)

    def _recent(self, key: str, now: float) -> deque[float] | None:
        hits = self._hits.get(key)
        if hits is None:
            return None
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if not hits:
            del self._hits[key]
            return None
        return hits


class LoginLimiter(WindowLimiter):
    """Login attempts per minute."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(per_minute, WINDOW_SECONDS, clock)

    @property
    def per_minute(self) -> int:
        return self.limit
