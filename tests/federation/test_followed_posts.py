"""What artists follow is stored: the posts of a followed account (each audience, with images, tags, mentions, reply
link and content warning), its boosts (the boosted post fetched when we do not hold it), edits, deletes, Undo, and
the retention purge of what nobody here interacted with; strangers' and blocked domains' posts are not stored.

The followed account is the re-hosted Mastodon peer (tests/federation/peer.py): its Creates are recorded payloads of
Mastodon, Pixelfed, GoToSocial, Misskey and Pleroma (tests/fixtures), re-addressed the way Mastodon addresses each
audience and signed with the peer's key. Boosted posts live on a second instance of ours (social.test), fetched
with a signed GET; a third (evil.test) is a validly signed stranger.
"""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import select

from fediverse.activitypub.vocab import AS_PUBLIC
from fediverse.db import domain_policy
from fediverse.models import (
    Account, DomainBlock, InboundActivity, RemoteMedia, RemoteNote, Status, StatusAudience, utcnow,
)
from fediverse.services import remote_posts
from fediverse.services.visibility import visible_to
from tests import imagecorpus
from tests.conftest import FIXTURES
from tests.federation.helpers import act, make_user, user
from tests.federation.peer import ACTOR, PEER
from tests.federation.test_inbox_bad_input import signed_post
from tests.federation.test_remote_media import MediaPeer
from tests.federation.test_statuses import boost
from tests.federation.test_works_federation import post_work
from tests.support import Instance, Network

FOLLOWERS = f"{ACTOR}/followers"
ART = "https://art.test/users"
IMAGE = f"https://{PEER}/media/art.jpg"
AS2 = "https://www.w3.org/ns/activitystreams"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def as2(doc: dict[str, Any]) -> dict[str, Any]:
    """An old recorded Mastodon document whose @context lists only its own terms: the AS2 context put first, as
    Mastodon sends it today (our parser requires it)."""
    context = doc.get("@context")
    extra = context if isinstance(context, list) else [context] if context else []
    return {**doc, "@context": ["https://www.w3.org/ns/activitystreams", *[c for c in extra if c != AS2]]}


def addressing(visibility: str, local: str) -> tuple[list[str], list[str]]:
    """Mastodon's to/cc for each audience (ActivityPub::TagManager#to/#cc), `local` being a mentioned account."""
    return {"public": ([AS_PUBLIC], [FOLLOWERS, local]), "unlisted": ([FOLLOWERS], [AS_PUBLIC, local]),
            "private": ([FOLLOWERS], [local]), "direct": ([local], [])}[visibility]


