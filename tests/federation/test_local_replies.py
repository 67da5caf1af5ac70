"""Replies written here: an artist answers a remote post or a work in text (services/notes.py) from the thread
page's form (`/statuses/{id}#reply`); the note federates signed, with its reply link and mentions, to the
replied-to author (the re-hosted Mastodon peer, or another instance of ours that stores it as a reply and
notifies its artist); direct replies stay off every public page; a delete sends Delete and takes the status away;
bad input changes nothing.
"""

from __future__ import annotations

import json
import re
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

import httpx
import pytest
from sqlalchemy import func, select

from fediverse.activitypub.vocab import AS_PUBLIC
from fediverse.models import LocalNote, Notification, OutboundActivity, RemoteNote, Status
from tests.federation.helpers import act
from tests.federation.peer import ACTOR, PEER
from tests.federation.test_followed_posts import World, accept_follow, addressing, make_world, peer_create
from tests.federation.test_works_federation import post_work
from tests.support import Instance, Network
from tests.web.panel_client import PASSWORD, browser, csrf_of, login

ART = "https://art.test/users"


@pytest.fixture
async def world(network: Network) -> World:
    return await make_world(network, password=PASSWORD)


async def status_of(instance: Instance, **where: Any) -> Status:
    async with instance.rt.sessions() as session:
        (column, value), = where.items()
        found = await session.scalar(select(Status).where(getattr(Status, column) == value))
    assert found is not None
    return found


async def reply(client: httpx.AsyncClient, status_id: int, text: str | None = None,
                **fields: str) -> httpx.Response:
    # text=None sends the prefilled @mention alone
    """Open the thread page as a browser, take its form (CSRF token, prefilled text), send it."""
    page = await client.get(f"/statuses/{status_id}")
    assert page.status_code == 200, page.text[:300]
    prefilled = re.search(r'<textarea[^>]*name="text"[^>]*>([^<]*)</textarea>', page.text)
    assert prefilled is not None, "no reply form"
    body = prefilled.group(1) + (text or "")  # as a person types after the prefilled @mention
    selected = re.search(r'<option value="(\w+)" selected>', page.text)
    assert selected is not None, "no visibility chosen by default"
    return await client.post(f"/studio/statuses/{status_id}/reply", data={
        "csrf_token": csrf_of(page.text), "text": body, "visibility": selected.group(1), "cw": "", **fields})


@asynccontextmanager
async def signed_in(instance: Instance, username: str) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(instance) as client:
        assert (await login(client, username)).status_code == 303
        yield client


def sent_to_peer(w: World, kind: str) -> list[tuple[dict[str, str], dict[str, Any]]]:
    return [(headers, doc) for _url, headers, body in w.peer.received
            if (doc := json.loads(body)).get("type") == kind]


async def count(instance: Instance, model: type) -> int:
    async with instance.rt.sessions() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


# --- a reply to a remote post -----------------------------------------------------------------------------------

