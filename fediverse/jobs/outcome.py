"""What a job handler reports back; the runner turns it into the row's next state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Done:
    note: str | None = None


@dataclass(frozen=True)
class Retry:
    error: str
    at: datetime | None = None  # None: the runner applies the backoff policy


@dataclass(frozen=True)
class GiveUp:
    error: str


Outcome = Done | Retry | GiveUp
