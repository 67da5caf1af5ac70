"""Statuses are written with the posts they index, in the same transaction, and go when the post goes.

art.test's alice posts works (one mentioning her neighbour erin, one mentioning bob@social.test); bob follows
her, so social.test stores her posts (one of them mentions him). bob boosts it and takes the boost back; alice edits a
work's visibility, then deletes the work: the status on both servers, and bob's boost of it, follow along.
"""

from __future__ import annotations

from sqlalchemy import select

from fediverse.db import accounts as account_db
from fediverse.models import Account, RemoteNote, Status, StatusAudience, Work
from fediverse.services import boosts
from fediverse.services.works import WorkInput, delete_work, edit_work
from fediverse.snowflake import lowest_id_at, time_of
from tests.federation.helpers import act, make_user, user
from tests.federation.test_works_federation import post_work
from tests.support import Instance, Network


async def statuses(instance: Instance) -> list[Status]:
    async with instance.rt.sessions() as session:
        return list(await session.scalars(select(Status).order_by(Status.id)))


async def audience(instance: Instance, status_id: int) -> set[str]:
    async with instance.rt.sessions() as session:
        rows = await session.scalars(select(Account.username).join(StatusAudience, StatusAudience.account_id == Account.id)
                                     .where(StatusAudience.status_id == status_id))
        return set(rows)


async def boost(instance: Instance, username: str, note_id: int, *, undo: bool = False) -> None:
    async with instance.rt.sessions() as session:
        me = await session.merge(await user(instance, username))
        await (boosts.unboost if undo else boosts.boost)(instance.rt, session, me, note_id)
        await session.commit()


async def test_works_get_a_status_that_follows_visibility_and_mentions_and_goes_with_the_work(
        network: Network) -> None:
    art = await network.add("art.test")
    await make_user(art, "alice")
    await make_user(art, "erin")
    first = await post_work(art, "alice", 1, title="Dawn")
    second = await post_work(art, "alice", 1, title="Dusk", description="For @erin@art.test", visibility="followers")

    one, two = await statuses(art)
    assert (one.work_id, two.work_id) == (first.id, second.id) and one.id < two.id
    assert one.account_id == two.account_id == first.account_id and one.reblog_of_id is None and one.uri is None
    assert (one.visibility, two.visibility) == ("public", "private")
    assert abs((time_of(two.id) - second.published_at).total_seconds()) < 5
    assert await audience(art, one.id) == set() and await audience(art, two.id) == {"erin"}

    async with art.rt.sessions() as session:
        me = await session.merge(await user(art, "alice"))
        await edit_work(art.rt, session, me, second.public_id, WorkInput(title="Dusk", visibility="unlisted"))
    [_, edited] = await statuses(art)
    assert edited.id == two.id and edited.visibility == "unlisted"
    assert await audience(art, two.id) == set()  # the mention is gone from the text, so is erin's right

    async with art.rt.sessions() as session:
        me = await session.merge(await user(art, "alice"))
        await delete_work(art.rt, session, me, second.public_id)
        assert (await session.get(Work, second.id)) is not None  # the tombstone stays (410)
    assert [s.work_id for s in await statuses(art)] == [first.id]


async def test_stored_notes_and_our_boosts_get_statuses_that_go_with_undo_and_delete(network: Network) -> None:
    art = await network.add("art.test")
    social = await network.add("social.test")
    await make_user(art, "alice")
    await make_user(social, "bob")
    await act(social, "follow", "bob", "alice@art.test")
    await network.drain()
    other = await post_work(art, "alice", 1, title="Other")  # bob follows alice: stored on social.test too
    work = await post_work(art, "alice", 1, title="Harbour", description="For @bob@social.test")
    await network.drain()

    async with social.rt.sessions() as session:
        note = await session.scalar(select(RemoteNote).where(RemoteNote.uri == work.uri))
        other_note = await session.scalar(select(RemoteNote).where(RemoteNote.uri == other.uri))
        bob = await account_db.local_by_username(session, "bob")
        assert bob is not None and note is not None and other_note is not None

    async def statuses_of_note() -> list[Status]:  # the other post's status is not part of this story
        return [s for s in await statuses(social) if s.remote_note_id != other_note.id]

    [status] = await statuses_of_note()
    assert status.remote_note_id == note.id and status.account_id == note.account_id
    assert status.visibility == note.visibility == "public" and status.work_id is status.reblog_of_id is None
    assert lowest_id_at(note.published_at) <= status.id < lowest_id_at(note.published_at) + (1 << 16)
    assert await audience(social, status.id) == {"bob"}

    await boost(social, "bob", note.id)
    [_, boosted] = await statuses_of_note()
    assert boosted.reblog_of_id == status.id and boosted.account_id == bob.id
    assert boosted.uri is not None and boosted.uri.startswith(f"{bob.uri}/boosts/") and boosted.visibility == "public"
    await boost(social, "bob", note.id, undo=True)
    assert [s.id for s in await statuses_of_note()] == [status.id]
    await boost(social, "bob", note.id)  # boosted again, then the post is deleted at its origin
    await network.drain()
    assert len(await statuses_of_note()) == 2

    async with art.rt.sessions() as session:
        me = await session.merge(await user(art, "alice"))
        await delete_work(art.rt, session, me, work.public_id)
    await network.drain()
    assert await statuses_of_note() == []  # the note's status and bob's boost of it
    assert [s.work_id for s in await statuses(art)] == [other.id]