async def test_a_reply_to_a_followed_accounts_post_reaches_its_server_signed_with_reply_link_and_mention(
        world: World) -> None:
    w = world
    await accept_follow(w, "alice")
    to, cc = addressing("public", f"{ART}/dave")
    create = peer_create("mastodon/create_note_with_image_mastodon_social.json", 1, to=to, cc=cc)
    assert await w.send(create) == 202
    post = await status_of(w.art, remote_note_id=(await w.note(1)).id)  # type: ignore[union-attr]

    async with signed_in(w.art, "alice") as alice:
        page = await alice.get(f"/statuses/{post.id}")
        assert "@brauca_darradiul@masto.test " in page.text  # the author's @mention, prefilled
        assert 'value="public" selected' in page.text
        sent = await reply(alice, post.id, "Lovely linework! #ink")
        assert sent.status_code == 303
        mine = await status_of(w.art, account_id=(await _account_id(w.art, "alice")))
        assert sent.headers["location"] == f"/statuses/{mine.id}"
    await w.network.drain()

    [(headers, doc)] = sent_to_peer(w, "Create")
    note = doc["object"]
    assert 'keyId="https://art.test/users/alice#main-key"' in headers["signature"]
    assert note["inReplyTo"] == f"{ACTOR}/statuses/1" and note["attributedTo"] == f"{ART}/alice"
    assert note["to"] == [AS_PUBLIC] and ACTOR in note["cc"] and f"{ART}/alice/followers" in note["cc"]
    assert {"type": "Mention", "href": ACTOR, "name": "@brauca_darradiul@masto.test"} in note["tag"]
    assert {"type": "Hashtag", "href": "https://art.test/tags/ink", "name": "#ink"} in note["tag"]
    assert f'href="https://{PEER}/@brauca_darradiul"' in note["content"] or ACTOR in note["content"]
    assert "contentUsage" in note or "tdmReservation" in note  # the artist's consent properties, as works carry
    assert note["url"] == f"https://art.test/statuses/{mine.id}"

    async with w.art.client() as client:  # the note at its id: AS2 by negotiation, the thread page otherwise
        as2 = await client.get(note["id"], headers={"Accept": "application/activity+json"})
        html = await client.get(note["id"])
        thread = await client.get(f"/statuses/{post.id}")
        own = await client.get(f"/statuses/{mine.id}")
    assert as2.status_code == 200 and as2.json()["inReplyTo"] == f"{ACTOR}/statuses/1"
    assert html.status_code == 303 and html.headers["location"] == f"https://art.test/statuses/{mine.id}"
    assert "Lovely linework!" in thread.text and f'id="status-{mine.id}"' in thread.text
    assert own.status_code == 200 and "Log in</a> to reply" in own.text
    assert own.text.index(f'id="status-{post.id}"') < own.text.index(f'id="status-{mine.id}"')  # the ancestor first


async def _account_id(instance: Instance, username: str) -> int:
    from tests.federation.helpers import user
    return (await user(instance, username)).account_id


async def test_deleting_a_reply_sends_delete_and_takes_its_status_away(world: World) -> None:
    w = world
    await accept_follow(w, "alice")
    assert await w.send(peer_create("mastodon/create_note_with_image_mastodon_social.json", 1)) == 202
    post = await status_of(w.art, remote_note_id=(await w.note(1)).id)  # type: ignore[union-attr]
    async with signed_in(w.art, "alice") as alice:
        assert (await reply(alice, post.id, "A first thought")).status_code == 303
        await w.network.drain()
        async with w.art.rt.sessions() as session:
            note = await session.scalar(select(LocalNote))
        assert note is not None
        page = await alice.get(f"/statuses/{note.public_id}")
        assert f'action="/studio/notes/{note.public_id}/delete"' in page.text
        gone = await alice.post(f"/studio/notes/{note.public_id}/delete", data={"csrf_token": csrf_of(page.text)})
        assert gone.status_code == 303
    await w.network.drain()
    [(_headers, delete)] = sent_to_peer(w, "Delete")
    assert delete["object"] == {"id": note.uri, "type": "Tombstone"} and delete["actor"] == f"{ART}/alice"
    async with w.art.rt.sessions() as session:
        assert await session.scalar(select(Status).where(Status.local_note_id == note.id)) is None
    async with w.art.client() as client:
        assert (await client.get(f"/statuses/{note.public_id}")).status_code == 404
        tomb = await client.get(note.uri, headers={"Accept": "application/activity+json"})
        thread = await client.get(f"/statuses/{post.id}")
    assert tomb.status_code == 410 and tomb.json()["type"] == "Tombstone"
    assert "A first thought" not in thread.text


# --- a reply to a work on another instance of ours ---------------------------------------------------------------

async def test_a_reply_to_a_work_on_another_instance_is_listed_under_the_work_and_notifies_its_artist(
        world: World) -> None:
    w = world
    await act(w.social, "follow", "erin", "alice@art.test")
    await w.network.drain()
    work = await post_work(w.art, "alice", 1, title="Harbour")
    await w.network.drain()
    async with w.social.rt.sessions() as session:
        held = await session.scalar(select(Status).join(RemoteNote, RemoteNote.id == Status.remote_note_id)
                                    .where(RemoteNote.uri == work.uri))
    assert held is not None  # erin follows alice: the work is stored on social.test

    async with signed_in(w.social, "erin") as erin:
        page = await erin.get(f"/statuses/{held.id}")
        assert "@alice@art.test " in page.text
        assert (await reply(erin, held.id, "What paper is this?")).status_code == 303
    await w.network.drain()

    async with w.art.rt.sessions() as session:
        stored = await session.scalar(select(RemoteNote).where(RemoteNote.in_reply_to_uri == work.uri))
        notified = list(await session.scalars(select(Notification).where(Notification.kind == "reply")))
    assert stored is not None and stored.work_id == work.id and stored.visibility == "public"
    assert [(n.work_id, n.note_id) for n in notified] == [(work.id, stored.id)]
    async with w.art.client() as client:
        shown = await client.get(f"/@alice/{work.public_id}")
    assert "What paper is this?" in shown.text and "<strong>1</strong> reply" in shown.text
    async with signed_in(w.art, "alice") as alice:
        assert "What paper is this?" in (await alice.get("/studio/notifications")).text


