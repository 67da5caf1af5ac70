"""What a transaction did that streaming clients hear about: new statuses, edits, deletions, notifications.

Every status row and every notification row is added through the ORM, so a flush hook sees them all, wherever
they were made (a studio upload, an app's post, an inbound note or boost, a like): no service has to remember
to announce them. Edits and deletions go through fediverse/db/statuses.py, which says them with `mark`.
Only recent posts are announced as new (an old one fetched for a thread is no news).
The events wait in the session until its transaction commits and are then handed to the publisher (a rollback
drops them), so a client never hears of a post that does not exist.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from fediverse.models import Notification, Status

PENDING_KEY = "fediverse.stream_events"
UPDATE, STATUS_UPDATE, DELETE, NOTIFICATION = "update", "status.update", "delete", "notification"
KINDS = (UPDATE, STATUS_UPDATE, DELETE, NOTIFICATION)
REALTIME_WINDOW = timedelta(hours=6)


@dataclass(frozen=True)
class Event:
    """``id``: the status id (the notification id for a notification); ``account_id``: the status's author (the
    notified person for a notification); ``visibility``: the status's (empty for a notification)."""

    kind: str
    id: int
    account_id: int
    visibility: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, doc: Any) -> Event | None:
        """The event of a published message, or None for anything malformed (Redis is shared: never trust it)."""
        try:
            made = cls(str(doc["kind"]), int(doc["id"]), int(doc["account_id"]), str(doc.get("visibility", "")))
        except (KeyError, TypeError, ValueError, AttributeError):
            return None
        return made if made.kind in KINDS else None


def mark(session: Any, item: Event) -> None:
    """Announce ``item`` once the session's transaction commits (``session``: a Session or an AsyncSession)."""
    target = getattr(session, "sync_session", session)
    target.info.setdefault(PENDING_KEY, []).append(item)


def status_event(kind: str, status: Status) -> Event:
    return Event(kind, status.id, status.account_id, status.visibility)


def _recent(created: datetime | None, now: datetime) -> bool:
    """A post arrives live only when it is recent (Mastodon's real-time window): an old one fetched for a thread
    or a profile joins the timelines where its date puts it, never the top of a live stream."""
    if created is None:
        return True
    if created.tzinfo is None:
        created = created.replace(tzinfo=timezone.utc)
    return now - created <= REALTIME_WINDOW


def install_hook(session_class: type[Session], publish: Callable[[list[Event]], None],
                 now: Callable[[], datetime]) -> None:
    """Hand the events of each committed transaction of ``session_class`` to ``publish`` (right after commit);
    ``now`` is the runtime's clock, for the real-time window."""

    def after_flush(session: Session, _context: Any) -> None:
        for row in session.new:
            if isinstance(row, Status):
                if _recent(row.created_at, now()):
                    mark(session, status_event(UPDATE, row))
            elif isinstance(row, Notification):
                mark(session, Event(NOTIFICATION, row.id, row.account_id))

    def after_commit(session: Session) -> None:
        if session.in_nested_transaction():  # a SAVEPOINT released: the transaction is still open
            return
        pending: list[Event] = session.info.pop(PENDING_KEY, [])
        if pending:
            publish(list(dict.fromkeys(pending)))

    def after_soft_rollback(session: Session, previous: SessionTransaction) -> None:
        # A SAVEPOINT rolled back leaves the transaction open and its events standing (whoever renders an
        # event reads the committed row, so one whose row went with the savepoint is simply not shown).
        if not previous.nested:
            session.info.pop(PENDING_KEY, None)

    event.listen(session_class, "after_flush", after_flush)
    event.listen(session_class, "after_commit", after_commit)
    event.listen(session_class, "after_soft_rollback", after_soft_rollback)
