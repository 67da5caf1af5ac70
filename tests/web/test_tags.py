"""`/tags/{tag}`: local works and stored remote posts tagged #tag, public ones only, newest first, paged by id;
Atom and AS2 forms; hostile names answered with 404/400, never 500."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta
from typing import Any

from sqlalchemy import update

from fediverse.db import domain_policy
from fediverse.db import statuses as status_db
from fediverse.db.tags import index_tags
from fediverse.models import Account, DomainBlock, RemoteNote, utcnow
from tests.federation.helpers import make_user
from tests.support import Instance, Network
from tests.web import AP_ACCEPT, post_work, remote_account
from tests.web.panel_client import PASSWORD, browser, login

A = "{http://www.w3.org/2005/Atom}"


async def remote_post(instance: Instance, account: Account, n: int, tags: list[str], visibility: str = "public",
                      addressed: tuple[str, ...] = (), minutes_ago: int = 0) -> RemoteNote:
    """A remote note stored as the inbox stores it: the note, its status, its tags (one transaction)."""
    async with instance.rt.sessions() as session:
        note = RemoteNote(uri=f"{account.uri}/statuses/{n}", url=f"{account.url}/{n}", account_id=account.id,
                          content_html=f"<p>remote post {n} " + " ".join(f"#{t}" for t in tags) + "</p>",
                          raw={"tag": [{"type": "Hashtag", "name": f"#{t}"} for t in tags]},
                          visibility=visibility, published_at=utcnow() - timedelta(minutes=minutes_ago))
        session.add(note)
        await session.flush()
        status = await status_db.add_for_note(session, note, addressed)
        await index_tags(session, status.id, [f"#{t}" for t in tags])
        await session.commit()
    return note


async def setup(network: Network) -> tuple[Instance, dict[str, Any]]:
    art = await network.add("art.test")
    await make_user(art, "alice", password=PASSWORD)
    felix = await remote_account(art, "felix")
    made: dict[str, Any] = {"felix": felix}
    made["old_note"] = await remote_post(art, felix, 1, ["Café", "fox"], minutes_ago=60)
    made["work"] = await post_work(art, "alice", title="Fox at dawn", description="Morning #Fox #cafe", seed=1)
    made["unlisted"] = await post_work(art, "alice", title="Quiet fox", description="#fox", visibility="unlisted",
                                       seed=2)
    made["followers"] = await post_work(art, "alice", title="Secret fox", description="#fox",
                                        visibility="followers", seed=3)
    made["private"] = await remote_post(art, felix, 2, ["fox"], visibility="private")
    made["direct"] = await remote_post(art, felix, 3, ["fox"], visibility="direct", addressed=(
        "https://art.test/users/alice",))
    made["unlisted_note"] = await remote_post(art, felix, 4, ["fox"], visibility="unlisted")
    return art, made


async def test_tag_page_lists_public_local_and_remote_posts_newest_first(network: Network) -> None:
    art, made = await setup(network)
    async with art.client() as client:
        pages = [await client.get(path) for path in ("/tags/fox", "/tags/FOX", "/tags/%EF%BC%A6%EF%BC%AF%EF%BC%B8")]
    for response in pages:  # case-insensitive, full-width letters normalised (NFKC)
        assert response.status_code == 200
        html = response.text
        assert "Fox at dawn" in html and "remote post 1" in html
        for hidden in ("Quiet fox", "Secret fox", "remote post 2", "remote post 3", "remote post 4"):
            assert hidden not in html


async def test_tag_page_hides_private_and_direct_posts_even_from_their_audience(network: Network) -> None:
    art, made = await setup(network)
    async with browser(art) as client:
        assert (await login(client, "alice")).status_code == 303
        html = (await client.get("/tags/fox")).text
    assert "Fox at dawn" in html
    for hidden in ("Secret fox", "Quiet fox", "remote post 2", "remote post 3", "remote post 4"):
        assert hidden not in html  # a public listing: the addressed artist sees it at home, not here


async def test_accented_and_plain_spellings_are_one_tag(network: Network) -> None:
    art, made = await setup(network)
    async with art.client() as client:
        accented = await client.get("/tags/Caf%C3%A9")
        plain = await client.get("/tags/cafe")
    assert accented.status_code == plain.status_code == 200
    for response in (accented, plain):
        assert "Fox at dawn" in response.text and "remote post 1" in response.text


async def test_work_page_hashtag_links_land_on_the_tag_page(network: Network) -> None:
    art, made = await setup(network)
    work = made["work"]
    async with art.client() as client:
        page = (await client.get(f"/@alice/{work.public_id}")).text
        assert 'href="https://art.test/tags/fox"' in page
        assert (await client.get("/tags/fox")).status_code == 200


async def test_tag_pages_are_paged_by_status_id(network: Network) -> None:
    art = await network.add("art.test")
    felix = await remote_account(art, "felix")
    for n in range(30):
        await remote_post(art, felix, n, ["many"], minutes_ago=100 - n)  # post 29 is the newest
    async with art.client() as client:
        first = await client.get("/tags/many")
        doc = (await client.get("/tags/many", headers=AP_ACCEPT)).json()
        next_url = doc["first"]["next"]
        second = await client.get(next_url.removeprefix("https://art.test"), headers=AP_ACCEPT)
        html_second = await client.get(next_url.removeprefix("https://art.test"))
        bad = await client.get("/tags/many?max_id=abc")
        huge = await client.get("/tags/many?max_id=" + "9" * 40)
    assert first.status_code == 200
    assert "remote post 29" in first.text and "remote post 5 " not in first.text
    assert 'rel="next"' in first.text
    items = doc["first"]["orderedItems"]
    assert items == [f"{felix.uri}/statuses/{n}" for n in range(29, 5, -1)]
    rest = second.json()
    assert rest["type"] == "OrderedCollectionPage" and rest["partOf"] == "https://art.test/tags/many"
    assert rest["orderedItems"] == [f"{felix.uri}/statuses/{n}" for n in range(5, -1, -1)]
    assert "next" not in rest
    assert "remote post 5 " in html_second.text and "remote post 29" not in html_second.text
    assert bad.status_code == huge.status_code == 400


async def test_tag_collection_as2_shape(network: Network) -> None:
    art, made = await setup(network)
    async with art.client() as client:
        response = await client.get("/tags/fox", headers=AP_ACCEPT)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/activity+json")
    doc = response.json()
    assert doc["id"] == "https://art.test/tags/fox" and doc["type"] == "OrderedCollection"
    assert doc["name"] == "#fox"
    assert doc["first"]["type"] == "OrderedCollectionPage"
    assert doc["first"]["orderedItems"] == [made["work"].uri, made["old_note"].uri]


async def test_tag_atom_feed(network: Network) -> None:
    art, made = await setup(network)
    async with art.client() as client:
        response = await client.get("/tags/fox.atom")
        again = await client.get("/tags/fox.atom", headers={"If-None-Match": response.headers["etag"]})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{A}feed"
    assert feed.find(f"{A}link[@rel='self']").attrib["href"] == "https://art.test/tags/fox.atom"  # type: ignore[union-attr]
    ids = [e.findtext(f"{A}id") for e in feed.findall(f"{A}entry")]
    assert ids == [made["work"].uri, made["old_note"].uri]
    summary = feed.find(f"{A}entry/{A}summary")
    assert summary is not None and "A red fox asleep in snow" in (summary.text or "")  # alt text
    assert again.status_code == 304


async def test_unknown_valid_tag_is_an_empty_page(network: Network) -> None:
    art = await network.add("art.test")
    async with art.client() as client:
        response = await client.get("/tags/nobodyusedthis")
    assert response.status_code == 200
    assert "No public posts" in response.text


async def test_hostile_tag_names_get_404_never_500(network: Network) -> None:
    art = await network.add("art.test")
    hostile = ["a" * 5000, "%00", "fox%00", "fox%0d%0aSet-Cookie:%20x", "..%2F..%2Fetc%2Fpasswd", "%2e%2e",
               "fox%22%20OR%20*", "NEAR(a%20b)", "a'%3B%20DROP%20TABLE%20tags%3B--", "%E2%80%AE", "123",
               "%F0%9F%A6%8A", "fox.atom.atom", "%ff%fe", "_", "%C2%B7"]
    async with art.client() as client:
        for name in hostile:
            for suffix in ("", ".atom"):
                response = await client.get(f"/tags/{name}{suffix}")
                assert response.status_code == 404, (name, suffix, response.status_code)  # no such tag here
                response = await client.get(f"/tags/{name}{suffix}", headers=AP_ACCEPT)
                assert response.status_code == 404, (name, suffix, response.status_code)


async def test_posts_of_suspended_or_silenced_accounts_and_domains_are_left_out(network: Network) -> None:
    art, made = await setup(network)
    mira = await remote_account(art, "mira", "loud.test")
    await remote_post(art, mira, 10, ["fox"])
    async with art.rt.sessions() as session:
        session.add(DomainBlock(domain="loud.test", severity="silence"))
        domain_policy.invalidate(session)
        await session.execute(update(Account).where(Account.username == "alice").values(silenced_at=utcnow()))
        await session.commit()
    async with art.client() as client:
        html = (await client.get("/tags/fox")).text
    assert "remote post 10" not in html and "Fox at dawn" not in html
    assert "remote post 1" in html


async def test_cli_extra_tags_are_stored_normalised_so_their_links_work(network: Network) -> None:
    art = await network.add("art.test")
    await make_user(art, "alice")
    work = await post_work(art, "alice", title="Tagged", extra_tags=("#Ink-Wash", "ＷＡＴＥＲ", "123"))
    assert work.tags == ["inkwash", "water"]
    async with art.client() as client:
        assert "Tagged" in (await client.get("/tags/InkWash")).text
        assert "Tagged" in (await client.get("/tags/water")).text
