"""The time the code measures windows against, as one object the runtime holds (`rt.clock`).

Fixed-window rate limits, the sign-up form's fill time and the daily sign-up cap read the time through a
Clock, so a test can hold it still (or step it) and never straddle a window's edge however slow the machine
is. Production uses the system clock; nothing else about the behaviour changes.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def time(self) -> float:
        """Seconds since the epoch (what fixed windows are counted in)."""
        ...

    def now(self) -> datetime:
        """The same moment as an aware UTC datetime (what database timestamps are compared with)."""
        ...


class SystemClock:
    """The wall clock."""

    def time(self) -> float:
        return time.time()

    def now(self) -> datetime:
        return datetime.now(UTC)


SYSTEM_CLOCK = SystemClock()
