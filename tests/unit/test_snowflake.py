"""fediverse/snowflake.py: time-ordered 64-bit ids that page timelines and the client API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from fediverse import snowflake
from fediverse.snowflake import MAX_ID, lowest_id_at, new_id, snowflake_at, time_of

MOMENT = datetime(2026, 12, 7, 11, 48, 12, 345_000, tzinfo=UTC)


def test_a_later_millisecond_always_gives_a_larger_id() -> None:
    ids = [snowflake_at(MOMENT + timedelta(milliseconds=n)) for n in range(2000)]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


def test_the_id_carries_its_millisecond_in_the_high_48_bits() -> None:
    made = snowflake_at(MOMENT)
    assert made >> 16 == int(MOMENT.timestamp() * 1000)
    assert time_of(made) == MOMENT
    assert lowest_id_at(MOMENT) <= made < lowest_id_at(MOMENT + timedelta(milliseconds=1))


def test_the_lowest_id_of_a_moment_has_no_low_bits_and_ignores_sub_millisecond_time() -> None:
    assert lowest_id_at(MOMENT) == int(MOMENT.timestamp() * 1000) << 16
    assert lowest_id_at(MOMENT + timedelta(microseconds=999)) == lowest_id_at(MOMENT)


def test_other_time_zones_give_the_same_instant() -> None:
    elsewhere = MOMENT.astimezone(timezone(timedelta(hours=-5)))
    assert lowest_id_at(elsewhere) == lowest_id_at(MOMENT)


def test_100k_ids_made_in_a_tight_loop_are_unique_and_increasing() -> None:
    ids = [new_id() for _ in range(100_000)]
    assert len(set(ids)) == len(ids)
    assert all(a < b for a, b in zip(ids, ids[1:]))


def test_ids_of_one_frozen_millisecond_stay_unique_past_the_16_low_bits() -> None:
    ids = [new_id(MOMENT) for _ in range(70_000)]  # more than 65,536: borrows the next milliseconds
    assert len(set(ids)) == len(ids) and ids == sorted(ids)


def test_ids_made_at_the_same_instant_differ_in_their_low_bits() -> None:
    assert len({snowflake_at(MOMENT) for _ in range(1000)}) == 1000


def test_ids_fit_a_signed_bigint_from_1970_to_the_last_representable_millisecond() -> None:
    assert lowest_id_at(datetime(1970, 1, 1, tzinfo=UTC)) == 0
    assert 0 <= snowflake_at(datetime(1970, 1, 1, tzinfo=UTC)) < 1 << 16
    last = snowflake.EPOCH + timedelta(milliseconds=snowflake.MAX_MILLIS)
    assert 0 < snowflake_at(last) <= MAX_ID == 2**63 - 1
    with pytest.raises(ValueError, match="too far in the future"):
        snowflake_at(last + timedelta(milliseconds=1))


def test_a_datetime_before_1970_is_refused_with_a_clear_error() -> None:
    with pytest.raises(ValueError, match="start at 1970-01-01"):
        snowflake_at(datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC))
    with pytest.raises(ValueError, match="start at 1970-01-01"):
        lowest_id_at(datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC))


def test_a_naive_datetime_is_refused_with_a_clear_error() -> None:
    with pytest.raises(ValueError, match="aware datetime"):
        snowflake_at(datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="aware datetime"):
        lowest_id_at(datetime(2026, 1, 1))


def test_time_of_refuses_what_is_not_a_64_bit_id() -> None:
    with pytest.raises(ValueError):
        time_of(-1)
    with pytest.raises(ValueError):
        time_of(2**63)


@pytest.mark.parametrize("raw, expected", [
    ("0", 0), ("1", 1), ("115000000000000000", 115000000000000000), (str(snowflake.MAX_ID), snowflake.MAX_ID),
    (None, None), ("", None), ("-1", None), ("1.5", None), ("12a", None), (" 1", None), ("١٢", None),
    (str(snowflake.MAX_ID + 1), None), ("9" * 30, None), ("0" * 20 + "1", None),
])
def test_parse_id_takes_digits_within_a_signed_64_bit_id_and_nothing_else(raw, expected) -> None:
    assert snowflake.parse_id(raw) == expected


def test_is_id_refuses_what_cannot_be_a_status_row() -> None:
    assert snowflake.is_id(1) and snowflake.is_id(snowflake.MAX_ID)
    assert not snowflake.is_id(0) and not snowflake.is_id(-5) and not snowflake.is_id(snowflake.MAX_ID + 1)
