"""Who may change what: every inbound activity kind, sent by a third party that does not own its object, changes
nothing a user would see; the owner's identical activity does (the positive control in the same row proves the
check, not a broken handler).

Three real instances: art.test (ours: alice and her work), social.test (bob, who owns the follow, the like, the
boost, the reply and his profile) and evil.test (mallory, a validly signed third party). Each activity is signed
with its sender's real key and goes through the inbox, the job queue and the handler.

Not covered because we do not handle them at all: Block (and so Undo of a Block: the inbox answers 202 and
records "ignored: Undo of Block") and Move (not implemented yet). Who may have a QuoteRequest accepted, and that a
QuoteRequest for someone else's post or with someone else's instrument is refused, is in test_interaction_policy.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
from sqlalchemy import select

from fediverse.db import accounts as account_db
from fediverse.db import follows as follow_db
from fediverse.db import works as work_db
from fediverse.models import Account, InboundActivity, RemoteNote, Report, Work
from tests.federation.helpers import act, edge_state, get_json, make_user
from tests.federation.test_inbox_bad_input import signed_post
from tests.federation.test_works_federation import post_work
from tests.support import Instance, Network

AS = "https://www.w3.org/ns/activitystreams"
ALICE = "https://art.test/users/alice"
BOB = "https://social.test/users/bob"
MALLORY = "https://evil.test/users/mallory"
REPLY = "https://social.test/notes/reply-1"


@dataclass
class World:
    art: Instance
    social: Instance
    evil: Instance
    network: Network
    work: Work

    def sender(self, actor: str) -> tuple[Instance, str]:
        return (self.social, "bob") if actor == BOB else (self.evil, "mallory")

    async def send(self, doc: dict[str, Any], *, signed_by: str | None = None) -> int:
        """POST `doc` to alice's inbox signed by `signed_by` (default: its actor) and run the inbox jobs."""
        sender, username = self.sender(signed_by or doc["actor"])
        status, _ = await signed_post(sender, self.art, orjson.dumps(doc), username=username)
        await self.network.drain()
        return status

    async def outcome(self, activity_id: str) -> str | None:
        async with self.art.rt.sessions() as session:
            return await session.scalar(select(InboundActivity.outcome).where(InboundActivity.uri == activity_id))


def activity(kind: str, actor: str, obj: Any) -> dict[str, Any]:
    """An activity from `actor`, with a fresh id on the actor's own host (as the inbox requires)."""
    host = actor.split("/")[2]
    return {"@context": AS, "id": f"https://{host}/activities/{uuid.uuid4().hex}", "type": kind, "actor": actor,
            "object": obj}


def reply_note(content: str, *, updated: str | None = None) -> dict[str, Any]:
    note = {"id": REPLY, "type": "Note", "attributedTo": BOB, "inReplyTo": "", "content": content,
            "published": "2025-01-01T00:00:00Z", "to": [f"{AS}#Public"]}
    return note | ({"updated": updated} if updated else {})


@pytest.fixture
async def world(network: Network) -> World:
    art = await network.add("art.test")
    social = await network.add("social.test")
    evil = await network.add("evil.test")
    await make_user(art, "alice")
    await make_user(social, "bob", display_name="Bob", manually_approves_followers=True)
    await make_user(evil, "mallory")
    work = await post_work(art, "alice", 1, title="Harbour")
    return World(art, social, evil, network, work)


# --- what a user would see on art.test ------------------------------------------------------------------------

async def alice_follows_bob(w: World) -> str | None:
    return await edge_state(w.art, ALICE, BOB)


async def bob_follows_alice(w: World) -> str | None:
    return await edge_state(w.art, BOB, ALICE)


async def reactions(w: World) -> dict[str, int]:
    async with w.art.rt.sessions() as session:
        return await work_db.reaction_counts(session, w.work.id)


async def bob_profile(w: World) -> tuple[str, str] | None:
    async with w.art.rt.sessions() as session:
        bob = await account_db.by_uri(session, BOB)
    return (bob.display_name, bob.summary) if bob else None


async def stored_reply(w: World) -> str | None:
    async with w.art.rt.sessions() as session:
        return await session.scalar(select(RemoteNote.content_html).where(RemoteNote.uri == REPLY))


async def reply_and_bob(w: World) -> tuple[str | None, bool]:
    """The stored reply, and whether bob is still known (deleting a note is not deleting its author)."""
    return await stored_reply(w), await bob_profile(w) is not None


