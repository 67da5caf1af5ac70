"""Interaction consent (issue 14): the artist's quote / reply / boost policy on every Note, and FEP-044f quote
requests answered by it.

Three real instances: art.test (alice and her work), social.test (bob) and evil.test (mallory). Every activity is
signed with its sender's real key and goes through the inbox, the job queue and the handler; answers are delivered
to the requester's real inbox.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from fediverse.activitypub.contexts import expand
from fediverse.db import accounts as account_db
from fediverse.db import works as work_db
from fediverse.models import Notification, QuoteAuthorization, Reaction, RemoteNote
from fediverse.services.notes import post_note
from fediverse.services.quotes import change_policies
from fediverse.services.works import delete_work
from tests.federation.helpers import AP_ACCEPT, act, get_json, make_user, user
from tests.federation.test_inbound_permissions import World as PermissionWorld
from tests.federation.test_works_federation import post_work, received
from tests.support import Instance, Network

AS = "https://www.w3.org/ns/activitystreams"
PUBLIC = f"{AS}#Public"
GTS = "https://gotosocial.org/ns#"
ALICE = "https://art.test/users/alice"
BOB = "https://social.test/users/bob"
MALLORY = "https://evil.test/users/mallory"


class World(PermissionWorld):
    """The three instances of the permission tests, with alice's quote policy to ask of and change."""

    async def quote_request(self, actor: str, target: str, *, instrument: Any = None, drop: str = "") -> str:
        """``actor`` asks to quote ``target`` (default instrument: the actor's own inline quoting Note)."""
        host = actor.split("/")[2]
        quoting = f"https://{host}/notes/{uuid.uuid4().hex}"
        if instrument is None:
            instrument = {"id": quoting, "type": "Note", "attributedTo": actor, "content": "Look at this",
                          "quote": target, "to": [PUBLIC]}
        doc = {"@context": [AS, {"QuoteRequest": "https://w3id.org/fep/044f#QuoteRequest"}],
               "id": f"https://{host}/activities/{uuid.uuid4().hex}", "type": "QuoteRequest", "actor": actor,
               "object": target, "instrument": instrument}
        doc.pop(drop, None)
        assert await self.send(doc) == 202
        return doc["id"]

    async def authorizations(self) -> int:
        async with self.art.rt.sessions() as session:
            return await session.scalar(select(func.count()).select_from(QuoteAuthorization)) or 0

    async def set_policy(self, *, work: bool, **values: str | None) -> int:
        """alice changes her own (work=False) or the work's quote / reply / boost policy in the studio."""
        async with self.art.rt.sessions() as session:
            alice = await account_db.by_uri(session, ALICE)
            holder = await work_db.by_uri(session, self.work.uri) if work else alice
            revoked = await change_policies(self.art.rt, session, alice, holder, values)
        await self.network.drain()
        return revoked


async def answers(instance: Instance, kind: str, request_id: str) -> list[dict[str, Any]]:
    """The Accepts / Rejects a peer received for one of its QuoteRequests."""
    return [doc for doc in await received(instance, kind)
            if isinstance(doc.get("object"), dict) and doc["object"].get("id") == request_id]


@pytest.fixture
async def world(network: Network) -> World:
    art = await network.add("art.test")
    social = await network.add("social.test")
    evil = await network.add("evil.test")
    await make_user(art, "alice")
    await make_user(social, "bob")
    await make_user(evil, "mallory")
    work = await post_work(art, "alice", 1, title="Harbour")
    return World(art, social, evil, network, work)


def policy(note: dict[str, Any]) -> dict[str, list[str]]:
    """{"canQuote": automaticApproval, …} of a Note, checking manualApproval is empty."""
    found = {}
    for key, value in note["interactionPolicy"].items():
        assert value["manualApproval"] == []
        found[key] = value["automaticApproval"]
    return found


# --- emitted policy -------------------------------------------------------------------------------------------

async def test_the_note_carries_anyone_followers_and_nobody_as_the_artist_and_the_work_choose(world: World) -> None:
    note = await get_json(world.art, world.work.uri)
    assert policy(note) == {"canQuote": [PUBLIC], "canReply": [PUBLIC], "canAnnounce": [PUBLIC]}

    await world.set_policy(work=False, quotes="followers", boosts="nobody")
    note = await get_json(world.art, world.work.uri)
    assert policy(note) == {"canQuote": [f"{ALICE}/followers", ALICE], "canReply": [PUBLIC], "canAnnounce": [ALICE]}

    await world.set_policy(work=True, quotes="nobody", boosts="anyone")  # the work overrides the artist
    note = await get_json(world.art, world.work.uri)
    assert policy(note) == {"canQuote": [ALICE], "canReply": [PUBLIC], "canAnnounce": [PUBLIC]}

    [node] = expand(note)  # bundled contexts only: the terms land on GoToSocial's IRIs
    quote = node[GTS + "interactionPolicy"][0][GTS + "canQuote"][0]
    assert quote[GTS + "automaticApproval"] == [{"@id": ALICE}]