# --- replies between artists of one instance, and who sees them --------------------------------------------------

async def test_a_local_reply_to_a_work_is_listed_and_notifies_and_a_direct_one_is_only_for_whom_it_is_for(
        world: World) -> None:
    w = world
    work = await post_work(w.art, "alice", 1, title="Harbour")
    status = await status_of(w.art, work_id=work.id)
    async with signed_in(w.art, "carol") as carol:
        assert (await reply(carol, status.id, "Beautiful light.")).status_code == 303
        assert (await reply(carol, status.id, None, visibility="direct")).status_code == 303  # prefilled mention only
        direct_text = "A secret commission idea"
        assert (await reply(carol, status.id, direct_text, visibility="direct")).status_code == 303
    async with w.art.rt.sessions() as session:
        notes = list(await session.scalars(select(LocalNote).order_by(LocalNote.id)))
        notified = list(await session.scalars(select(Notification).order_by(Notification.id)))
    assert [n.visibility for n in notes] == ["public", "direct", "direct"]
    assert all(n.in_reply_to_uri == work.uri and n.in_reply_to_id == status.id for n in notes)
    assert [(n.kind, n.work_id, n.local_note_id) for n in notified] == [
        ("reply", work.id, note.id) for note in notes]  # alice is mentioned in each: she sees all three

    direct = notes[2]
    public_paths = [f"/@alice/{work.public_id}", f"/statuses/{status.id}", "/@alice", "/@alice/feed.atom",
                    "/@carol", "/@carol/feed.atom", f"/statuses/{direct.public_id}"]
    async with w.art.client() as client:
        anonymous = [await client.get(path) for path in public_paths]
        as2 = await client.get(direct.uri, headers={"Accept": "application/activity+json"})
    assert all(direct_text not in r.text for r in anonymous)
    assert anonymous[-1].status_code == 404 and as2.status_code == 404  # unsigned: not for anyone
    assert "Beautiful light." in anonymous[0].text and "Beautiful light." in anonymous[1].text
    assert f'href="https://art.test/statuses/{status.id}#reply"' in anonymous[0].text  # the work page's way in
    async with signed_in(w.art, "dave") as dave:  # another artist, not addressed
        theirs = [await dave.get(path) for path in public_paths]
    assert all(direct_text not in r.text for r in theirs) and theirs[-1].status_code == 404
    async with signed_in(w.art, "alice") as alice:
        mine = await alice.get(f"/statuses/{status.id}")
        on_work = await alice.get(f"/@alice/{work.public_id}")
        single = await alice.get(f"/statuses/{direct.public_id}")
    assert direct_text in mine.text and direct_text in on_work.text and single.status_code == 200
    assert "private" in mine.headers["cache-control"]


