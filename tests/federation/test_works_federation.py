"""Artworks across instances: a 6-image work reaches a follower; edits, deletes, likes, boosts, replies."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from fediverse.activitypub.parse_note import parse_note
from fediverse.db import works as work_db
from fediverse.models import InboundActivity, Notification, Reaction, RemoteNote, Work
from fediverse.services.works import ImageUpload, WorkInput, create_work, delete_work, edit_work
from tests import imagecorpus
from tests.conftest import FIXTURES
from tests.federation.helpers import act, make_user, user
from tests.federation.peer import ACTOR, FixturePeer, load_fixture, rehost
from tests.support import Instance, Network


async def post_work(instance: Instance, username: str, count: int, **fields: Any) -> Work:
    images = [ImageUpload(data=imagecorpus.jpeg(imagecorpus.photo(640 + n, 480, seed=n)), alt_text=f"Study number {n}",
                          focal_point=(0.1 * n - 0.3, 0.2)) for n in range(count)]
    async with instance.rt.sessions() as session:
        me = await session.merge(await user(instance, username))
        return await create_work(instance.rt, session, me, WorkInput(**fields), images)


async def received(instance: Instance, kind: str) -> list[dict[str, Any]]:
    async with instance.rt.sessions() as session:
        rows = await session.scalars(select(InboundActivity).where(InboundActivity.type == kind).order_by(InboundActivity.id))
        return [row.raw for row in rows]


async def test_six_image_work_reaches_a_follower_with_every_attachment_field(network: Network) -> None:
    a = await network.add("art.test")
    b = await network.add("social.test")
    alice = await make_user(a, "alice")
    await make_user(b, "bob")
    await act(b, "follow", "bob", "alice@art.test")
    await network.drain()

    work = await post_work(a, "alice", 6, title="Harbour studies", description="Ink on paper #ink @bob@social.test",
                           license_url="https://creativecommons.org/licenses/by-nc-nd/4.0/")
    await network.drain()

    [create] = await received(b, "Create")
    assert create["actor"] == alice.account.uri and create["object"]["attributedTo"] == alice.account.uri
    note = parse_note(create["object"])
    assert note.id == work.uri and note.type == "Note"
    assert "https://www.w3.org/ns/activitystreams#Public" in create["to"]
    attachments = create["object"]["attachment"]
    assert len(attachments) == 4  # Mastodon keeps four; the rest are linked
    assert "See all 6 images (2 more)" in note.content
    for n, attachment in enumerate(attachments):
        assert attachment["type"] == "Document" and attachment["mediaType"] == "image/jpeg"
        assert isinstance(attachment["url"], str) and attachment["url"].startswith("https://art.test/media/alice/")
        assert attachment["name"] == f"Study number {n}"
        assert attachment["width"] == 640 + n and attachment["height"] == 480
        assert len(attachment["blurhash"]) >= 6
        assert attachment["focalPoint"] == [round(0.1 * n - 0.3, 2), 0.2]
    assert {"type": "Mention", "href": "https://social.test/users/bob", "name": "@bob@social.test"} in create["object"]["tag"]
    assert {"type": "Hashtag", "href": "https://art.test/tags/ink", "name": "#ink"} in create["object"]["tag"]
    async with b.client() as client:  # the media URL serves the image, unsigned, as Mastodon fetches it
        media = await client.get(attachments[0]["url"])
    assert media.status_code == 200 and media.headers["content-type"] == "image/jpeg"


async def test_edit_and_delete_reach_the_follower(network: Network) -> None:
    a = await network.add("art.test")
    b = await network.add("social.test")
    await make_user(a, "alice")
    await make_user(b, "bob")
    await act(b, "follow", "bob", "alice@art.test")
    await network.drain()
    work = await post_work(a, "alice", 1, title="First title")
    await network.drain()

    async with a.rt.sessions() as session:
        me = await session.merge(await user(a, "alice"))
        await edit_work(a.rt, session, me, work.public_id, WorkInput(title="Better title"), alt_texts=["A clearer alt"])
    await network.drain()
    [update] = await received(b, "Update")
    assert update["object"]["id"] == work.uri
    assert "Better title" in update["object"]["content"] and update["object"]["attachment"][0]["name"] == "A clearer alt"
    assert update["object"]["updated"] > update["object"]["published"]

    async with a.rt.sessions() as session:
        me = await session.merge(await user(a, "alice"))
        await delete_work(a.rt, session, me, work.public_id)
    await network.drain()
    [deleted] = await received(b, "Delete")
    assert deleted["object"] == {"id": work.uri, "type": "Tombstone"}
    async with b.client() as client:
        gone = await client.get(work.uri, headers={"Accept": "application/activity+json"})
    assert gone.status_code == 410 and gone.json()["type"] == "Tombstone"


@pytest.fixture
def peer(network: Network) -> FixturePeer:
    return FixturePeer().install(network)


async def counts(instance: Instance, work: Work) -> dict[str, int]:
    async with instance.rt.sessions() as session:
        return await work_db.reaction_counts(session, work.id)


async def test_recorded_like_announce_and_reply_payloads_are_counted_and_notified(network: Network, peer: FixturePeer) -> None:
    a = await network.add("art.test")
    await make_user(a, "alice")
    work = await post_work(a, "alice", 1)
    like = rehost(load_fixture("mastodon/like.json"), object_uri=work.uri)
    misskey_like = rehost(load_fixture("misskey/like_reaction.json"), object_uri=work.uri)
    announce = rehost(load_fixture("mastodon/announce.json"), object_uri=work.uri)
    reply = rehost(load_fixture("pixelfed/create_note_reply.json"))
    reply["object"] = rehost(reply["object"]) | {"attributedTo": ACTOR, "inReplyTo": work.uri,
                                                  "content": "Extra colours!<script>alert(1)</script>"}
    reply["object"].pop("actor")
    for doc in (like, misskey_like, announce, reply):
        assert await peer.post(a, "/users/alice/inbox", doc) == 202
    await network.drain()
    assert await counts(a, work) == {"like": 1, "announce": 1, "reply": 1}  # one like per account
    async with a.rt.sessions() as session:
        note = await session.scalar(select(RemoteNote))
        kinds = sorted(n.kind for n in await session.scalars(select(Notification)))
    assert note is not None and "<script>" not in note.content_html and "Extra colours!" in note.content_html
    assert kinds == ["announce", "like", "reply"]

    undo = rehost(load_fixture("mastodon/undo_like.json"))
    undo["object"] = {"id": like["id"], "type": "Like", "actor": ACTOR, "object": work.uri}
    assert await peer.post(a, "/users/alice/inbox", undo) == 202
    await network.drain()
    assert (await counts(a, work))["like"] == 0

    edit = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{reply['object']['id']}#updates/1",
            "type": "Update", "actor": ACTOR, "object": reply["object"] | {"content": "Even more colours",
                                                                          "updated": "2030-01-01T00:00:00Z"}}
    assert await peer.post(a, "/users/alice/inbox", edit) == 202
    delete = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{reply['object']['id']}#delete",
              "type": "Delete", "actor": ACTOR, "object": {"id": reply["object"]["id"], "type": "Tombstone"}}
    await network.drain()
    async with a.rt.sessions() as session:
        assert (await session.scalar(select(RemoteNote))).content_html == "Even more colours"  # type: ignore[union-attr]
    assert await peer.post(a, "/users/alice/inbox", delete) == 202
    await network.drain()
    assert (await counts(a, work))["reply"] == 0


async def test_reactions_to_things_that_are_not_our_works_are_ignored(network: Network, peer: FixturePeer) -> None:
    a = await network.add("art.test")
    await make_user(a, "alice")
    like = rehost(load_fixture("mastodon/like.json"))  # still points at a lemmy post
    assert await peer.post(a, "/inbox", like) == 202
    await network.drain()
    async with a.rt.sessions() as session:
        assert await session.scalar(select(Reaction)) is None
        row = await session.scalar(select(InboundActivity))
    assert row is not None and row.outcome is not None and row.outcome.startswith("ignored")


async def test_ai_label_from_the_file_federates(network: Network) -> None:
    a = await network.add("art.test")
    b = await network.add("social.test")
    await make_user(a, "alice")
    await make_user(b, "bob")
    await act(b, "follow", "bob", "alice@art.test")
    await network.drain()
    upload = ImageUpload(data=imagecorpus.ai_jpeg("compositeWithTrainedAlgorithmicMedia"), alt_text="A generated sky")
    async with a.rt.sessions() as session:
        me = await session.merge(await user(a, "alice"))
        work = await create_work(a.rt, session, me, WorkInput(title="Sky"), [upload])
    await network.drain()
    assert work.ai_generated
    [create] = await received(b, "Create")
    attachment = create["object"]["attachment"][0]
    assert attachment["digitalSourceType"].endswith("/compositeWithTrainedAlgorithmicMedia")
    assert "Made with generative AI" in create["object"]["content"]