async def bob_and_his_traces(w: World) -> tuple[bool, str | None, dict[str, int], str | None]:
    return (await bob_profile(w) is not None, await bob_follows_alice(w), await reactions(w), await stored_reply(w))


# --- what the owner did before the row runs ----------------------------------------------------------------------

async def alice_asks_to_follow_bob(w: World) -> dict[str, Any]:
    """bob approves followers by hand, so alice's Follow stays pending until an Accept (or Reject) comes."""
    await act(w.art, "follow", "alice", "bob@social.test")
    await w.network.drain()
    async with w.art.rt.sessions() as session:
        alice = await account_db.by_uri(session, ALICE)
        bob = await account_db.by_uri(session, BOB)
        assert alice is not None and bob is not None
        edge = await follow_db.between(session, alice.id, bob.id)
    assert edge is not None and edge.state == "pending"
    return {"id": edge.uri, "type": "Follow", "actor": ALICE, "object": BOB}


async def bob_follows(w: World) -> dict[str, Any]:
    follow = activity("Follow", BOB, ALICE)
    assert await w.send(follow) == 202
    assert await bob_follows_alice(w) == "accepted"
    return {"id": follow["id"], "type": "Follow", "actor": BOB, "object": ALICE}


def bob_reacts(kind: str) -> Callable[[World], Awaitable[dict[str, Any]]]:
    async def setup(w: World) -> dict[str, Any]:
        reaction = activity(kind, BOB, w.work.uri)
        assert await w.send(reaction) == 202
        assert (await reactions(w))[kind.lower()] == 1
        return {"id": reaction["id"], "type": kind, "actor": BOB, "object": w.work.uri}
    return setup


async def bob_replies(w: World) -> dict[str, Any]:
    assert await w.send(activity("Create", BOB, reply_note("Lovely harbour") | {"inReplyTo": w.work.uri})) == 202
    assert await stored_reply(w) == "Lovely harbour"
    return {}


async def bob_is_known(w: World) -> dict[str, Any]:
    await bob_follows(w)
    await bob_replies(w)
    await bob_reacts("Like")(w)
    doc = await get_json(w.art, BOB)  # bob's actor document as social.test serves it
    assert doc["name"] == "Bob"
    return doc


@dataclass(frozen=True)
class Row:
    """One permission check: `setup` returns the owner's object; `build` makes the activity from it."""

    name: str
    kind: str
    setup: Callable[[World], Awaitable[dict[str, Any]]]
    build: Callable[[World, dict[str, Any]], Any]  # the activity's object
    seen: Callable[[World], Awaitable[Any]]
    after_owner: Callable[[World], Any] = lambda w: None  # what the user sees once the owner's activity is processed


