"""Time-ordered 64-bit ids for statuses, as Mastodon makes them (``Mastodon::Snowflake``). Pure: no I/O.

Why: timelines page by id ("older than X", "newer than Y") on SQLite and PostgreSQL alike, and the client API
exposes these ids as decimal strings. An id is the milliseconds since the Unix epoch in the high 48 bits and
16 low bits that tell apart ids of the same millisecond. Mastodon hashes a database sequence into them; we
use a per-process counter with a random start, so two processes rarely pick the same low bits either.
Ids stay below 2**63 (a signed BIGINT) until the year 6429; later times are refused.
"""

from __future__ import annotations

import itertools
import secrets
import threading
from datetime import UTC, datetime, timedelta

SEQUENCE_BITS = 16
SEQUENCE_MASK = (1 << SEQUENCE_BITS) - 1
MAX_MILLIS = (1 << (63 - SEQUENCE_BITS)) - 1  # so that every id is below 2**63 (a signed BIGINT)
MAX_ID = (1 << 63) - 1
MAX_ID_DIGITS = len(str(MAX_ID))  # 19
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MS = timedelta(milliseconds=1)

_counter = itertools.count(secrets.randbelow(1 << SEQUENCE_BITS))
_lock = threading.Lock()
_last = 0  # the last id this process made with new_id(), so ids of one process strictly increase


def parse_id(raw: str | None) -> int | None:
    """A status id (or page cursor) from a query or form value: decimal digits within a signed 64-bit id, else
    None (the caller names the problem in its own words). One rule for every page, feed and API parameter."""
    if raw is None or not raw.isascii() or not raw.isdigit() or len(raw) > MAX_ID_DIGITS:
        return None
    value = int(raw)
    return value if value <= MAX_ID else None


def is_id(value: int) -> bool:
    """Whether an integer can be a status id (so looking it up cannot overflow a BIGINT column)."""
    return 0 < value <= MAX_ID


def _millis(when: datetime) -> int:
    """Milliseconds since the epoch of an aware datetime; naive or pre-1970 times are refused."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"snowflake ids need an aware datetime (with a time zone), not the naive {when!r}")
    millis = (when.astimezone(UTC) - EPOCH) // _ONE_MS
    if millis < 0:
        raise ValueError(f"snowflake ids start at 1970-01-01 UTC; {when.isoformat()} is before it")
    if millis > MAX_MILLIS:
        raise ValueError(f"{when.isoformat()} is too far in the future for a 64-bit snowflake id")
    return millis


def snowflake_at(when: datetime) -> int:
    """An id for something that happened at ``when`` (a remote post's published time, a backfilled work)."""
    with _lock:
        return (_millis(when) << SEQUENCE_BITS) | (next(_counter) & SEQUENCE_MASK)


def lowest_id_at(when: datetime) -> int:
    """The smallest id of the moment ``when``: ``id >= lowest_id_at(t)`` selects what happened since ``t``."""
    return _millis(when) << SEQUENCE_BITS


def time_of(snowflake: int) -> datetime:
    """The millisecond an id was made for (the inverse of ``snowflake_at``, to the millisecond)."""
    if not 0 <= snowflake <= MAX_ID:
        raise ValueError(f"{snowflake} is not a 64-bit snowflake id")
    return datetime.fromtimestamp((snowflake >> SEQUENCE_BITS) / 1000, tz=UTC)


def new_id(now: datetime | None = None) -> int:
    """An id for something happening now: greater than every id this process made before, even when the
    clock stands still or the 16 low bits of one millisecond run out (then it borrows the next millisecond)."""
    global _last
    candidate = snowflake_at(now or datetime.now(UTC))
    with _lock:
        if candidate <= _last:
            candidate = _last + 1
        _last = candidate
        return candidate


def id_for_published(published: datetime, now: datetime) -> int:
    """An id for a post from its claimed published time, kept between 1970 and ``now``: a remote server's clock
    (or a hostile note dated in 2999) must not pin its post to the top of every timeline, as Mastodon also
    refuses ids from the future."""
    return snowflake_at(min(max(published, EPOCH), now))
