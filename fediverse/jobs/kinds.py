"""Every kind of job, as a small frozen dataclass whose fields are its payload.

A job row stores a `kind` (a stable name: rows outlive releases, so a name is never changed) and a JSON
`payload` (the dataclass's fields by name). This module is the only place that knows those names:
`insert_values` turns a job into its row and `from_row` turns a row back into a job, refusing an unknown kind
or a payload that does not fit with a clear `BadJob`. Everything else builds and reads typed jobs, so a
misspelt field is a type error, not a KeyError in a worker.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, get_type_hints
from urllib.parse import urlsplit

from fediverse.errors import FediverseError
from fediverse.models import QUEUED


class BadJob(FediverseError):
    """A row no handler can run: its kind is unknown, or its payload does not fit the kind."""


class _Kind:
    """What every job has besides its fields; a kind overrides what it needs."""

    kind: ClassVar[str]

    @property
    def dedupe_key(self) -> str | None:
        """A unique key for jobs that must exist once (the database refuses a second row with it)."""
        return None

    @property
    def domain(self) -> str | None:
        """The remote host the job talks to, for per-domain figures and levers (admin federation page)."""
        return None


@dataclass(frozen=True)
class Deliver(_Kind):
    """POST one stored outbound activity to one inbox (federation.deliver)."""

    kind: ClassVar[str] = "deliver"
    activity: int
    inbox: str

    @property
    def dedupe_key(self) -> str:
        return f"deliver:{self.activity}:{self.inbox}"

    @property
    def domain(self) -> str:
        return urlsplit(self.inbox).netloc.lower()


@dataclass(frozen=True)
class FanOut(_Kind):
    """Turn an activity addressed to the author's followers into one Deliver per distinct inbox."""

    kind: ClassVar[str] = "fanout"
    activity: int

    @property
    def dedupe_key(self) -> str:
        return f"fanout:{self.activity}"


@dataclass(frozen=True)
class ProcessInbound(_Kind):
    """Apply one stored, verified inbound activity (inbox.dispatch)."""

    kind: ClassVar[str] = "process_inbound"
    inbound: int

    @property
    def dedupe_key(self) -> str:
        return f"inbound:{self.inbound}"


@dataclass(frozen=True)
class Restamp(_Kind):
    """Derive a work's image files again with its current consent record as XMP (services.restamp)."""

    kind: ClassVar[str] = "restamp"
    work: int


@dataclass(frozen=True)
class FetchRemoteMedia(_Kind):
    """Fetch and cache one remote image with its consent signals (services.remote_media)."""

    kind: ClassVar[str] = "fetch_remote_media"
    media: int


JobKind = Deliver | FanOut | ProcessInbound | Restamp | FetchRemoteMedia
KINDS: dict[str, type[JobKind]] = {cls.kind: cls for cls in (Deliver, FanOut, ProcessInbound, Restamp, FetchRemoteMedia)}


def _field_types(cls: type[JobKind]) -> dict[str, type]:
    """Field name -> its type (int or str), in declaration order: the payload's keys."""
    hints = get_type_hints(cls)
    return {field.name: hints[field.name] for field in dataclasses.fields(cls)}


_FIELDS = {cls: _field_types(cls) for cls in KINDS.values()}


def payload_of(job: JobKind) -> dict[str, Any]:
    """The row's JSON payload: the job's fields by name."""
    return {name: getattr(job, name) for name in _FIELDS[type(job)]}


def insert_values(job: JobKind, now: datetime, run_at: datetime | None = None) -> dict[str, Any]:
    """The values of a new queued row for `job`: the one shape enqueue, bulk fan-out and the inbox write."""
    return {"kind": job.kind, "payload": payload_of(job), "dedupe_key": job.dedupe_key, "domain": job.domain,
            "state": QUEUED, "attempts": 0, "run_at": run_at or now, "created_at": now}


def from_row(kind: str, payload: object) -> JobKind:
    """The typed job a row stands for; BadJob says what is wrong with a row that fits no kind."""
    cls = KINDS.get(kind)
    if cls is None:
        raise BadJob(f"unknown job kind {kind!r}")
    if not isinstance(payload, dict):
        raise BadJob(f"{kind} job: the payload must be a JSON object, not {type(payload).__name__}")
    expected = _FIELDS[cls]
    if set(payload) != set(expected):
        raise BadJob(f"{kind} job: the payload has fields {sorted(payload)}, expected {list(expected)}")
    for name, typ in expected.items():
        if type(payload[name]) is not typ:  # exact: true is not an id, nor "12" an int
            raise BadJob(f"{kind} job: {name} must be {typ.__name__}, not {type(payload[name]).__name__}")
    return cls(**payload)