async def test_the_instance_default_comes_from_the_config_and_reaches_text_notes(network: Network) -> None:
    art = await network.add("art.test", consent={"quotes": "nobody", "replies": "followers"})
    await make_user(art, "alice")
    work = await post_work(art, "alice", 1)
    async with art.rt.sessions() as session:
        note = await post_note(art.rt, session, await session.merge(await user(art, "alice")), "Hello")
    for uri in (work.uri, note.uri):
        assert policy(await get_json(art, uri)) == {
            "canQuote": [ALICE], "canReply": [f"{ALICE}/followers", ALICE], "canAnnounce": [PUBLIC]}


async def test_a_followers_only_work_is_quotable_by_nobody_but_its_author(world: World) -> None:
    work = await post_work(world.art, "alice", 1, visibility="followers")
    async with world.art.rt.sessions() as session:  # signed out we may not fetch it; the renderer is what matters
        from fediverse.services.consent import work_interaction_policy
        found = await work_db.by_uri(session, work.uri)
        assert work_interaction_policy(world.art.rt.settings, found).quotes == "nobody"


# --- QuoteRequest -------------------------------------------------------------------------------------------

async def test_quote_request_is_accepted_with_an_authorization_that_dereferences(world: World) -> None:
    request_id = await world.quote_request(BOB, world.work.uri)
    assert await world.outcome(request_id) == "quote accepted"
    [accept] = await answers(world.social, "Accept", request_id)
    assert accept["actor"] == ALICE and accept["result"].startswith(f"{ALICE}/quote_authorizations/")
    grant = await get_json(world.art, accept["result"])
    assert grant["type"] == "QuoteAuthorization" and grant["attributedTo"] == ALICE
    assert grant["interactionTarget"] == world.work.uri
    assert grant["interactingObject"] == accept["object"]["instrument"]
    [node] = expand(grant)
    assert node["@type"] == ["https://w3id.org/fep/044f#QuoteAuthorization"]


async def test_quote_policy_nobody_rejects_and_stores_nothing(world: World) -> None:
    await world.set_policy(work=True, quotes="nobody")
    request_id = await world.quote_request(BOB, world.work.uri)
    assert await world.outcome(request_id) == "quote rejected: the quote policy is nobody"
    assert len(await answers(world.social, "Reject", request_id)) == 1
    assert await answers(world.social, "Accept", request_id) == []
    assert await world.authorizations() == 0


async def test_followers_only_quotes_accept_a_follower_and_reject_anyone_else(world: World) -> None:
    await world.set_policy(work=False, quotes="followers")
    await act(world.social, "follow", "bob", "alice@art.test")
    await world.network.drain()
    follower = await world.quote_request(BOB, world.work.uri)
    stranger = await world.quote_request(MALLORY, world.work.uri)
    assert await world.outcome(follower) == "quote accepted"
    assert len(await answers(world.social, "Accept", follower)) == 1
    assert await world.outcome(stranger) == "quote rejected: the quote policy is followers"
    assert len(await answers(world.evil, "Reject", stranger)) == 1
    assert await world.authorizations() == 1


async def test_changing_the_policy_to_nobody_revokes_the_authorization(world: World) -> None:
    request_id = await world.quote_request(BOB, world.work.uri)
    [accept] = await answers(world.social, "Accept", request_id)
    assert await world.set_policy(work=True, quotes="nobody") == 1
    deletes = [d for d in await received(world.social, "Delete") if d.get("object") == accept["result"]]
    assert len(deletes) == 1 and deletes[0]["actor"] == ALICE
    async with world.art.client() as client:
        response = await client.get(accept["result"], headers=AP_ACCEPT)
    assert response.status_code == 410
    assert await world.set_policy(work=True, quotes="anyone") == 0  # nothing left to revoke; the IRI stays gone