def peer_create(name: str, n: int, *, to: list[str] | None = None, cc: list[str] | None = None,
                **note_fields: Any) -> dict[str, Any]:
    """A recorded note (bare or in its Create) as the peer's post number `n`: its id, author and images moved to
    the peer, published now (the recorded dates are past the retention, and the sweeper runs every second in
    these tests), everything else (tags, content, sensitive, summary, inReplyTo) as the software sent it."""
    doc = fixture(name)
    note = copy.deepcopy(doc["object"] if doc.get("type") == "Create" else doc)
    note.pop("@context", None)
    note_id = f"{ACTOR}/statuses/{n}"
    note.update({"id": note_id, "url": f"https://{PEER}/@brauca_darradiul/{n}", "attributedTo": ACTOR,
                 "published": utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")})
    if to is not None:
        note.update({"to": to, "cc": cc or []})
    for item in note.get("attachment") or []:
        if isinstance(item, dict) and item.get("type") in ("Image", "Document"):
            item["url"] = f"{IMAGE}?post={n}"  # one file per post (the same URL would be one cached copy)
    note.update(note_fields)
    return {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{note_id}/activity", "type": "Create",
            "actor": ACTOR, "published": note.get("published") or "2025-01-01T00:00:00Z",
            "to": note.get("to", []), "cc": note.get("cc", []), "object": note}


def peer_announce(n: int, target: str, author: str) -> dict[str, Any]:
    """Mastodon's recorded Announce, by the peer, of `target`, published now."""
    doc = {k: v for k, v in fixture("mastodon/announce.json").items() if k != "signature"}
    doc.update({"id": f"{ACTOR}/statuses/{n}/activity", "actor": ACTOR, "object": target,
                "published": utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
                "to": [AS_PUBLIC], "cc": [author, FOLLOWERS]})
    return doc


def peer_undo_announce(announce: dict[str, Any]) -> dict[str, Any]:
    """Mastodon's recorded Undo(Announce), by the peer, of `announce`."""
    doc = as2({k: v for k, v in fixture("mastodon/undo_announce.json").items() if k != "signature"})
    doc.update({"id": f"{announce['id']}/undo", "actor": ACTOR, "to": announce["to"], "cc": announce["cc"],
                "object": {**{k: v for k, v in announce.items() if k != "@context"}}})
    return doc


@dataclass
class World:
    art: Instance
    social: Instance
    network: Network
    peer: MediaPeer

    async def send(self, doc: dict[str, Any]) -> int:
        status = await self.peer.post(self.art, "/inbox", doc)
        await self.network.drain()
        return status

    async def outcome(self, activity_id: str) -> str | None:
        async with self.art.rt.sessions() as session:
            return await session.scalar(select(InboundActivity.outcome).where(InboundActivity.uri == activity_id))

    async def note(self, n: int) -> RemoteNote | None:
        async with self.art.rt.sessions() as session:
            return await session.scalar(select(RemoteNote).where(RemoteNote.uri == f"{ACTOR}/statuses/{n}"))

    async def statuses(self) -> list[Status]:
        async with self.art.rt.sessions() as session:
            return list(await session.scalars(select(Status).order_by(Status.id)))

    async def seen_by(self, username: str | None) -> set[int]:
        """The ids of the peer's stored notes that `username` (None: signed out) may see, by the one rule."""
        async with self.art.rt.sessions() as session:
            viewer = (await user(self.art, username)).account if username else None
            rows = await session.scalars(select(RemoteNote.uri).join(Status, Status.remote_note_id == RemoteNote.id)
                                         .where(visible_to(viewer)))
            return {int(uri.rsplit("/", 1)[1]) for uri in rows}


async def accept_follow(w: World, username: str) -> None:
    """`username` on art.test follows the peer; the peer accepts as Mastodon does."""
    await act(w.art, "follow", username, ACTOR)
    await w.network.drain()
    follow = [doc for doc in w.peer.activities() if doc["type"] == "Follow"][-1]
    accept = {k: v for k, v in fixture("mastodon/accept_follow.json").items() if k != "signature"}
    accept.update({"actor": ACTOR, "id": f"{ACTOR}#accepts/follows/{uuid.uuid4().hex}",
                   "object": {"type": "Follow", "id": follow["id"], "actor": follow["actor"], "object": ACTOR}})
    assert await w.send(accept) == 202


async def make_world(network: Network, password: str | None = None, **art_sections: dict[str, Any]) -> World:
    """art.test (alice, carol, dave), social.test (erin) and the peer; `password` lets them sign in to the panel."""
    peer = MediaPeer(imagecorpus.jpeg(imagecorpus.photo(320, 240))).install(network)
    art = await network.add("art.test", **art_sections)
    social = await network.add("social.test")
    for name in ("alice", "carol", "dave"):
        await make_user(art, name, password=password)
    await make_user(social, "erin", password=password)
    return World(art, social, network, peer)


@pytest.fixture
async def world(network: Network) -> World:
    return await make_world(network)


@pytest.fixture
async def followed(world: World) -> World:
    await accept_follow(world, "alice")
    return world


# --- Create --------------------------------------------------------------------------------------------------

async def test_each_audience_of_a_followed_account_is_stored_and_seen_only_by_whom_it_is_for(followed: World) -> None:
    """alice follows the peer; dave is mentioned in each post; carol neither follows nor is addressed."""
    w = followed
    dave = f"{ART}/dave"
    for n, visibility in enumerate(("public", "unlisted", "private", "direct"), start=1):
        to, cc = addressing(visibility, dave)
        create = peer_create("mastodon/create_note_with_image_mastodon_social.json", n, to=to, cc=cc,
                             tag=[{"type": "Mention", "href": dave, "name": "@dave@art.test"},
                                  {"type": "Hashtag", "name": f"#Ink{n}", "href": f"https://{PEER}/tags/ink{n}"}])
        assert await w.send(create) == 202
        assert await w.outcome(create["id"]) in ("post stored", "mention stored")

    async with w.art.rt.sessions() as session:
        notes = {int(n.uri.rsplit("/", 1)[1]): n for n in await session.scalars(select(RemoteNote))}
        audience = {s.remote_note_id: set(await session.scalars(
            select(Account.username).join(StatusAudience, StatusAudience.account_id == Account.id)
            .where(StatusAudience.status_id == s.id))) for s in await session.scalars(select(Status))}
        media = list(await session.scalars(select(RemoteMedia).where(RemoteMedia.note_id.is_not(None))))
    assert {n: note.visibility for n, note in notes.items()} == {1: "public", 2: "unlisted", 3: "private", 4: "direct"}
    assert all(audience[note.id] == {"dave"} for note in notes.values())
    assert [remote_posts.tag_names(notes[n]) for n in (1, 2, 3, 4)] == [["Ink1"], ["Ink2"], ["Ink3"], ["Ink4"]]
    assert {row.note_id for row in media} == {note.id for note in notes.values()}  # the image of each, cached
    assert all(row.storage_key for row in media)

    assert await w.seen_by(None) == {1, 2}
    assert await w.seen_by("carol") == {1, 2}  # not a follower, not addressed: no private, no direct
    assert await w.seen_by("alice") == {1, 2, 3}  # the follower: followers-only too, not the direct one
    assert await w.seen_by("dave") == {1, 2, 3, 4}  # addressed in all four


@pytest.mark.parametrize("name", [
    "mastodon/create_note_with_image_mastodon_social.json", "mastodon/create_note_sensitive.json",
    "pixelfed/create_note_with_image.json", "gotosocial/note_with_image_emoji_hashtag.json",
    "misskey/note_misskey_io.json", "pleroma/create_note.json",
])
async def test_a_recorded_post_of_a_followed_account_is_stored_with_tags_images_cw_and_reply_link(
        followed: World, name: str) -> None:
    w = followed
    create = peer_create(name, 7)
    recorded = create["object"]
    assert await w.send(create) == 202
    assert await w.outcome(create["id"]) == "post stored"
    note = await w.note(7)
    assert note is not None
    tags = [t["name"].lstrip("#") for t in recorded.get("tag") or [] if isinstance(t, dict) and t.get("type") == "Hashtag"]
    assert remote_posts.tag_names(note) == tags
    assert note.raw.get("inReplyTo") == recorded.get("inReplyTo")  # the reply link, as sent
    assert note.summary == (recorded.get("summary") or "")
    assert note.sensitive == (recorded.get("sensitive") is True or bool(recorded.get("summary")))
    mentions = [t["href"] for t in recorded.get("tag") or [] if isinstance(t, dict) and t.get("type") == "Mention"]
    assert [t["href"] for t in note.raw.get("tag") or [] if t.get("type") == "Mention"] == mentions
    async with w.art.rt.sessions() as session:
        media = list(await session.scalars(select(RemoteMedia).where(RemoteMedia.note_id == note.id)))
        [status] = await session.scalars(select(Status).where(Status.remote_note_id == note.id))
    images = [a for a in recorded.get("attachment") or [] if a.get("type") in ("Image", "Document")]
    assert len(media) == len(images)
    assert status.account_id == note.account_id and status.visibility == note.visibility


async def test_a_strangers_post_is_not_stored_and_a_post_before_the_accept_is_kept(world: World) -> None:
    w = world
    stranger = peer_create("mastodon/create_note_with_image_mastodon_social.json", 1)
    assert await w.send(stranger) == 202
    assert await w.outcome(stranger["id"]) == "ignored: not a reply to our works and mentions none of our artists"
    await act(w.art, "follow", "alice", ACTOR)  # asked, not accepted yet
    await w.network.drain()
    pending = peer_create("mastodon/create_note_with_image_mastodon_social.json", 2)
    assert await w.send(pending) == 202
    # kept: the Accept may come after it (tests/federation/test_follow_race.py shows it reaching home then)
    assert await w.outcome(pending["id"]) == "post stored"
    assert await w.note(1) is None and await w.note(2) is not None


async def test_a_suspended_domains_posts_are_refused_and_its_posts_are_not_fetched_for_a_boost(
        followed: World) -> None:
    w = followed
    async with w.art.rt.sessions() as session:
        session.add(DomainBlock(domain="social.test", severity="suspend"))
        await session.commit()
        domain_policy.invalidate(session)
    work = await post_work(w.social, "erin", 1, title="Blocked harbour")
    announce = peer_announce(20, work.uri, "https://social.test/users/erin")
    assert await w.send(announce) == 202
    assert (await w.outcome(announce["id"]) or "").startswith("ignored: the boosted post is not fetchable")

    async with w.art.rt.sessions() as session:
        session.add(DomainBlock(domain=PEER, severity="suspend"))  # the follow itself is left in place
        await session.commit()
        domain_policy.invalidate(session)
    create = peer_create("mastodon/create_note_with_image_mastodon_social.json", 1)
    assert await w.send(create) == 403
    assert await w.note(1) is None and await w.statuses() == []


async def test_a_reject_media_domains_post_is_stored_without_fetching_its_images(followed: World) -> None:
    w = followed
    async with w.art.rt.sessions() as session:
        session.add(DomainBlock(domain=PEER, severity="noop", reject_media=True))
        await session.commit()
        domain_policy.invalidate(session)
    create = peer_create("mastodon/create_note_with_image_mastodon_social.json", 1)
    assert await w.send(create) == 202
    note = await w.note(1)
    assert note is not None
    async with w.art.rt.sessions() as session:
        [row] = await session.scalars(select(RemoteMedia).where(RemoteMedia.note_id == note.id))
    assert row.storage_key is None and "rejected by a domain block" in (row.fetch_error or "")


# --- Announce and Undo ---------------------------------------------------------------------------------------

async def test_a_boost_by_a_followed_account_fetches_the_post_and_undo_takes_the_boost_back(followed: World) -> None:
    w = followed
    work = await post_work(w.social, "erin", 1, title="Harbour at dawn", description="#Harbour")
    announce = peer_announce(30, work.uri, "https://social.test/users/erin")
    assert await w.send(announce) == 202
    assert await w.outcome(announce["id"]) == "boost stored"

    async with w.art.rt.sessions() as session:
        boosted = await session.scalar(select(RemoteNote).where(RemoteNote.uri == work.uri))
        assert boosted is not None
        original = await session.scalar(select(Status).where(Status.remote_note_id == boosted.id))
        boost_status = await session.scalar(select(Status).where(Status.uri == announce["id"]))
        erin = await session.get(Account, boosted.account_id)
        media = list(await session.scalars(select(RemoteMedia).where(RemoteMedia.note_id == boosted.id)))
    assert erin is not None and erin.uri == "https://social.test/users/erin"
    assert boosted.visibility == "public" and original is not None and len(media) == 1
    assert boost_status is not None and boost_status.reblog_of_id == original.id
    assert boost_status.visibility == "public" and boost_status.account_id != erin.id

    assert await w.send(peer_undo_announce(announce)) == 202
    assert await w.outcome(f"{announce['id']}/undo") == "boost removed"
    assert [s.id for s in await w.statuses()] == [original.id]  # the boosted post stays; the boost went


async def test_a_boost_of_a_followers_only_post_or_by_a_stranger_stores_nothing(world: World) -> None:
    w = world
    work = await post_work(w.social, "erin", 1, title="Harbour")
    announce = peer_announce(31, work.uri, "https://social.test/users/erin")
    assert await w.send(announce) == 202  # nobody here follows the peer yet
    assert await w.outcome(announce["id"]) == "ignored: Announce of no work of ours"
    await accept_follow(w, "alice")
    hidden = await post_work(w.social, "erin", 1, title="For followers", visibility="followers")
    announce = peer_announce(32, hidden.uri, "https://social.test/users/erin")
    assert await w.send(announce) == 202
    assert (await w.outcome(announce["id"]) or "").startswith("ignored:")
    assert await w.statuses() == []
    async with w.art.rt.sessions() as session:
        assert list(await session.scalars(select(RemoteNote))) == []


async def test_a_boost_of_our_work_by_a_followed_account_counts_and_gets_a_status(followed: World) -> None:
    w = followed
    work = await post_work(w.art, "carol", 1, title="Lighthouse")
    announce = peer_announce(33, work.uri, f"{ART}/carol")
    assert await w.send(announce) == 202
    assert await w.outcome(announce["id"]) == "announce counted"
    async with w.art.rt.sessions() as session:
        own = await session.scalar(select(Status).where(Status.work_id == work.id))
        boost_status = await session.scalar(select(Status).where(Status.uri == announce["id"]))
    assert own is not None and boost_status is not None and boost_status.reblog_of_id == own.id
    assert await w.send(peer_undo_announce(announce)) == 202
    assert await w.outcome(f"{announce['id']}/undo") == "reaction removed"
    assert [s.id for s in await w.statuses()] == [own.id]


# --- Update and Delete ---------------------------------------------------------------------------------------

async def evil_sends(w: World, doc: dict[str, Any]) -> None:
    evil = await w.network.add("evil.test")
    await make_user(evil, "mallory")
    status, _ = await signed_post(evil, w.art, orjson.dumps(doc), username="mallory", path="/inbox")
    assert status == 202
    await w.network.drain()


async def test_an_edit_by_the_author_replaces_the_post_and_a_third_partys_changes_nothing(followed: World) -> None:
    w = followed
    create = peer_create("mastodon/create_note_with_image_mastodon_social.json", 5)
    assert await w.send(create) == 202
    edited = copy.deepcopy(create["object"]) | {
        "content": "<p>Edited</p>", "summary": "eye strain", "sensitive": True, "attachment": [],
        "tag": [{"type": "Hashtag", "name": "#Edited"}], "updated": "2030-01-01T00:00:00Z",
        "to": [FOLLOWERS], "cc": []}
    mallory = "https://evil.test/users/mallory"
    forged = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"https://evil.test/{uuid.uuid4().hex}",
              "type": "Update", "actor": mallory, "object": edited | {"content": "<p>Forged</p>"}}
    await evil_sends(w, forged)
    note = await w.note(5)
    assert note is not None and note.content_html != "<p>Forged</p>" and note.visibility == "public"

    update = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{ACTOR}/statuses/5#updates/1",
              "type": "Update", "actor": ACTOR, "to": [FOLLOWERS], "object": edited}
    assert await w.send(update) == 202
    assert await w.outcome(update["id"]) == "note updated"
    note = await w.note(5)
    assert note is not None
    assert (note.content_html, note.summary, note.sensitive, note.visibility) == (
        "<p>Edited</p>", "eye strain", True, "private")
    assert remote_posts.tag_names(note) == ["Edited"]
    async with w.art.rt.sessions() as session:
        [status] = await session.scalars(select(Status).where(Status.remote_note_id == note.id))
        media = list(await session.scalars(select(RemoteMedia).where(RemoteMedia.note_id == note.id)))
    assert status.visibility == "private" and media == []  # the removed image's copy went with it
    assert await w.seen_by("carol") == set() and await w.seen_by("alice") == {5}

    older = {**update, "id": f"{ACTOR}/statuses/5#updates/0",
             "object": edited | {"content": "<p>Older</p>", "updated": "2029-01-01T00:00:00Z"}}
    assert await w.send(older) == 202
    assert (await w.note(5)).content_html == "<p>Edited</p>"  # type: ignore[union-attr]

    silent = {k: v for k, v in edited.items() if k not in ("to", "cc")} | {
        "content": "<p>Again</p>", "updated": "2030-02-01T00:00:00Z"}
    unaddressed = {**update, "id": f"{ACTOR}/statuses/5#updates/2", "object": silent}
    unaddressed.pop("to")
    assert await w.send(unaddressed) == 202  # says nothing of its audience: the one we have stays
    note = await w.note(5)
    assert note is not None and (note.content_html, note.visibility) == ("<p>Again</p>", "private")
    assert await w.seen_by("alice") == {5}


