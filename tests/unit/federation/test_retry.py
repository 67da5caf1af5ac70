"""Retry policy (fediverse/federation/retry.py): Mastodon's backoff, Retry-After, and which answers are final."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from fediverse.federation.retry import backoff, classify_response, next_attempt, retry_after
from fediverse.jobs.outcome import Done, GiveUp, Retry

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize("attempt", [0, 1, 2, 5, 10, 15])
def test_backoff_is_attempt_to_the_fourth_plus_15_s_plus_bounded_jitter(attempt: int) -> None:
    base = attempt**4 + 15
    most = base + 0.5 * attempt**4 + 10 * (attempt + 1)
    for seed in range(50):
        assert base <= backoff(attempt, random.Random(seed)).total_seconds() <= most


def test_backoff_is_the_same_for_the_same_seed() -> None:
    assert backoff(4, random.Random(9)) == backoff(4, random.Random(9))


def test_sixteen_tries_span_two_to_three_days_as_mastodon_s_do() -> None:
    for seed in range(20):
        rng = random.Random(seed)
        total = sum((backoff(attempt, rng) for attempt in range(16)), timedelta())
        assert timedelta(days=2) < total < timedelta(days=3.2)


@pytest.mark.parametrize(("header", "expected"), [
    ("120", NOW + timedelta(seconds=120)),
    (" 120 ", NOW + timedelta(seconds=120)),
    ("0", NOW + timedelta(seconds=1)),  # never "now": at least a second
    ("999999", NOW + timedelta(days=1)),  # at most a day
    ("Sun, 01 Mar 2026 12:05:00 GMT", NOW + timedelta(minutes=5)),
    ("Sat, 28 Feb 2026 12:00:00 GMT", NOW + timedelta(seconds=1)),  # a date in the past
    ("Sun, 08 Mar 2026 12:00:00 GMT", NOW + timedelta(days=1)),
])
def test_retry_after_reads_seconds_or_a_date_clamped_to_a_second_and_a_day(header: str, expected: datetime) -> None:
    assert retry_after(header, NOW) == expected


@pytest.mark.parametrize("header", [None, "", "soon", "-5", "1.5", "Sun, 01 Mar 2026 12:05:00 -0000"])
def test_retry_after_that_says_nothing_usable_is_none(header: str | None) -> None:
    assert retry_after(header, NOW) is None  # the last one has no zone: naive, so not trusted


@pytest.mark.parametrize("status", [200, 201, 202, 204, 299])
def test_2xx_is_done(status: int) -> None:
    assert classify_response(status, None, NOW) == Done()


@pytest.mark.parametrize("status", [429, 503])
def test_429_and_503_are_retried_when_the_server_says(status: int) -> None:
    assert classify_response(status, "60", NOW) == Retry(f"inbox answered HTTP {status}", NOW + timedelta(seconds=60))
    assert classify_response(status, None, NOW) == Retry(f"inbox answered HTTP {status}", None)


@pytest.mark.parametrize("status", [400, 403, 404, 405, 410, 413, 422, 451, 499, 501])
def test_client_errors_and_501_are_final(status: int) -> None:
    assert classify_response(status, "60", NOW) == GiveUp(f"inbox answered HTTP {status}")


@pytest.mark.parametrize("status", [401, 408, 500, 502, 504, 520, 301, 302, 100])
def test_everything_else_is_retried_on_the_backoff_schedule(status: int) -> None:
    assert classify_response(status, "60", NOW) == Retry(f"inbox answered HTTP {status}", None)


def test_next_attempt_follows_the_server_s_time_or_the_backoff() -> None:
    asked = NOW + timedelta(minutes=7)
    assert next_attempt(Retry("busy", asked), 3, 16, NOW) == asked
    when = next_attempt(Retry("down"), 3, 16, NOW)
    assert when is not None and NOW + timedelta(seconds=3**4 + 15) <= when <= NOW + timedelta(seconds=3**4 * 1.5 + 15 + 40)


def test_no_next_attempt_once_the_attempts_are_used_up() -> None:
    assert next_attempt(Retry("down"), 15, 16, NOW) is not None
    assert next_attempt(Retry("down"), 16, 16, NOW) is None
    assert next_attempt(Retry("busy", NOW + timedelta(minutes=1)), 17, 16, NOW) is None
