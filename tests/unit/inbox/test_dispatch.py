"""Inbox dispatch (fediverse/inbox/dispatch.py) on a real database: each stored activity is processed once, by
its type's handler, unless its actor or domain is suspended here or a moderator has yet to review it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any, AsyncIterator

import pytest

from fediverse.inbox.dispatch import process_inbound
from fediverse.jobs.outcome import Done, GiveUp
from fediverse.models import Account, DomainBlock, InboundActivity, utcnow
from fediverse.runtime import Runtime
from tests.support import bare_runtime

AS = "https://www.w3.org/ns/activitystreams"
ACTOR = "https://remote.test/users/ann"


@pytest.fixture
async def rt(tmp_path: Path) -> AsyncIterator[Runtime]:
    async with bare_runtime(tmp_path, "here.test") as runtime:
        yield runtime


async def known_actor(rt: Runtime, **fields: Any) -> int:
    async with rt.sessions() as session:
        account = Account(uri=ACTOR, handle="ann@remote.test", username="ann", domain="remote.test",
                          inbox_url=ACTOR + "/inbox", **fields)
        session.add(account)
        await session.commit()
        return account.id


async def stored(rt: Runtime, type: str = "Like", object: str = "https://here.test/works/nothing", **row: Any) -> int:
    raw = {"@context": AS, "id": f"https://remote.test/activities/{type.lower()}-1", "type": type, "actor": ACTOR,
           "object": object}
    async with rt.sessions() as session:
        activity = InboundActivity(uri=raw["id"], type=type, actor_uri=ACTOR, raw=raw | row.pop("raw", {}), **row)
        session.add(activity)
        await session.commit()
        return activity.id


async def row_of(rt: Runtime, inbound_id: int) -> InboundActivity:
    async with rt.sessions() as session:
        row = await session.get(InboundActivity, inbound_id)
        assert row is not None
        return row


async def test_the_type_s_handler_runs_and_the_row_is_marked_with_its_outcome(rt: Runtime) -> None:
    await known_actor(rt)
    inbound = await stored(rt, "Like")
    assert await process_inbound(rt, inbound) == Done("ignored: Like of no work of ours")
    row = await row_of(rt, inbound)
    assert row.processed_at is not None and row.outcome == "ignored: Like of no work of ours"


async def test_a_row_already_processed_is_left_alone(rt: Runtime) -> None:
    await known_actor(rt)
    inbound = await stored(rt, "Like")
    await process_inbound(rt, inbound)
    first = await row_of(rt, inbound)
    assert await process_inbound(rt, inbound) == Done("already processed")
    again = await row_of(rt, inbound)
    assert (again.processed_at, again.outcome) == (first.processed_at, first.outcome)


async def test_a_row_that_is_gone_is_given_up(rt: Runtime) -> None:
    assert await process_inbound(rt, 4242) == GiveUp("inbound activity no longer exists")


async def test_an_unknown_actor_or_an_unhandled_type_is_marked_processed_and_ignored(rt: Runtime) -> None:
    stranger = await stored(rt, "Like")
    assert await process_inbound(rt, stranger) == Done("actor unknown")
    assert (await row_of(rt, stranger)).outcome == "actor unknown"
    await known_actor(rt)
    move = await stored(rt, "Move", object=ACTOR)
    assert await process_inbound(rt, move) == Done("ignored: Move is not handled")
    assert (await row_of(rt, move)).processed_at is not None


async def test_an_unparseable_row_is_given_up_and_stays_unprocessed(rt: Runtime) -> None:
    await known_actor(rt)
    inbound = await stored(rt, "Like", raw={"actor": 42})
    outcome = await process_inbound(rt, inbound)
    assert isinstance(outcome, GiveUp) and outcome.error.startswith("unparseable: ")
    assert (await row_of(rt, inbound)).processed_at is None


async def test_a_row_held_for_a_moderator_waits_until_reviewed(rt: Runtime) -> None:
    await known_actor(rt)
    inbound = await stored(rt, "Like", quarantine_reason="new account")
    assert await process_inbound(rt, inbound) == Done("held in the quarantine")
    assert (await row_of(rt, inbound)).processed_at is None
    async with rt.sessions() as session:
        row = await session.get(InboundActivity, inbound)
        assert row is not None
        row.reviewed_at = utcnow()  # released by a moderator
        await session.commit()
    assert await process_inbound(rt, inbound) == Done("ignored: Like of no work of ours")


async def test_nothing_from_a_suspended_domain_is_applied(rt: Runtime) -> None:
    await known_actor(rt)
    async with rt.sessions() as session:
        session.add(DomainBlock(domain="remote.test", severity="suspend"))
        await session.commit()
    inbound = await stored(rt, "Like")
    assert await process_inbound(rt, inbound) == Done("ignored: the actor's domain is suspended")
    assert (await row_of(rt, inbound)).processed_at is not None


async def test_a_suspended_actor_can_only_delete_itself(rt: Runtime) -> None:
    account_id = await known_actor(rt, suspended_at=utcnow() - timedelta(days=1))
    like = await stored(rt, "Like")
    assert await process_inbound(rt, like) == Done("ignored: the actor is suspended here")
    delete = await stored(rt, "Delete", object=ACTOR)
    assert await process_inbound(rt, delete) == Done("actor deleted")
    async with rt.sessions() as session:
        assert await session.get(Account, account_id) is None