async def test_a_delete_by_the_author_removes_the_post_its_status_and_every_boost_of_it(followed: World) -> None:
    w = followed
    create = peer_create("mastodon/create_note_with_image_mastodon_social.json", 6)
    assert await w.send(create) == 202
    note = await w.note(6)
    assert note is not None
    await boost(w.art, "alice", note.id)  # our artist's boost
    self_boost = peer_announce(60, create["object"]["id"], ACTOR)  # and the author's own
    assert await w.send(self_boost) == 202
    assert len(await w.statuses()) == 3

    delete = {"@context": "https://www.w3.org/ns/activitystreams", "type": "Delete", "actor": ACTOR,
              "object": {"id": create["object"]["id"], "type": "Tombstone"}}
    await evil_sends(w, delete | {"id": f"https://evil.test/{uuid.uuid4().hex}", "actor": "https://evil.test/users/mallory"})
    assert await w.note(6) is not None and len(await w.statuses()) == 3

    assert await w.send(delete | {"id": f"{ACTOR}/statuses/6#delete"}) == 202
    assert await w.note(6) is None
    assert await w.statuses() == []
    async with w.art.rt.sessions() as session:
        assert list(await session.scalars(select(RemoteMedia).where(RemoteMedia.note_id.is_not(None)))) == []


