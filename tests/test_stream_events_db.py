"""The stream events of a transaction are published once, after it commits: a released or rolled-back SAVEPOINT
neither publishes them early nor drops them, and a rolled-back transaction publishes nothing. Only recent
statuses are news; messages read back from Redis are checked."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from fediverse.db import statuses as status_db
from fediverse.db.stream_events import DELETE, UPDATE, Event, mark
from fediverse.models import utcnow
from fediverse.services.stream_bus import StreamBus
from tests.api.world import note
from tests.federation.helpers import make_user, user
from tests.support import Network


async def test_events_wait_for_the_outer_commit_and_die_with_its_rollback(network: Network) -> None:
    art = await network.add("art.test")
    bus: StreamBus = art.rt.streams
    listener = await bus.listen()
    try:
        async with art.rt.sessions() as session:
            mark(session, Event(UPDATE, 1, 1, "public"))
            async with session.begin_nested():
                mark(session, Event(UPDATE, 2, 1, "public"))
            assert listener.queue.empty()  # the savepoint's release is no commit
            try:
                async with session.begin_nested():
                    mark(session, Event(UPDATE, 3, 1, "public"))
                    raise ValueError("roll the savepoint back")
            except ValueError:
                pass
            assert listener.queue.empty()
            await session.commit()
        assert [listener.queue.get_nowait().id for _ in range(3)] == [1, 2, 3]

        async with art.rt.sessions() as session:
            await session.execute(text("SELECT 1"))  # the transaction has begun
            mark(session, Event(DELETE, 4, 1, "public"))
            await session.rollback()
            await session.commit()
        assert listener.queue.empty()
    finally:
        bus.leave(listener)


def test_published_messages_are_checked() -> None:
    assert Event.from_json({"kind": "update", "id": "5", "account_id": 2, "visibility": "public"}) == \
        Event(UPDATE, 5, 2, "public")
    for bad in ({"kind": "drop tables", "id": 1, "account_id": 1}, {"kind": "update"}, [], None,
                {"kind": "update", "id": "x", "account_id": 1}):
        assert Event.from_json(bad) is None


async def test_only_recent_statuses_are_news(network: Network) -> None:
    """A boost dated two days back (an old Announce fetched late) is stored without an update event; one dated
    now is announced."""
    art = await network.add("art.test")
    for name in ("alice", "bob"):
        await make_user(art, name)
    posted = await note(art, "alice", "Worth boosting")
    bob = await user(art, "bob")
    listener = await art.rt.streams.listen()
    try:
        async with art.rt.sessions() as session:
            boosted = await status_db.by_id(session, posted)
            assert boosted is not None
            old = await status_db.add_remote_boost(
                session, bob.account_id, "https://art.test/old-announce", boosted, visibility="public",
                published=utcnow() - timedelta(days=2), addressed=[])
            await session.commit()
        assert listener.queue.empty(), old.id
        async with art.rt.sessions() as session:
            boosted = await status_db.by_id(session, posted)
            assert boosted is not None
            fresh = await status_db.add_remote_boost(
                session, bob.account_id, "https://art.test/new-announce", boosted, visibility="public",
                published=utcnow(), addressed=[])
            await session.commit()
        assert listener.queue.get_nowait() == Event(UPDATE, fresh.id, bob.account_id, "public")
    finally:
        art.rt.streams.leave(listener)
