"""Moderation across instances: Flags both ways, domain suspension at every door, a local suspension federating."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import func, select

from fediverse.db import accounts as account_db
from fediverse.models import Account, DomainBlock, Follow, InboundActivity, Job, RemoteNote, Report
from fediverse.services import account_actions, domain_blocks, reports
from fediverse.services.blocklist_csv import BlockInput
from tests.federation.helpers import act, make_user, user
from tests.federation.test_inbox_bad_input import signed_post
from tests.federation.test_works_federation import post_work, received
from tests.support import Instance, Network


async def _reports(instance: Instance) -> list[Report]:
    async with instance.rt.sessions() as session:
        return list(await session.scalars(select(Report).order_by(Report.id)))


async def _outcomes(instance: Instance, kind: str) -> list[str | None]:
    async with instance.rt.sessions() as session:
        rows = await session.scalars(select(InboundActivity.outcome).where(InboundActivity.type == kind))
        return list(rows)


async def _account(instance: Instance, uri: str) -> Account | None:
    async with instance.rt.sessions() as session:
        return await account_db.by_uri(session, uri)


async def test_a_forwarded_report_arrives_as_an_anonymous_flag_from_the_instance_actor_and_becomes_a_report(
        network: Network) -> None:
    a = await network.add("art.test")
    b = await network.add("social.test", spam={"quarantine_new_account_hours": 0})  # alice is brand-new there
    alice = await make_user(a, "alice")
    bob = await make_user(b, "bob")
    await make_user(b, "carol")
    work = await post_work(a, "alice", 1, title="Harbour", description="For @bob@social.test")
    await network.drain()
    async with b.rt.sessions() as session:  # bob was mentioned: social.test keeps the work as a remote note
        note = await session.scalar(select(RemoteNote).where(RemoteNote.uri == work.uri))
        assert note is not None
        target = await account_db.by_uri(session, alice.account.uri)
        assert target is not None
        me = await session.merge(await user(b, "bob"))
        report = await reports.file_report(b.rt, session, me, target, [work.uri], "spam", "Selling fake prints",
                                           forward=True)
        await session.commit()
    assert report.forwarded
    await network.drain()

    [flag] = await received(a, "Flag")
    assert flag["actor"] == f"{b.base}/actor"  # the instance actor, not bob
    assert bob.account.uri not in orjson.dumps(flag).decode()
    assert flag["object"] == [alice.account.uri, work.uri] and flag["content"] == "Selling fake prints"
    [inbound] = await _reports(a)
    assert inbound.origin_domain == "social.test" and inbound.reporter_id is None
    assert inbound.target_id == alice.account_id and inbound.object_uris == [work.uri]
    assert inbound.flag_uri == flag["id"] and inbound.comment == "Selling fake prints" and inbound.state == "open"
    [local] = await _reports(b)  # the reporter's own copy stays on social.test
    assert local.reporter_id == bob.account_id and local.origin_domain is None


async def test_inbound_flags_unknown_targets_duplicates_and_rejected_reports_file_nothing(network: Network) -> None:
    a = await network.add("art.test")
    b = await network.add("social.test")
    alice = await make_user(a, "alice")
    flag: dict[str, Any] = {"@context": "https://www.w3.org/ns/activitystreams", "type": "Flag",
                            "actor": f"{b.base}/actor", "content": "x" * 6000}

    unknown = {**flag, "id": f"{b.base}/flags/1", "object": ["https://art.test/users/nobody",
                                                             "https://elsewhere.test/statuses/1"]}
    status, _ = await signed_post(b, a, orjson.dumps(unknown), username="social.test", path="/inbox")
    assert status == 202
    huge = {**flag, "id": f"{b.base}/flags/2", "object": [alice.account.uri] + [
        f"https://art.test/users/alice/works/{n}" for n in range(500)]}
    status, _ = await signed_post(b, a, orjson.dumps(huge), username="social.test", path="/inbox")
    assert status == 202
    await network.drain()
    assert "not found" in str(await _outcomes(a, "Flag"))
    [report] = await _reports(a)  # only the second one names someone of ours
    assert report.target_id == alice.account_id and report.object_uris == [] and len(report.comment) == 5000

    async with a.rt.sessions() as session:  # the same Flag id again (with a new activity id): still one report
        sender = await account_db.by_uri(session, f"{b.base}/actor")
        from fediverse.activitypub.moderation import FlagReport
        outcome = await reports.receive_flag(session, sender, FlagReport(huge["id"], huge["actor"],
                                                                         (alice.account.uri,), ""))
        assert outcome == "ignored: this Flag was already received"
        admin = await make_user(a, "boss", role="admin")
        await domain_blocks.create(session, admin, BlockInput("social.test", "noop", reject_reports=True))
    third = {**flag, "id": f"{b.base}/flags/3", "object": alice.account.uri}
    status, _ = await signed_post(b, a, orjson.dumps(third), username="social.test", path="/inbox")
    assert status == 202
    await network.drain()
    assert len(await _reports(a)) == 1
    assert any("rejected by a domain block" in (o or "") for o in await _outcomes(a, "Flag"))


async def test_a_suspended_domain_gets_no_deliveries_no_fetches_and_its_inbox_posts_are_refused(
        network: Network) -> None:
    a = await network.add("art.test")
    b = await network.add("bad.test")
    c = await network.add("fine.test")
    alice = await make_user(a, "alice")
    admin = await make_user(a, "boss", role="admin")
    await make_user(b, "spammer")
    await make_user(c, "friend")
    await act(b, "follow", "spammer", "alice@art.test")
    await act(c, "follow", "friend", "alice@art.test")
    await network.drain()
    async with a.rt.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Follow)) == 2
        block = await domain_blocks.create(session, admin, BlockInput("bad.test", "suspend", private_comment="spam"))
        assert block.severity == "suspend"
        # The follow from bad.test was severed; the other one stays.
        assert await session.scalar(select(func.count()).select_from(Follow)) == 1

    await post_work(a, "alice", 1, title="After the block")
    await network.drain()
    assert [c_["object"]["name"] for c_ in await received(c, "Create")] == ["After the block"]
    assert await received(b, "Create") == []
    async with a.rt.sessions() as session:
        jobs = list(await session.scalars(select(Job).where(Job.domain == "bad.test")))
    assert not [j for j in jobs if j.state == "done" and j.kind == "deliver" and j.created_at > block.created_at]

    before = len(await received(a, "Follow"))
    again = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{b.base}/activities/again",
             "type": "Follow", "actor": f"{b.base}/users/spammer", "object": alice.account.uri}
    status, body = await signed_post(b, a, orjson.dumps(again), username="spammer")
    assert status == 403 and "does not federate" in body["error"]
    assert len(await received(a, "Follow")) == before  # nothing stored

    # A subdomain is covered too, and the client refuses to fetch from it before any request is made.
    from fediverse.federation.client import DomainBlocked
    import pytest
    with pytest.raises(DomainBlocked):
        await a.rt.client.fetch_json("https://media.bad.test/users/x")


async def test_a_queued_delivery_to_a_newly_suspended_domain_is_dropped(network: Network) -> None:
    a = await network.add("art.test")
    b = await network.add("bad.test")
    await make_user(a, "alice")
    admin = await make_user(a, "boss", role="admin")
    await make_user(b, "spammer")
    await act(b, "follow", "spammer", "alice@art.test")
    await network.drain()
    async with a.rt.sessions() as session:  # a delivery waits in the queue (not yet run) when the block comes
        from fediverse.federation.outbox import publish
        me = await session.merge(await user(a, "alice"))
        doc = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{a.base}/activities/pending",
               "type": "Update", "actor": me.account.uri, "object": me.account.uri}
        await publish(session, me.account, doc, inboxes=[f"{b.base}/inbox"])
        await domain_blocks.create(session, admin, BlockInput("bad.test", "suspend"))
    await network.drain()
    async with a.rt.sessions() as session:
        [job] = list(await session.scalars(select(Job).where(Job.payload["inbox"].as_string() == f"{b.base}/inbox",
                                                              Job.kind == "deliver").order_by(Job.id.desc()).limit(1)))
    assert job.state == "dead" and "suspended" in (job.last_error or "")
    assert await received(b, "Update") == []


async def test_a_suspended_local_account_is_gone_on_the_follower_instance(network: Network) -> None:
    a = await network.add("art.test")
    b = await network.add("social.test")
    alice = await make_user(a, "alice")
    mod = await make_user(a, "mod", role="moderator")
    await make_user(b, "bob")
    await act(b, "follow", "bob", "alice@art.test")
    await network.drain()
    work = await post_work(a, "alice", 1, title="Reply bait", description="Hi @bob@social.test")
    await network.drain()
    async with b.rt.sessions() as session:
        assert await session.scalar(select(RemoteNote.id).where(RemoteNote.uri == work.uri)) is not None

    async with a.rt.sessions() as session:
        target = await session.get(Account, alice.account_id)
        me = await session.merge(mod)
        await account_actions.apply(a.rt, session, me, target, "suspend", "stolen art")
        await session.commit()
    await network.drain()

    [delete] = await received(b, "Delete")
    assert delete["actor"] == alice.account.uri and delete["object"] == alice.account.uri
    assert await _account(b, alice.account.uri) is None  # the account, its follow and its notes are gone there
    async with b.rt.sessions() as session:
        assert await session.scalar(select(RemoteNote.id).where(RemoteNote.uri == work.uri)) is None
        assert await session.scalar(select(func.count()).select_from(Follow)) == 0
    async with a.client() as client:
        actor = await client.get("/users/alice", headers={"Accept": "application/activity+json"})
        finger = await client.get("/.well-known/webfinger?resource=acct:alice@art.test")
        page = await client.get("/@alice")
        work_page = await client.get(f"/@alice/{work.public_id}")
    assert actor.status_code == finger.status_code == page.status_code == work_page.status_code == 410

    async with a.rt.sessions() as session:  # unsuspend within retention: everything is back here
        target = await session.get(Account, alice.account_id)
        me = await session.merge(mod)
        await account_actions.apply(a.rt, session, me, target, "unsuspend", "appeal accepted")
        await session.commit()
    async with a.client() as client:
        assert (await client.get("/@alice")).status_code == 200


async def test_a_suspended_remote_account_loses_its_follows_and_its_activities_are_ignored(network: Network) -> None:
    a = await network.add("art.test")
    b = await network.add("social.test")
    alice = await make_user(a, "alice")
    mod = await make_user(a, "mod", role="moderator")
    await make_user(b, "bob")
    await act(b, "follow", "bob", "alice@art.test")
    await network.drain()
    async with a.rt.sessions() as session:
        bob = await account_db.by_uri(session, f"{b.base}/users/bob")
        assert bob is not None
        await account_actions.apply(a.rt, session, await session.merge(mod), bob, "suspend", "harassment")
        await session.commit()
        assert await session.scalar(select(func.count()).select_from(Follow)) == 0
    await act(b, "unfollow", "bob", "alice@art.test")  # Undo from a suspended account: ignored
    await act(b, "follow", "bob", "alice@art.test")
    await network.drain()
    assert "ignored: the actor is suspended here" in await _outcomes(a, "Follow")
    async with a.rt.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Follow)) == 0
        assert await session.scalar(select(func.count()).select_from(DomainBlock)) == 0
    async with b.rt.sessions() as session:  # bob's server still thinks it asked; art.test never answered
        follow = await session.scalar(select(Follow))
        assert follow is not None and follow.state == "pending"
    assert alice.account_id


async def test_the_delete_of_a_suspended_account_is_honoured_even_when_its_key_must_be_fetched_again(
        network: Network) -> None:
    """The follower's cached key is stale, the key fetch answers 410: a fresh fetch of the actor confirms it is
    gone, so the Delete is processed (a forged Delete of a live actor would still be refused)."""
    a = await network.add("art.test")
    b = await network.add("social.test", federation={"key_cache_seconds": 0})
    alice = await make_user(a, "alice")
    mod = await make_user(a, "mod", role="moderator")
    await make_user(b, "bob")
    await act(b, "follow", "bob", "alice@art.test")
    await network.drain()
    assert await _account(b, alice.account.uri) is not None

    forged = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{a.base}/activities/forged",
              "type": "Delete", "actor": alice.account.uri, "object": alice.account.uri}
    status, _ = await signed_post(a, b, orjson.dumps(forged), username="mod", path="/inbox")
    assert status == 401 and await _account(b, alice.account.uri) is not None  # alice is alive: refused

    async with a.rt.sessions() as session:
        target = await session.get(Account, alice.account_id)
        await account_actions.apply(a.rt, session, await session.merge(mod), target, "suspend", "spam")
        await session.commit()
    await network.drain()
    assert await _account(b, alice.account.uri) is None