async def test_a_deleted_actor_takes_its_posts_and_boosts_along(followed: World) -> None:
    w = followed
    assert await w.send(peer_create("mastodon/create_note_with_image_mastodon_social.json", 8)) == 202
    work = await post_work(w.social, "erin", 1, title="Harbour")
    assert await w.send(peer_announce(80, work.uri, "https://social.test/users/erin")) == 202
    assert len(await w.statuses()) == 3  # the peer's post, erin's fetched post, the peer's boost of it
    gone = as2({k: v for k, v in fixture("mastodon/delete_actor.json").items() if k != "signature"})
    gone.update({"id": f"{ACTOR}#delete", "actor": ACTOR, "object": ACTOR})
    assert await w.send(gone) == 202
    assert await w.note(8) is None
    async with w.art.rt.sessions() as session:
        remaining = list(await session.scalars(select(Status)))
    assert [s.reblog_of_id for s in remaining] == [None]  # erin's post stays; the peer's post and boost went


async def test_posts_of_an_account_nobody_here_follows_any_more_are_no_longer_stored(world: World) -> None:
    """Stored while one artist here still follows; once the last one unfollows, new posts and boosts are ignored
    (a server may keep sending until it has our Undo), while a post mentioning an artist is still hers."""
    w = world
    await accept_follow(w, "alice")
    await accept_follow(w, "carol")
    posted = "mastodon/create_note_with_image_mastodon_social.json"
    assert await w.send(peer_create(posted, 1)) == 202
    await act(w.art, "unfollow", "alice", ACTOR)
    await w.network.drain()
    assert await w.send(peer_create(posted, 2)) == 202  # carol still follows
    await act(w.art, "unfollow", "carol", ACTOR)
    await w.network.drain()
    assert [d["type"] for d in w.peer.activities()].count("Undo") == 2

    late = peer_create(posted, 3)
    assert await w.send(late) == 202
    assert await w.outcome(late["id"]) == "ignored: not a reply to our works and mentions none of our artists"
    work = await post_work(w.social, "erin", 1, title="Harbour at dawn")
    announce = peer_announce(30, work.uri, "https://social.test/users/erin")
    assert await w.send(announce) == 202
    assert await w.outcome(announce["id"]) == "ignored: Announce of no work of ours"
    mention = peer_create(posted, 4, to=[AS_PUBLIC], cc=[FOLLOWERS, f"{ART}/dave"],
                          tag=[{"type": "Mention", "href": f"{ART}/dave", "name": "@dave@art.test"}])
    assert await w.send(mention) == 202
    assert [n for n in (1, 2, 3, 4) if await w.note(n) is not None] == [1, 2, 4]
    async with w.art.rt.sessions() as session:
        assert await session.scalar(select(RemoteNote).where(RemoteNote.uri == work.uri)) is None  # not fetched


