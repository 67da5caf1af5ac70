"""Tags across instances: a followed account's posts reach `/tags/{tag}` through the inbox (Mastodon's recorded
Create, re-hosted on the peer), beside our own works with the same tag; only public ones, and an edit that changes
a post's tags moves it from one tag page to the other."""

from __future__ import annotations

import copy

from fediverse.activitypub.vocab import AS_PUBLIC
from tests.federation.peer import ACTOR, PEER
from tests.federation.test_followed_posts import FOLLOWERS, World, accept_follow, make_world, peer_create
from tests.federation.test_works_federation import post_work
from tests.support import Network


def hashtag(name: str) -> dict[str, str]:
    return {"type": "Hashtag", "name": f"#{name}", "href": f"https://{PEER}/tags/{name.lower()}"}


async def tag_page(w: World, tag: str) -> str:
    async with w.art.client() as client:
        page = await client.get(f"/tags/{tag}")
    assert page.status_code == 200
    return page.text


async def test_followed_posts_and_local_works_share_a_tag_page_public_only_and_edits_move_them(
        network: Network) -> None:
    w = await make_world(network)
    await accept_follow(w, "alice")
    await post_work(w.art, "carol", 1, title="Harbour at dusk", description="Boats #Harbour")
    public = peer_create("mastodon/create_note_with_image_mastodon_social.json", 1, to=[AS_PUBLIC], cc=[FOLLOWERS],
                         content="<p>Tide out at the harbour</p>", tag=[hashtag("HARBOUR")])
    private = peer_create("mastodon/create_note_with_image_mastodon_social.json", 2, to=[FOLLOWERS], cc=[],
                          content="<p>Followers only: harbour sketch</p>", tag=[hashtag("harbour")])
    for create in (public, private):
        assert await w.send(create) == 202

    page = await tag_page(w, "harbour")
    assert "Harbour at dusk" in page and "Tide out at the harbour" in page
    assert "Followers only: harbour sketch" not in page  # tag pages are public listings

    edited = copy.deepcopy(public["object"]) | {"tag": [hashtag("Lighthouse")], "updated": "2030-01-01T00:00:00Z"}
    update = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{ACTOR}/statuses/1#updates/1",
              "type": "Update", "actor": ACTOR, "to": [AS_PUBLIC], "cc": [FOLLOWERS], "object": edited}
    assert await w.send(update) == 202
    assert "Tide out at the harbour" not in await tag_page(w, "harbour")
    assert "Tide out at the harbour" in await tag_page(w, "lighthouse")