ROWS = [
    Row("accept-of-our-follow", "Accept", alice_asks_to_follow_bob, lambda w, follow: follow,
        alice_follows_bob, lambda w: "accepted"),
    Row("reject-of-our-follow", "Reject", alice_asks_to_follow_bob, lambda w, follow: follow,
        alice_follows_bob, lambda w: None),
    Row("accept-of-our-follow-by-content", "Accept", alice_asks_to_follow_bob,  # an id we never minted: matched by
        lambda w, follow: follow | {"id": "https://social.test/follows/renamed"},  # the Follow's actor and object
        alice_follows_bob, lambda w: "accepted"),
    Row("reject-of-our-follow-by-content", "Reject", alice_asks_to_follow_bob,
        lambda w, follow: follow | {"id": "https://social.test/follows/renamed"}, alice_follows_bob, lambda w: None),
    Row("undo-follow", "Undo", bob_follows, lambda w, follow: follow, bob_follows_alice, lambda w: None),
    Row("undo-follow-by-id", "Undo", bob_follows, lambda w, follow: follow["id"], bob_follows_alice, lambda w: None),
    Row("undo-follow-renamed", "Undo", bob_follows,  # matched by the embedded Follow's actor and object
        lambda w, follow: follow | {"id": f"{follow['id']}/renamed"}, bob_follows_alice, lambda w: None),
    Row("undo-like", "Undo", bob_reacts("Like"), lambda w, like: like, reactions,
        lambda w: {"like": 0, "announce": 0, "reply": 0}),
    Row("undo-like-by-id", "Undo", bob_reacts("Like"), lambda w, like: like["id"], reactions,
        lambda w: {"like": 0, "announce": 0, "reply": 0}),
    Row("undo-announce", "Undo", bob_reacts("Announce"), lambda w, boost: boost, reactions,
        lambda w: {"like": 0, "announce": 0, "reply": 0}),
    Row("undo-announce-renamed", "Undo", bob_reacts("Announce"),  # some servers give the undone activity a new id
        lambda w, boost: boost | {"id": f"{boost['id']}/renamed"}, reactions,
        lambda w: {"like": 0, "announce": 0, "reply": 0}),
    Row("update-actor", "Update", bob_is_known, lambda w, doc: doc | {"name": "Defaced", "summary": "pwned"},
        bob_profile, lambda w: ("Defaced", "pwned")),
    Row("update-note", "Update", bob_replies,
        lambda w, _: reply_note("Defaced", updated="2030-01-01T00:00:00Z") | {"inReplyTo": w.work.uri},
        stored_reply, lambda w: "Defaced"),
    Row("delete-note", "Delete", bob_replies, lambda w, _: {"id": REPLY, "type": "Tombstone"},
        reply_and_bob, lambda w: (None, True)),
    Row("delete-note-by-id", "Delete", bob_replies, lambda w, _: REPLY, reply_and_bob, lambda w: (None, True)),
    Row("delete-actor", "Delete", bob_is_known, lambda w, _: BOB, bob_and_his_traces,
        lambda w: (False, None, {"like": 0, "announce": 0, "reply": 0}, None)),
]


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
async def test_a_third_party_changes_nothing_and_the_owner_does(world: World, row: Row) -> None:
    obj = row.build(world, await row.setup(world))
    before = await row.seen(world)

    intruder = activity(row.kind, MALLORY, obj)
    assert await world.send(intruder) == 202  # validly signed: accepted at the door, refused by the handler
    outcome = await world.outcome(intruder["id"])
    assert outcome is not None and outcome.startswith("ignored"), outcome
    assert await row.seen(world) == before

    owner = activity(row.kind, BOB, obj)
    assert await world.send(owner) == 202
    assert await row.seen(world) == row.after_owner(world) != before


FORGED = [Row("accept", "Accept", alice_asks_to_follow_bob, lambda w, follow: follow, alice_follows_bob),
          Row("undo-follow", "Undo", bob_follows, lambda w, follow: follow, bob_follows_alice),
          Row("update-actor", "Update", bob_is_known, lambda w, doc: doc | {"name": "Defaced"}, bob_profile),
          Row("delete-actor", "Delete", bob_is_known, lambda w, _: BOB, bob_and_his_traces),
          Row("like", "Like", bob_follows, lambda w, _: w.work.uri, reactions),
          Row("announce", "Announce", bob_follows, lambda w, _: w.work.uri, reactions),
          Row("undo-like", "Undo", bob_reacts("Like"), lambda w, like: like, reactions)]


@pytest.mark.parametrize("row", FORGED, ids=[row.name for row in FORGED])
async def test_an_activity_in_the_owners_name_signed_by_a_third_party_is_refused(world: World, row: Row) -> None:
    """Mallory cannot speak for bob: the signer must be the actor (for a Like or Announce this is the only check,
    since a third party's own reaction is simply its own)."""
    kind, seen = row.kind, row.seen
    obj = row.build(world, await row.setup(world))
    before = await seen(world)
    forged = activity(kind, BOB, obj)
    assert await world.send(forged, signed_by=MALLORY) == 401
    assert await world.outcome(forged["id"]) is None  # not even stored
    assert await seen(world) == before
    assert await world.send(forged) == 202  # the same activity signed by its actor does change it
    assert await seen(world) != before


async def reports(w: World) -> list[tuple[str, list[str]]]:
    async with w.art.rt.sessions() as session:
        rows = list(await session.scalars(select(Report).order_by(Report.id)))
        return [((await session.get_one(Account, r.target_id)).handle, list(r.object_uris)) for r in rows]


async def test_a_flag_attaches_only_the_reported_artists_own_works(world: World) -> None:
    await make_user(world.art, "dave")
    daves = await post_work(world.art, "dave", 1, title="Not alice's")
    await bob_replies(world)
    not_ours = activity("Flag", MALLORY, [BOB, REPLY])
    assert await world.send(not_ours) == 202
    assert (await world.outcome(not_ours["id"]) or "").startswith("ignored")
    assert await reports(world) == []

    about_alice = activity("Flag", MALLORY, [ALICE, daves.uri, world.work.uri]) | {"content": "spam"}
    assert await world.send(about_alice) == 202
    assert await reports(world) == [("alice", [world.work.uri])]  # dave's work is not put in alice's report


