"""Mastodon's freshness rule (``SignedRequest#matches_time_window?``).

Shared by both schemes so a request is judged fresh or stale the same way
whichever signature format it carries.
"""

from datetime import UTC, datetime, timedelta

from .errors import SignatureError

CLOCK_SKEW_MARGIN = timedelta(hours=1)
DEFAULT_LIFETIME = timedelta(minutes=5)
MAX_LIFETIME = timedelta(hours=12)


def timestamp_to_datetime(value: int | float, what: str) -> datetime:
    """Unix seconds to aware UTC, rejecting values datetime cannot hold."""
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise SignatureError(f"{what} is out of range") from exc


def check_time_window(
    created: datetime, expires: datetime | None, now: datetime | None = None
) -> None:
    """Reject requests from the future or past their (capped) expiry.

    With only a Date header this accepts Date in [now-65min, now+60min].
    """
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    if created > now + CLOCK_SKEW_MARGIN:
        raise SignatureError("Date outside the accepted window: signature created in the future")
    # Checked first so the additions below cannot overflow near datetime.max.
    limit = created + MAX_LIFETIME
    effective_expiry = min(expires or created + DEFAULT_LIFETIME, limit)
    if now > effective_expiry + CLOCK_SKEW_MARGIN:
        raise SignatureError("Date outside the accepted window: signature has expired")