async def test_unknown_authorization_is_404(world: World) -> None:
    async with world.art.client() as client:
        response = await client.get(f"{ALICE}/quote_authorizations/nope", headers=AP_ACCEPT)
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("not ours", "refused: QuoteRequest for a post that is not ours"),
        ("deleted", "refused: QuoteRequest for a deleted post"),
        ("mismatched instrument", "refused: QuoteRequest instrument is not attributed to the requesting actor"),
        ("foreign instrument id", "refused: QuoteRequest instrument lives on another host than the requesting actor"),
        ("no instrument", "refused: QuoteRequest has no instrument (the quoting post) with an http(s) id"),
        ("quotes another post", "refused: QuoteRequest instrument quotes another post than the request's object"),
    ],
)
async def test_bad_quote_requests_are_refused_with_nothing_stored_or_sent(world: World, case: str,
                                                                          expected: str) -> None:
    target, instrument, drop = world.work.uri, None, ""
    if case == "not ours":
        target = "https://social.test/notes/someone-elses"
    elif case == "deleted":
        async with world.art.rt.sessions() as session:
            await delete_work(world.art.rt, session, await session.merge(await user(world.art, "alice")),
                              world.work.public_id)
    elif case == "mismatched instrument":
        instrument = {"id": "https://social.test/notes/q1", "type": "Note", "attributedTo": MALLORY,
                      "quote": target}
    elif case == "foreign instrument id":
        instrument = "https://evil.test/notes/q1"
    elif case == "no instrument":
        drop = "instrument"
    else:
        instrument = {"id": "https://social.test/notes/q1", "type": "Note", "attributedTo": BOB,
                      "quote": "https://art.test/users/alice/works/other"}
    request_id = await world.quote_request(BOB, target, instrument=instrument, drop=drop)
    assert await world.outcome(request_id) == expected
    assert await world.authorizations() == 0
    assert await answers(world.social, "Accept", request_id) == []
    assert await answers(world.social, "Reject", request_id) == []


# --- boosts against the policy ----------------------------------------------------------------------------------

async def test_a_boost_the_policy_excludes_is_kept_but_not_counted(world: World) -> None:
    await world.set_policy(work=True, boosts="followers")
    async with world.art.client() as client:
        shares = f"{world.work.uri}/shares"

        async def boost(actor: str) -> tuple[str | None, int]:
            host = actor.split("/")[2]
            doc = {"@context": AS, "id": f"https://{host}/activities/{uuid.uuid4().hex}", "type": "Announce",
                   "actor": actor, "object": world.work.uri, "to": [PUBLIC]}
            assert await world.send(doc) == 202
            return await world.outcome(doc["id"]), (await client.get(shares, headers=AP_ACCEPT)).json()["totalItems"]

        assert await boost(MALLORY) == ("announce stored, not counted: the work's boost policy does not include "
                                        "the booster", 0)
        await act(world.social, "follow", "bob", "alice@art.test")
        await world.network.drain()
        assert await boost(BOB) == ("announce counted", 1)  # a follower: the positive control
    async with world.art.rt.sessions() as session:
        kept = await session.scalars(select(Reaction.against_policy).where(Reaction.kind == "announce"))
        assert sorted(kept) == [False, True]


async def test_a_text_note_follows_the_artists_quote_policy(world: World) -> None:
    async with world.art.rt.sessions() as session:
        note = await post_note(world.art.rt, session, await session.merge(await user(world.art, "alice")), "Hello")
    accepted = await world.quote_request(BOB, note.uri)
    assert await world.outcome(accepted) == "quote accepted"
    await world.set_policy(work=False, quotes="nobody")  # the note has no override: the artist's choice revokes
    [accept] = await answers(world.social, "Accept", accepted)
    async with world.art.client() as client:
        assert (await client.get(accept["result"], headers=AP_ACCEPT)).status_code == 410
    rejected = await world.quote_request(BOB, note.uri)
    assert await world.outcome(rejected) == "quote rejected: the quote policy is nobody"


async def test_a_reply_the_policy_excludes_is_kept_but_not_listed_counted_or_notified(world: World) -> None:
    await world.set_policy(work=False, replies="followers")
    await act(world.social, "follow", "bob", "alice@art.test")
    await world.network.drain()
    page = f"https://art.test/@alice/{world.work.public_id}"

    async def reply(actor: str, text: str) -> str | None:
        host = actor.split("/")[2]
        note = {"id": f"https://{host}/notes/{uuid.uuid4().hex}", "type": "Note", "attributedTo": actor,
                "inReplyTo": world.work.uri, "content": f"<p>{text}</p>", "published": "2026-01-01T00:00:00Z",
                "to": [PUBLIC]}
        doc = {"@context": AS, "id": f"{note['id']}/activity", "type": "Create", "actor": actor, "object": note,
               "to": [PUBLIC]}
        assert await world.send(doc) == 202
        return await world.outcome(doc["id"])

    assert await reply(MALLORY, "Uninvited") == ("reply stored, not shown: the post's reply policy does not "
                                                  "include its author")
    assert await reply(BOB, "From a follower") == "reply stored"  # the positive control
    async with world.art.client() as client:
        html = (await client.get(page)).text
        replies = (await client.get(f"{world.work.uri}/replies", headers=AP_ACCEPT)).json()
    assert "From a follower" in html and "Uninvited" not in html
    assert replies["totalItems"] == 1
    async with world.art.rt.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(RemoteNote)) == 2  # both stored
        kinds = list(await session.scalars(select(Notification.kind).where(Notification.kind == "reply")))
    assert kinds == ["reply"]  # only the follower's reply notified alice