async def test_an_actor_suspended_here_may_still_delete_itself_and_nothing_else(world: World) -> None:
    """A suspension here ignores what bob sends, except the Delete of bob himself: his own server says he is gone,
    and his traces go with him (a suspension must not keep an account its owner deleted)."""
    from fediverse.services import account_actions

    await bob_is_known(world)
    mod = await make_user(world.art, "mod", role="moderator")
    async with world.art.rt.sessions() as session:
        bob = await account_db.by_uri(session, BOB)
        assert bob is not None
        await account_actions.apply(world.art.rt, session, await session.merge(mod), bob, "suspend", "harassment")
        await session.commit()

    reply_gone = activity("Delete", BOB, REPLY)
    assert await world.send(reply_gone) == 202
    assert await world.outcome(reply_gone["id"]) == "ignored: the actor is suspended here"
    assert await stored_reply(world) == "Lovely harbour"

    bob_gone = activity("Delete", BOB, BOB)
    assert await world.send(bob_gone) == 202
    assert await world.outcome(bob_gone["id"]) == "actor deleted"
    assert await bob_and_his_traces(world) == (False, None, {"like": 0, "announce": 0, "reply": 0}, None)


async def test_an_update_of_a_note_never_stored_here_changes_none(world: World) -> None:
    """bob edits a note of his that was never stored here: nothing changes, not even his stored reply."""
    await bob_replies(world)
    never_seen = reply_note("Edited", updated="2030-01-01T00:00:00Z") | {"id": "https://social.test/notes/reply-0"}
    update = activity("Update", BOB, never_seen)
    assert await world.send(update) == 202
    assert await world.outcome(update["id"]) == "ignored: update of a note we do not have"
    assert await stored_reply(world) == "Lovely harbour"


async def test_a_like_counts_on_the_work_it_names_even_after_liking_another(world: World) -> None:
    second = await post_work(world.art, "alice", 1, title="Lighthouse")
    assert await world.send(activity("Like", BOB, world.work.uri)) == 202
    assert await world.send(activity("Like", BOB, second.uri)) == 202
    async with world.art.rt.sessions() as session:
        counts = [(await work_db.reaction_counts(session, w.id))["like"] for w in (world.work, second)]
    assert counts == [1, 1]


async def test_a_note_that_mentions_only_remote_accounts_is_not_stored(world: World) -> None:
    """Mallory is known here (she signed activities above), but not one of our artists: bob's note to her is not ours
    to keep."""
    await world.send(activity("Like", MALLORY, world.work.uri))  # art.test now knows mallory's account
    note = reply_note("Hi Mallory") | {"id": "https://social.test/notes/to-mallory", "to": [MALLORY],
                                       "tag": [{"type": "Mention", "href": MALLORY}]}
    note.pop("inReplyTo")
    create = activity("Create", BOB, note)
    assert await world.send(create) == 202
    assert await world.outcome(create["id"]) == "ignored: not a reply to our works and mentions none of our artists"


async def test_an_edit_applies_when_newer_than_the_stored_version_and_an_older_one_is_ignored(world: World) -> None:
    await bob_replies(world)
    for content, updated in [("Second", "2030-01-01T00:00:00Z"), ("Third", "2030-01-02T00:00:00Z"),
                             ("Stale", "2030-01-01T12:00:00Z")]:
        edit = reply_note(content, updated=updated) | {"inReplyTo": world.work.uri}
        assert await world.send(activity("Update", BOB, edit)) == 202
    assert await stored_reply(world) == "Third"


@pytest.mark.parametrize("target", [MALLORY, "https://art.test/users/nobody"], ids=["remote-account", "unknown"])
async def test_a_follow_of_an_account_that_is_not_ours_is_ignored(world: World, target: str) -> None:
    await world.send(activity("Like", MALLORY, world.work.uri))  # art.test knows mallory: a remote account
    follow = activity("Follow", BOB, target)
    assert await world.send(follow) == 202
    assert await world.outcome(follow["id"]) == "ignored: Follow of an account that is not ours"


async def test_a_note_whose_id_is_on_another_host_than_its_actor_is_not_stored(world: World) -> None:
    """bob may not plant a note that claims to live on evil.test (its id would later be fetched from there)."""
    planted = reply_note("Planted") | {"id": "https://evil.test/notes/planted", "inReplyTo": world.work.uri}
    create = activity("Create", BOB, planted)
    assert await world.send(create) == 202
    assert await world.outcome(create["id"]) == "ignored: note is not by the actor or not on its host"
