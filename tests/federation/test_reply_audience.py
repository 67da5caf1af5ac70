"""Who sees a remote reply: a direct or followers-only reply to a work never reaches a public page, feed, count,
cached response or cached file; the artist it was addressed to sees it when signed in.

The replies are Mastodon's recorded reply-with-mention (tests/fixtures/mastodon/create_note_reply_mention.json)
with each of Mastodon's four audiences (ActivityPub::TagManager#to/#cc), delivered with real signatures by the
re-hosted Mastodon peer.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from sqlalchemy import select

from fediverse.activitypub.vocab import AS_PUBLIC
from fediverse.models import RemoteMedia, RemoteNote, Work
from tests import imagecorpus
from tests.federation.helpers import make_user
from tests.federation.peer import ACTOR, PEER, load_fixture, rehost
from tests.federation.test_remote_media import MediaPeer
from tests.federation.test_works_federation import post_work
from tests.support import Instance, Network
from tests.web.panel_client import PASSWORD, browser, login

FOLLOWERS = f"{ACTOR}/followers"
TEXTS = {"public": "Public praise of the harbour", "unlisted": "Quiet unlisted praise",
         "private": "Only for my followers: lovely ink", "direct": "Just for you alice: secret commission idea"}
SECRET = (TEXTS["private"], TEXTS["direct"])


def mastodon_reply(work: Work, alice_uri: str, n: int, visibility: str) -> dict[str, Any]:
    """Mastodon's reply with a mention, addressed the way Mastodon addresses each visibility."""
    create = rehost(load_fixture("mastodon/create_note_reply_mention.json"))
    note = copy.deepcopy(create["object"])
    note_id = f"{ACTOR}/statuses/{n}"
    to, cc = {"public": ([AS_PUBLIC], [FOLLOWERS, alice_uri]), "unlisted": ([FOLLOWERS], [AS_PUBLIC, alice_uri]),
              "private": ([FOLLOWERS], [alice_uri]), "direct": ([alice_uri], [])}[visibility]
    note.update({"id": note_id, "url": f"https://{PEER}/@brauca_darradiul/{n}", "attributedTo": ACTOR,
                 "inReplyTo": work.uri, "atomUri": note_id, "to": to, "cc": cc, "content": f"<p>{TEXTS[visibility]}</p>",
                 "tag": [{"type": "Mention", "href": alice_uri, "name": "@alice@art.test"}]})
    note.pop("contentMap", None)
    if visibility == "direct":  # with a picture: its cached copy must stay as private as the note
        note["attachment"] = [{"type": "Document", "mediaType": "image/jpeg", "name": "A sketch",
                               "url": f"https://{PEER}/media/art.jpg"}]
    create.update({"id": f"{note_id}/activity", "to": to, "cc": cc, "object": note})
    return create


@pytest.fixture
def peer(network: Network) -> MediaPeer:
    return MediaPeer(imagecorpus.jpeg(imagecorpus.photo(320, 240))).install(network)


async def replied(network: Network, peer: MediaPeer) -> tuple[Instance, Work]:
    """art.test: alice's work with one reply of each visibility; carol is another artist there."""
    art = await network.add("art.test")
    alice = await make_user(art, "alice", password=PASSWORD)
    await make_user(art, "carol", password=PASSWORD)
    work = await post_work(art, "alice", 1, title="Harbour")
    for n, visibility in enumerate(TEXTS, start=1):
        assert await peer.post(art, "/users/alice/inbox", mastodon_reply(work, alice.account.uri, n, visibility)) == 202
    await network.drain()
    return art, work


def reply_count(html: str) -> str:
    """The number the page shows next to "replies"."""
    match = re.search(r"<strong>(\d+)</strong> repl(?:y|ies)</li>", html)
    assert match, "the page shows no reply count"
    return match.group(1)


async def test_direct_and_followers_only_replies_stay_off_every_public_page_feed_count_and_cache(
        network: Network, peer: MediaPeer) -> None:
    art, work = await replied(network, peer)
    page_path = f"/@alice/{work.public_id}"
    async with art.client() as client:
        first = await client.get(page_path)  # renders and fills the response cache
        cache = art.app.state.response_cache
        hits = cache.hits
        second = await client.get(page_path)  # answered from the cache
        assert cache.hits == hits + 1
        others = [await client.get(path) for path in ("/@alice", "/@alice/feed.atom", "/@alice/feed.rss")]
        note = await client.get(work.uri, headers={"Accept": "application/activity+json"})
    for response in (first, second, *others, note):
        assert response.status_code == 200
        assert not any(secret in response.text for secret in SECRET), response.url
    for page in (first, second):
        assert TEXTS["public"] in page.text and TEXTS["unlisted"] in page.text
        assert reply_count(page.text) == "2"

    async with browser(art) as alice:
        assert (await login(alice, "alice")).status_code == 303
        mine = await alice.get(page_path)
        notifications = await alice.get("/studio/notifications")
    assert mine.status_code == 200 and "private" in mine.headers["cache-control"]
    assert all(text in mine.text for text in TEXTS.values()) and reply_count(mine.text) == "4"
    assert all(secret in notifications.text for secret in SECRET)

    async with art.client() as client:  # alice's view was not kept for anyone else
        after = await client.get(page_path)
    assert not any(secret in after.text for secret in SECRET) and reply_count(after.text) == "2"

    async with browser(art) as carol:  # another artist here was not addressed
        assert (await login(carol, "carol")).status_code == 303
        theirs = await carol.get(page_path)
    assert not any(secret in theirs.text for secret in SECRET) and reply_count(theirs.text) == "2"

    async with art.rt.sessions() as session:  # Mastodon's names, stored with each note
        stored = {note.content_html: note.visibility for note in await session.scalars(select(RemoteNote))}
    assert stored == {f"<p>{text}</p>": visibility for visibility, text in TEXTS.items()}


async def test_the_cached_image_of_a_direct_reply_is_served_only_to_the_artist_it_was_sent_to(
        network: Network, peer: MediaPeer) -> None:
    art, work = await replied(network, peer)
    async with art.rt.sessions() as session:
        direct = await session.scalar(select(RemoteNote).where(RemoteNote.uri == f"{ACTOR}/statuses/4"))
        assert direct is not None
        row = await session.scalar(select(RemoteMedia).where(RemoteMedia.note_id == direct.id))
        ids = [r.id for r in await session.scalars(select(RemoteMedia))]
    assert row is not None and row.storage_key is not None
    async with art.client() as client:  # walking the row ids finds nothing
        assert [(await client.get(f"/media/remote/{n}/file.jpg")).status_code for n in ids] == [404] * len(ids)
    path = f"/media/remote/{row.token}/file.jpg"
    assert not row.token.isdigit() and len(row.token) >= 20  # not a counter anyone can walk

    async with art.client() as client:
        anonymous = await client.get(path)
        page = await client.get(f"/@alice/{work.public_id}")
    assert anonymous.status_code == 404
    assert row.token not in page.text
    async with browser(art) as carol:
        assert (await login(carol, "carol")).status_code == 303
        assert (await carol.get(path)).status_code == 404
    async with browser(art) as alice:
        assert (await login(alice, "alice")).status_code == 303
        mine = await alice.get(path)
        shown = await alice.get(f"/@alice/{work.public_id}")
    assert mine.status_code == 200 and mine.headers["content-type"] == "image/jpeg"
    assert mine.headers["cache-control"].startswith("private")
    assert f'src="{art.base}{path}"' in shown.text
