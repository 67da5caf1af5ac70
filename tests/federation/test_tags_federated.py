"""Tags across instances: a followed account's posts reach `/tags/{tag}` through the inbox (Mastodon's recorded
Create, re-hosted on the peer), beside our own works with the same tag; only public ones, and an edit that changes
a post's tags moves it from one tag page to the other. Their hashtag links lead to our tag pages and their mentions
of accounts we know to our view of them, on /home and on the tag page; hostile ones never become unsafe."""

from __future__ import annotations

import copy
import re

from sqlalchemy import select

from fediverse.activitypub.parse_note import MAX_HASHTAGS
from fediverse.activitypub.vocab import AS_PUBLIC
from fediverse.models.tags import StatusTag, Tag, normalize_tag
from tests.federation.helpers import act
from tests.federation.peer import ACTOR, PEER
from tests.federation.test_followed_posts import (
    FOLLOWERS, World, accept_follow, make_world, peer_announce, peer_create, peer_undo_announce,
)
from tests.federation.test_home_timeline import page_of
from tests.federation.test_works_federation import post_work
from tests.support import Network
from tests.web.panel_client import PASSWORD


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


def hrefs_of(page: str, text: str) -> list[str]:
    """The hrefs of the links on `page` whose text (markup removed) is `text`."""
    return [href for href, inner in re.findall(r'<a href="([^"]*)"[^>]*>(.*?)</a>', page, re.S)
            if re.sub(r"<[^>]+>", "", inner) == text]


async def test_a_followed_posts_hashtag_and_mention_links_lead_here_on_home_and_the_tag_page(network: Network) -> None:
    """Mastodon's recorded post links its hashtags to mastodon.social/tags/Kraków and so on, and a mention of erin
    (whom alice follows on social.test) to her profile there: here they open our tag page and our view of erin."""
    w = await make_world(network, password=PASSWORD)
    await accept_follow(w, "alice")
    await act(w.art, "follow", "alice", "erin@social.test")
    await network.drain()
    post = peer_create("mastodon/create_note_with_image_mastodon_social.json", 1, to=[AS_PUBLIC], cc=[FOLLOWERS])
    note = post["object"]
    note["content"] = note["content"].replace(
        "</p>", ' <span class="h-card"><a href="https://social.test/@erin" class="u-url mention">@<span>erin</span>'
                '</a></span> <a href="https://shop.example/prints">prints</a></p>')
    note.pop("contentMap", None)
    note["tag"] = [*note["tag"], {"type": "Mention", "href": "https://social.test/users/erin", "name": "@erin"}]
    assert await w.send(post) == 202

    home = await page_of(w, "alice", "/home")
    tag_page_html = await tag_page(w, "krakow")
    for page in (home, tag_page_html):
        assert hrefs_of(page, "#Kraków") == ["https://art.test/tags/krakow"]
        assert hrefs_of(page, "#Wrocław") == ["https://art.test/tags/wroclaw"]
        assert hrefs_of(page, "@erin") == ["https://art.test/@erin@social.test"]
        assert hrefs_of(page, "prints") == ["https://shop.example/prints"]  # other links are left alone
        assert "mastodon.social/tags" not in page
    for tag in ("prague", "gdansk", "krakow", "london", "wroclaw"):  # each link lands on a page that lists the post
        assert "time to review and edit photos" in await tag_page(w, tag)
    async with w.art.client() as client:
        assert (await client.get("/@erin@social.test")).status_code == 200


async def test_hostile_hashtag_links_of_a_followed_post_never_become_unsafe(network: Network) -> None:
    w = await make_world(network, password=PASSWORD)
    await accept_follow(w, "alice")
    content = ('<p>Heron <a href="javascript:alert(1)" class="mention hashtag">#<span>heron</span></a> '
               '<a href="https://bank.test/login" class="mention hashtag">#<span>heron</span></a> '
               '<a href="https://masto.test/tags/x" onclick="steal()">#x</a> '
               '<a href="https://evil.test/@admin" class="u-url mention">@<span>admin</span></a></p>')
    tags = [{"type": "Hashtag", "href": "javascript:alert(1)", "name": "#heron"},
            {"type": "Hashtag", "href": "https://masto.test/tags/x", "name": '#x"><script>alert(1)</script>'},
            {"type": "Mention", "href": "https://social.test/users/admin", "name": "@admin@social.test"}]
    post = peer_create("mastodon/create_note_with_image_mastodon_social.json", 2, to=[AS_PUBLIC], cc=[FOLLOWERS],
                       content=content, tag=tags)
    post["object"].pop("contentMap", None)
    assert await w.send(post) == 202

    for page in (await page_of(w, "alice", "/home"), await tag_page(w, "heron")):
        assert "Heron" in page
        assert "javascript:" not in page and "onclick" not in page and "<script>alert" not in page
        assert "bank.test" not in page  # a link pretending to be a hashtag leads to our tag page instead
        assert hrefs_of(page, "#heron") == ["https://art.test/tags/heron"]
        assert hrefs_of(page, "#x") == ["https://art.test/tags/xscriptalert1script"]  # a name, never markup
        assert hrefs_of(page, "@admin") == ["https://evil.test/@admin"]  # another host's lookalike: left alone


