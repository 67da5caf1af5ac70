"""Job kinds (fediverse/jobs/kinds.py): each kind to its row and back, the stored names and payload shapes that
rows already in databases rely on, and rows that fit no kind refused with a message saying why."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, get_args

import orjson
import pytest

from fediverse.jobs.kinds import (
    KINDS, BadJob, Deliver, FanOut, FetchRemoteMedia, JobKind, ProcessInbound, Restamp, from_row, insert_values,
    payload_of,
)
from fediverse.models import QUEUED, utcnow

# What rows in existing databases hold: a change here needs a migration.
STORED: list[tuple[JobKind, str, dict[str, Any], str | None, str | None]] = [
    (Deliver(7, "https://Mastodon.Example/inbox"), "deliver", {"activity": 7, "inbox": "https://Mastodon.Example/inbox"},
     "deliver:7:https://Mastodon.Example/inbox", "mastodon.example"),
    (FanOut(7), "fanout", {"activity": 7}, "fanout:7", None),
    (ProcessInbound(12), "process_inbound", {"inbound": 12}, "inbound:12", None),
    (Restamp(3), "restamp", {"work": 3}, None, None),
    (FetchRemoteMedia(5), "fetch_remote_media", {"media": 5}, None, None),
]


def test_every_kind_is_registered_under_its_name() -> None:
    assert set(KINDS.values()) == set(get_args(JobKind))
    assert {job.kind for job, *_ in STORED} == set(KINDS)


@pytest.mark.parametrize(("job", "kind", "payload", "dedupe_key", "domain"), STORED, ids=[s[1] for s in STORED])
def test_a_job_becomes_the_row_it_always_was_and_comes_back_equal(
        job: JobKind, kind: str, payload: dict[str, Any], dedupe_key: str | None, domain: str | None) -> None:
    now = utcnow()
    row = insert_values(job, now)
    assert row == {"kind": kind, "payload": payload, "dedupe_key": dedupe_key, "domain": domain,
                   "state": QUEUED, "attempts": 0, "run_at": now, "created_at": now}
    stored = orjson.loads(orjson.dumps(row["payload"]))  # through the JSON column
    assert from_row(row["kind"], stored) == job
    assert list(payload_of(job)) == list(payload)  # same key order as before, so the JSON text is the same


def test_a_later_run_at_is_kept_and_created_at_is_now() -> None:
    now = utcnow()
    later = now + timedelta(hours=1)
    row = insert_values(Restamp(1), now, later)
    assert (row["run_at"], row["created_at"]) == (later, now)


def test_two_deliveries_of_one_activity_to_one_inbox_share_a_dedupe_key_and_others_do_not() -> None:
    assert Deliver(1, "https://a.test/inbox").dedupe_key == Deliver(1, "https://a.test/inbox").dedupe_key
    assert Deliver(1, "https://a.test/inbox").dedupe_key != Deliver(2, "https://a.test/inbox").dedupe_key
    assert Deliver(1, "https://a.test/inbox").dedupe_key != Deliver(1, "https://a.test/users/x/inbox").dedupe_key
    assert FanOut(1).dedupe_key != Deliver(1, "").dedupe_key


def test_jobs_are_values() -> None:
    job = Deliver(1, "https://a.test/inbox")
    with pytest.raises(AttributeError):
        job.activity = 2  # type: ignore[misc]
    assert len({job, Deliver(1, "https://a.test/inbox")}) == 1


def test_an_unknown_kind_is_refused_by_name() -> None:
    with pytest.raises(BadJob, match="unknown job kind 'noop'"):
        from_row("noop", {})


@pytest.mark.parametrize(("kind", "payload", "message"), [
    ("deliver", {"activity": 1}, r"payload has fields \['activity'\], expected \['activity', 'inbox'\]"),
    ("fanout", {"activity": 1, "inbox": "https://a.test/inbox"}, "payload has fields"),
    ("restamp", {}, "payload has fields"),
    ("restamp", {"work": "3"}, "work must be int, not str"),
    ("restamp", {"work": True}, "work must be int, not bool"),
    ("fetch_remote_media", {"media": 5.0}, "media must be int, not float"),
    ("deliver", {"activity": 1, "inbox": None}, "inbox must be str, not NoneType"),
    ("process_inbound", [12], "payload must be a JSON object, not list"),
    ("process_inbound", None, "payload must be a JSON object, not NoneType"),
])
def test_a_payload_that_does_not_fit_its_kind_is_refused_saying_what_is_wrong(kind: str, payload: Any, message: str) -> None:
    with pytest.raises(BadJob, match=message) as refused:
        from_row(kind, payload)
    assert str(refused.value).startswith(f"{kind} job: ")