async def test_a_reply_to_a_followers_only_post_defaults_to_followers_only_and_the_form_needs_a_sign_in(
        world: World) -> None:
    w = world
    await accept_follow(w, "alice")
    to, cc = addressing("private", f"{ART}/dave")
    assert await w.send(peer_create("mastodon/create_note_with_image_mastodon_social.json", 1, to=to, cc=cc)) == 202
    post = await status_of(w.art, remote_note_id=(await w.note(1)).id)  # type: ignore[union-attr]
    async with signed_in(w.art, "alice") as alice:
        page = await alice.get(f"/statuses/{post.id}")
        assert 'value="followers" selected' in page.text
        assert (await reply(alice, post.id, "Agreed")).status_code == 303
    await w.network.drain()
    [(_headers, doc)] = sent_to_peer(w, "Create")
    assert doc["object"]["to"] == [f"{ART}/alice/followers"] and AS_PUBLIC not in doc["object"]["cc"]
    async with w.art.client() as client:  # followers-only: not for the signed-out
        assert (await client.get(f"/statuses/{post.id}")).status_code == 404
    async with signed_in(w.art, "carol") as carol:  # not a follower, not addressed
        assert (await carol.get(f"/statuses/{post.id}")).status_code == 404
        refused = await carol.post(f"/studio/statuses/{post.id}/reply",
                                   data={"csrf_token": csrf_of((await carol.get("/studio")).text), "text": "Hi"})
    assert refused.status_code == 404
    async with w.art.client() as client:
        assert (await client.get("/statuses/123456789")).status_code == 404
        assert (await client.get("/statuses/not-a-number")).status_code == 404


# --- bad input ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fields, status", [
    ({"text": ""}, 400),
    ({"text": "   "}, 400),
    ({"text": "x" * 5001}, 400),
    ({"text": "Hello", "visibility": "everyone"}, 400),
    ({"text": "Hello", "cw": "c" * 501}, 400),
])
async def test_bad_replies_are_refused_and_nothing_is_written(world: World, fields: dict[str, str],
                                                              status: int) -> None:
    w = world
    work = await post_work(w.art, "alice", 1)
    target = await status_of(w.art, work_id=work.id)
    before = await count(w.art, OutboundActivity), await count(w.art, Status)
    async with signed_in(w.art, "carol") as carol:
        page = await carol.get(f"/statuses/{target.id}")
        answer = await carol.post(f"/studio/statuses/{target.id}/reply",
                                  data={"csrf_token": csrf_of(page.text), **fields})
    assert answer.status_code == status
    assert await count(w.art, LocalNote) == 0
    assert (await count(w.art, OutboundActivity), await count(w.art, Status)) == before


async def test_a_reply_without_csrf_token_or_sign_in_or_to_an_unknown_post_is_refused(world: World) -> None:
    w = world
    work = await post_work(w.art, "alice", 1)
    target = await status_of(w.art, work_id=work.id)
    async with signed_in(w.art, "carol") as carol:
        page = await carol.get(f"/statuses/{target.id}")
        no_token = await carol.post(f"/studio/statuses/{target.id}/reply", data={"text": "Hi"})
        unknown = await carol.post("/studio/statuses/99999999/reply",
                                   data={"csrf_token": csrf_of(page.text), "text": "Hi"})
        mangled = await carol.post("/studio/statuses/abc/reply", data={"csrf_token": csrf_of(page.text), "text": "Hi"})
    async with browser(w.art) as stranger:
        signed_out = await stranger.post(f"/studio/statuses/{target.id}/reply", data={"text": "Hi"})
    assert no_token.status_code == 403 and signed_out.status_code == 403
    assert unknown.status_code == 404 and mangled.status_code == 404
    assert await count(w.art, LocalNote) == 0


async def test_delete_of_someone_elses_note_is_404(world: World) -> None:
    w = world
    work = await post_work(w.art, "alice", 1)
    target = await status_of(w.art, work_id=work.id)
    async with signed_in(w.art, "carol") as carol:
        assert (await reply(carol, target.id, "Mine")).status_code == 303
    async with w.art.rt.sessions() as session:
        note = await session.scalar(select(LocalNote))
    assert note is not None
    async with signed_in(w.art, "dave") as dave:
        page = await dave.get("/studio")
        refused = await dave.post(f"/studio/notes/{note.public_id}/delete", data={"csrf_token": csrf_of(page.text)})
    assert refused.status_code == 404
    async with w.art.rt.sessions() as session:
        assert (await session.get(LocalNote, note.id)).deleted_at is None  # type: ignore[union-attr]


# --- replies coming back, signed fetches, boosts and hostile chains ------------------------------------------------