# --- Retention -----------------------------------------------------------------------------------------------

async def test_retention_purges_old_posts_nobody_interacted_with_and_keeps_the_rest(network: Network) -> None:
    """The retention is a century here, so the background sweeper keeps everything; the purge is then run as
    if that century had passed (less a year: the posts of 2020 are past it, today's are not)."""
    century = 36_500
    w = await make_world(network, federation={"remote_post_retention_days": century})
    await accept_follow(w, "alice")
    old = "2020-01-01T00:00:00Z"
    work = await post_work(w.art, "alice", 1, title="Harbour")
    posts = {
        1: peer_create("mastodon/create_note_with_image_mastodon_social.json", 1, published=old),  # nothing: purged
        2: peer_create("mastodon/create_note_with_image_mastodon_social.json", 2, published=old),  # alice boosts it
        3: peer_create("mastodon/create_note_with_image_mastodon_social.json", 3, published=old,
                       inReplyTo=work.uri),  # a reply to alice's work
        4: peer_create("mastodon/create_note_with_image_mastodon_social.json", 4, published=old,
                       tag=[{"type": "Mention", "href": f"{ART}/carol"}]),  # mentions carol
        5: peer_create("mastodon/create_note_with_image_mastodon_social.json", 5),  # today
    }
    for create in posts.values():
        assert await w.send(create) == 202
    boosted = await w.note(2)
    assert boosted is not None
    await boost(w.art, "alice", boosted.id)
    await act(w.art, "unfollow", "alice", ACTOR)  # nobody follows the peer now: nothing goes at once
    await w.network.drain()
    assert all([await w.note(n) for n in posts])

    purged = await remote_posts.purge_expired(w.art.rt, now=utcnow() + timedelta(days=century - 365))
    assert purged == 1
    assert await w.note(1) is None
    assert all([await w.note(n) for n in (2, 3, 4, 5)])
    async with w.art.rt.sessions() as session:  # its cached image went with it
        assert await session.scalar(select(RemoteMedia).where(RemoteMedia.url == f"{IMAGE}?post=1")) is None

    later = utcnow() + timedelta(days=century + 10)  # today's post aged out too: nobody follows it, nobody used it
    assert await remote_posts.purge_expired(w.art.rt, now=later) == 1
    assert await w.note(5) is None and all([await w.note(n) for n in (2, 3, 4)])


async def test_housekeeping_purges_at_most_hourly(followed: World) -> None:
    w = followed
    await remote_posts.purge_if_due(w.art.rt)  # this pass (or the sweeper's at start-up) starts the hour
    create = peer_create("mastodon/create_note_with_image_mastodon_social.json", 1, published="2020-01-01T00:00:00Z")
    assert await w.send(create) == 202
    assert await remote_posts.purge_if_due(w.art.rt) == 0
    assert await w.note(1) is not None
    assert await remote_posts.purge_expired(w.art.rt) == 1


async def test_retention_zero_keeps_every_post(network: Network) -> None:
    w = await make_world(network, federation={"remote_post_retention_days": 0})
    await accept_follow(w, "alice")
    create = peer_create("mastodon/create_note_with_image_mastodon_social.json", 1, published="2001-01-01T00:00:00Z")
    assert await w.send(create) == 202
    assert await remote_posts.purge_expired(w.art.rt) == 0
    assert await w.note(1) is not None
