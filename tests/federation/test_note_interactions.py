"""A work's Note serves its likes, shares and replies as collections with totalItems, as Mastodon 4.3+ does.

Mastodon's recorded Like, Announce and reply payloads, delivered with real signatures by the re-hosted Mastodon
peer, change the counts; each inlined collection's id dereferences to the same count with the work's consent
terms. Only what a signed-out viewer may see is counted: a followers-only reply is not.
"""

from __future__ import annotations

from typing import Any

from fediverse.models import Work
from tests.federation.helpers import make_user
from tests.federation.peer import FixturePeer, load_fixture, rehost
from tests.federation.test_reply_audience import mastodon_reply
from tests.support import Instance, Network
from tests.web import AP_ACCEPT, post_work

IN_COPYRIGHT = "http://rightsstatements.org/vocab/InC/1.0/"


async def note_of(art: Instance, work: Work) -> dict[str, Any]:
    async with art.client() as client:
        response = await client.get(work.uri, headers=AP_ACCEPT)
    assert response.status_code == 200
    return response.json()


def totals(note: dict[str, Any]) -> dict[str, int]:
    return {name: note[name]["totalItems"] for name in ("likes", "shares", "replies")}


async def test_likes_shares_and_replies_count_what_a_signed_out_viewer_may_see(network: Network) -> None:
    art = await network.add("art.test")
    alice = await make_user(art, "alice")
    peer = FixturePeer().install(network)
    work = await post_work(art, "alice")

    before = await note_of(art, work)
    assert totals(before) == {"likes": 0, "shares": 0, "replies": 0}
    assert before["likes"] == {"id": f"{work.uri}/likes", "type": "Collection", "totalItems": 0}
    assert before["shares"]["id"] == f"{work.uri}/shares" and before["replies"]["id"] == f"{work.uri}/replies"

    like = rehost(load_fixture("mastodon/like.json"), object_uri=work.uri)
    announce = rehost(load_fixture("mastodon/announce.json"), object_uri=work.uri)
    public_reply = mastodon_reply(work, alice.account.uri, 1, "public")
    followers_only = mastodon_reply(work, alice.account.uri, 2, "private")
    for doc in (like, announce, public_reply, followers_only):
        assert await peer.post(art, "/users/alice/inbox", doc) == 202
    await network.drain()

    after = await note_of(art, work)
    assert totals(after) == {"likes": 1, "shares": 1, "replies": 1}  # the followers-only reply is not counted
    async with art.client() as client:
        for name, total in totals(after).items():
            response = await client.get(after[name]["id"], headers=AP_ACCEPT)
            assert response.status_code == 200
            doc = response.json()
            assert (doc["id"], doc["type"], doc["totalItems"]) == (after[name]["id"], "Collection", total), name
            # a collection like any other: the work's consent terms, in its context and headers
            assert doc["license"] == IN_COPYRIGHT and doc["contentUsage"] == "train-ai=n, search=y", name
            assert any(isinstance(c, dict) and "contentUsage" in c for c in doc["@context"]), name
            assert response.headers["x-robots-tag"] == "noai, noimageai, noarchive", name
            assert f'<{IN_COPYRIGHT}>; rel="license"' in response.headers.get_list("link"), name
        unknown = await client.get(f"{work.uri}/quotes", headers=AP_ACCEPT)
    assert unknown.status_code == 404


async def test_a_followers_only_works_collections_are_not_served_to_a_signed_out_fetch(network: Network) -> None:
    art = await network.add("art.test")
    await make_user(art, "alice")
    work = await post_work(art, "alice", visibility="followers")
    async with art.client() as client:
        for name in ("likes", "shares", "replies"):
            response = await client.get(f"{work.uri}/{name}", headers=AP_ACCEPT)
            assert response.status_code == 404, name
