"""Retry policy, pure: Mastodon's schedule (attempt^4 + 15 s + jitter, ~2-3 days over 16 tries)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from fediverse.jobs.outcome import Done, GiveUp, Outcome, Retry

MAX_RETRY_AFTER = timedelta(days=1)


def backoff(attempt: int, rng: random.Random | None = None) -> timedelta:
    """Delay before attempt `attempt + 1`."""
    base = attempt**4 + 15
    jitter = (rng or random).uniform(0, 0.5 * attempt**4) + (rng or random).uniform(0, 10) * (attempt + 1)
    return timedelta(seconds=base + jitter)


def retry_after(value: str | None, now: datetime) -> datetime | None:
    """Parse Retry-After (seconds or HTTP date), clamped to [now + 1 s, now + 1 day]."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        moment = now + timedelta(seconds=int(value))
    else:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if moment.tzinfo is None:
            return None
    return min(max(moment, now + timedelta(seconds=1)), now + MAX_RETRY_AFTER)


def classify_response(status: int, retry_after_header: str | None, now: datetime) -> Outcome:
    """2xx done; 429/503 when the server says; other 4xx (but 401, 408) and 501 final; the rest retried."""
    if 200 <= status < 300:
        return Done()
    error = f"inbox answered HTTP {status}"
    if status in (429, 503):
        return Retry(error, retry_after(retry_after_header, now))
    if (400 <= status < 500 and status not in (401, 408)) or status == 501:
        return GiveUp(error)
    return Retry(error)


def next_attempt(outcome: Retry, attempts: int, max_attempts: int, now: datetime) -> datetime | None:
    """When to try again, or None when the attempts are used up."""
    if attempts >= max_attempts:
        return None
    return outcome.at or now + backoff(attempts)
