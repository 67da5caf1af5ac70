"""Login attempts per minute, per username and per client address (sliding window, in memory, bounded).

Each process keeps its own counts: with several web processes the effective limit is that many times higher.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from typing import Callable

WINDOW_SECONDS = 60.0
MAX_KEYS = 50_000


class LoginLimiter:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()

    def retry_after(self, *keys: str) -> int | None:
        """Seconds until another attempt is allowed, when any key is at its limit; None when all are free."""
        now = self.clock()
        waits = []
        for key in keys:
            hits = self._recent(key, now)
            if hits is not None and len(hits) >= self.per_minute:
                waits.append(hits[0] + WINDOW_SECONDS - now)
        return max(1, math.ceil(max(waits))) if waits else None

    def record(self, *keys: str) -> None:
        now = self.clock()
        for key in keys:
            hits = self._recent(key, now)
            if hits is None:
                hits = self._hits[key] = deque()
            hits.append(now)
            self._hits.move_to_end(key)
        while len(self._hits) > MAX_KEYS:
            self._hits.popitem(last=False)

    def _recent(self, key: str, now: float) -> deque[float] | None:
        hits = self._hits.get(key)
        if hits is None:
            return None
        while hits and hits[0] <= now - WINDOW_SECONDS:
            hits.popleft()
        if not hits:
            del self._hits[key]
            return None
        return hits