def hashtag_link(name: str) -> str:
    """Mastodon's markup of a hashtag in a post."""
    return f'<a href="https://{PEER}/tags/{name.lower()}" class="mention hashtag" rel="tag">#<span>{name}</span></a>'


async def test_edits_deletes_and_undo_of_a_followed_account_are_reflected_on_home_and_tag_pages(
        network: Network) -> None:
    w = await make_world(network, password=PASSWORD)
    await accept_follow(w, "alice")
    post = peer_create("mastodon/create_note_with_image_mastodon_social.json", 1, to=[AS_PUBLIC], cc=[FOLLOWERS],
                       content=f"<p>Heron at dawn {hashtag_link('Heron')}</p>", tag=[hashtag("Heron")])
    post["object"].pop("contentMap", None)
    assert await w.send(post) == 202
    work = await post_work(w.social, "erin", 1, title="Erin harbour study")
    await network.drain()
    announce = peer_announce(9, work.uri, "https://social.test/users/erin")
    assert await w.send(announce) == 202
    home = await page_of(w, "alice", "/home")
    assert "Heron at dawn" in home and "Erin harbour study" in home
    assert hrefs_of(home, "#Heron") == ["https://art.test/tags/heron"]

    edited = copy.deepcopy(post["object"]) | {"content": f"<p>Egret at noon {hashtag_link('Egret')}</p>",
                                              "tag": [hashtag("Egret")], "updated": "2030-01-01T00:00:00Z"}
    update = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{ACTOR}/statuses/1#updates/1",
              "type": "Update", "actor": ACTOR, "to": [AS_PUBLIC], "cc": [FOLLOWERS], "object": edited}
    assert await w.send(update) == 202
    home = await page_of(w, "alice", "/home")
    assert "Egret at noon" in home and "Heron at dawn" not in home
    assert hrefs_of(home, "#Egret") == ["https://art.test/tags/egret"]  # the edit's links lead here too
    assert "Egret at noon" in await tag_page(w, "egret") and "Egret at noon" not in await tag_page(w, "heron")

    assert await w.send(peer_undo_announce(announce)) == 202
    assert "Erin harbour study" not in await page_of(w, "alice", "/home")  # the boost is gone (erin is unfollowed)

    delete = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{ACTOR}/statuses/1#delete",
              "type": "Delete", "actor": ACTOR, "object": {"id": f"{ACTOR}/statuses/1", "type": "Tombstone"}}
    assert await w.send(delete) == 202
    assert "Egret at noon" not in await page_of(w, "alice", "/home")
    assert "Egret at noon" not in await tag_page(w, "egret")


async def test_hostile_and_flooding_hashtags_of_a_followed_post_are_bounded_and_harmless(network: Network) -> None:
    w = await make_world(network, password=PASSWORD)
    await accept_follow(w, "alice")
    hostile = ["#" + "a" * 5000, "#nul\u0000byte", "#\u202eevil", "#../../etc", "#<b>bold</b>", "#123", "#",
               "#fox%00", "#a'; DROP TABLE tags;--", "#zero\u200bwidth"]
    tags: list[object] = [{"type": "Hashtag", "name": name, "href": f"https://{PEER}/tags/x"} for name in hostile]
    tags += [{"type": "Hashtag", "name": None}, {"type": "Hashtag"}, "junk", 7]
    tags += [hashtag(f"flood{n}") for n in range(1000)]
    post = peer_create("mastodon/create_note_with_image_mastodon_social.json", 1, to=[AS_PUBLIC], cc=[FOLLOWERS],
                       content="<p>Flooded with tags</p>", tag=tags)
    assert await w.send(post) == 202
    assert await w.outcome(post["id"]) == "post stored"
    async with w.art.rt.sessions() as session:
        names = list(await session.scalars(select(Tag.name).join(StatusTag, StatusTag.tag_id == Tag.id)))
    assert 0 < len(names) <= MAX_HASHTAGS
    assert all(normalize_tag(name) == name for name in names)  # only valid, normalised names are indexed
    async with w.art.client() as client:
        for name in names:
            page = await client.get(f"/tags/{name}")
            assert page.status_code == 200 and "Flooded with tags" in page.text
        assert (await client.get("/tags/flood999")).status_code == 200  # past the bound: a valid, empty page
    assert "Flooded with tags" not in await tag_page(w, "flood999")
    assert "Flooded with tags" in await page_of(w, "alice", "/home")