async def test_a_remote_reply_to_an_artists_note_is_stored_in_her_thread_and_notifies_her(world: World) -> None:
    w = world
    await accept_follow(w, "alice")
    assert await w.send(peer_create("mastodon/create_note_with_image_mastodon_social.json", 1)) == 202
    post = await status_of(w.art, remote_note_id=(await w.note(1)).id)  # type: ignore[union-attr]
    async with signed_in(w.art, "alice") as alice:
        assert (await reply(alice, post.id, "Thank you")).status_code == 303
    async with w.art.rt.sessions() as session:
        mine = await session.scalar(select(LocalNote))
    assert mine is not None
    answer = peer_create("mastodon/create_note_with_image_mastodon_social.json", 2, to=[AS_PUBLIC],
                         cc=[f"{ACTOR}/followers", f"{ART}/alice"], inReplyTo=mine.uri,
                         tag=[{"type": "Mention", "href": f"{ART}/alice", "name": "@alice@art.test"}],
                         content="<p>You are welcome</p>", attachment=[])
    assert await w.send(answer) == 202
    assert await w.outcome(answer["id"]) == "reply stored"
    async with w.art.rt.sessions() as session:
        stored = await session.scalar(select(RemoteNote).where(RemoteNote.uri == f"{ACTOR}/statuses/2"))
        notified = await session.scalar(select(Notification).where(Notification.note_id == stored.id))  # type: ignore[union-attr]
    assert stored is not None and stored.in_reply_to_uri == mine.uri
    assert notified is not None and notified.kind == "reply"
    async with w.art.client() as client:
        thread = await client.get(f"/statuses/{mine.public_id}")
    assert thread.text.index("Thank you") < thread.text.index("You are welcome")  # ancestor, post, reply in order
    assert thread.text.index("You are welcome") > thread.text.index(f'id="status-{mine.public_id}"')


async def test_a_direct_note_is_served_to_a_signed_fetch_by_the_account_it_mentions_only(world: World) -> None:
    from fediverse.activitypub.signatures.cavage import sign_cavage

    w = world
    await accept_follow(w, "alice")
    assert await w.send(peer_create("mastodon/create_note_with_image_mastodon_social.json", 1)) == 202
    post = await status_of(w.art, remote_note_id=(await w.note(1)).id)  # type: ignore[union-attr]
    async with signed_in(w.art, "alice") as alice:
        assert (await reply(alice, post.id, "Only for you", visibility="direct")).status_code == 303
    await w.network.drain()
    async with w.art.rt.sessions() as session:
        note = await session.scalar(select(LocalNote))
    assert note is not None and note.visibility == "direct"
    [(_headers, doc)] = sent_to_peer(w, "Create")
    assert doc["object"]["to"] == [ACTOR] and doc["object"]["cc"] == []  # only the mentioned account
    accept = {"Accept": "application/activity+json"}
    signed = accept | sign_cavage("GET", note.uri, accept, None, w.peer.actor["publicKey"]["id"], w.peer.key)
    async with w.art.client() as client:
        unsigned = await client.get(note.uri, headers=accept)
        by_peer = await client.get(note.uri, headers=signed)
    assert unsigned.status_code == 404
    assert by_peer.status_code == 200 and by_peer.json()["to"] == [ACTOR]


async def test_a_boost_shows_the_boosted_post_and_a_looping_reply_chain_ends(world: World) -> None:
    from tests.federation.test_statuses import boost

    w = world
    await accept_follow(w, "alice")
    one = peer_create("mastodon/create_note_with_image_mastodon_social.json", 1, inReplyTo=f"{ACTOR}/statuses/2",
                      content="<p>first of a loop</p>", attachment=[])
    two = peer_create("mastodon/create_note_with_image_mastodon_social.json", 2, inReplyTo=f"{ACTOR}/statuses/1",
                      content="<p>second of a loop</p>", attachment=[])
    assert await w.send(one) == 202 and await w.send(two) == 202
    first = await w.note(1)
    assert first is not None and first.visibility == "public"
    await boost(w.art, "alice", first.id)
    async with w.art.rt.sessions() as session:
        boosted = await session.scalar(select(Status).where(Status.reblog_of_id.is_not(None)))
    assert boosted is not None
    async with w.art.client() as client:
        page = await client.get(f"/statuses/{boosted.id}")
    assert page.status_code == 200
    assert page.text.count("second of a loop") == 2  # once above (its parent), once below (its reply): no endless walk
    assert page.text.count("first of a loop") == 1
