"""Portfolio, work and collection pages over HTTP: order, visibility, escaping, metadata, negotiation, caching."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from fediverse.db import accounts as account_db
from fediverse.models import CollectionItem, WorkCollection
from fediverse.services.profile import update_profile
from fediverse.services.works import WorkInput
from fediverse.web import pages
from tests.federation.helpers import act, make_user, user
from tests.support import Instance, Network
from tests.web import (
    AP_ACCEPT, CC_BY_NC_ND, as_user, grid_links, parse, post_work, react, remote_account, reply,
)


async def artist(network: Network) -> Instance:
    instance = await network.add("art.test")
    await make_user(instance, "alice", display_name="Alice Fox", summary="I paint foxes.\n\nCommissions open.")
    return instance


def page_of(instance: Instance, work: object) -> str:
    return instance.rt.uris.work_page("alice", work.public_id)  # type: ignore[attr-defined]


async def test_grid_shows_public_works_in_portfolio_order_with_pinned_first(network: Network) -> None:
    art = await artist(network)
    first = await post_work(art, "alice", title="First", seed=1)
    second = await post_work(art, "alice", title="Second", seed=2)
    third = await post_work(art, "alice", title="Third", seed=3)
    unlisted = await post_work(art, "alice", title="Unlisted", visibility="unlisted", seed=4)
    followers = await post_work(art, "alice", title="Followers", visibility="followers", seed=5)
    deleted = await post_work(art, "alice", title="Deleted", seed=6)
    await as_user(art, "alice", "delete_work", deleted.public_id)
    await as_user(art, "alice", "arrange", [second.public_id, first.public_id, third.public_id])
    await as_user(art, "alice", "set_pinned", third.public_id, True)

    async with art.client() as client:
        by_handle = await client.get("/@alice")
        by_actor_url = await client.get("/users/alice")
    assert by_handle.status_code == by_actor_url.status_code == 200
    assert by_handle.headers["content-type"].startswith("text/html")
    page = parse(by_handle.text)
    assert grid_links(page) == [page_of(art, w) for w in (third, second, first)]
    assert grid_links(parse(by_actor_url.text)) == grid_links(page)
    for hidden in (unlisted, followers, deleted):
        assert hidden.public_id not in by_handle.text
    images = [img for img in page.all("img") if "/media/" in img.attrs.get("src", "")]
    assert [img.attrs["alt"] for img in images] == ["A red fox asleep in snow"] * 3
    for img in images:
        assert int(img.attrs["width"]) > 0 and int(img.attrs["height"]) > 0
        assert img.attrs["loading"] in ("lazy", "eager") and img.attrs["decoding"] == "async"
        assert img.attrs["src"].startswith("https://art.test/media/alice/")
    assert "Pinned" in by_handle.text


async def test_grid_pages_through_works(network: Network, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pages, "GRID_PAGE_SIZE", 2)
    art = await artist(network)
    works = [await post_work(art, "alice", title=f"W{n}", seed=n) for n in range(3)]
    async with art.client() as client:
        one, two, three = [await client.get(f"/@alice?page={n}") for n in (1, 2, 3)]
        bad = [await client.get(f"/@alice?page={value}") for value in ("0", "x", "-1", "99999999")]
    newest_first = [page_of(art, w) for w in reversed(works)]
    assert grid_links(parse(one.text)) == newest_first[:2]
    assert grid_links(parse(two.text)) == newest_first[2:]
    assert 'rel="next" href="https://art.test/@alice?page=2"' in one.text
    assert 'rel="prev" href="https://art.test/@alice"' in two.text
    assert three.status_code == 404
    assert [r.status_code for r in bad] == [400] * 4


async def test_profile_shows_bio_fields_counts_and_links_to_actor_and_feeds(network: Network) -> None:
    art = await artist(network)
    async with art.rt.sessions() as session:
        alice = await account_db.local_user(session, "alice")
        assert alice is not None
        await update_profile(art.rt, session, alice, fields=[("Shop", "https://shop.example/alice"),
                                                             ("Medium", "oil <on> board")])
        await session.commit()
    work = await post_work(art, "alice", title="Fox", seed=9)
    async with art.client() as client:
        response = await client.get("/@alice")
    page = parse(response.text)
    assert "<p>I paint foxes.</p><p>Commissions open.</p>" in response.text
    assert page.one("a", href="https://shop.example/alice").attrs["rel"] == "me nofollow noopener"
    assert "oil &lt;on&gt; board" in response.text
    assert "0</strong> followers" in response.text and "1</strong> work" in response.text
    assert page.one("link", rel="alternate", type="application/activity+json").attrs["href"] == art.rt.uris.actor("alice")
    assert page.one("link", type="application/atom+xml").attrs["href"] == "https://art.test/@alice/feed.atom"
    assert page.one("link", type="application/rss+xml").attrs["href"] == "https://art.test/@alice/feed.rss"
    assert response.headers.get_list("link") == [  # the actor, and the rights statement (no licence chosen)
        f'<{art.rt.uris.actor("alice")}>; rel="alternate"; type="application/activity+json"',
        '<http://rightsstatements.org/vocab/InC/1.0/>; rel="license"']
    assert page.meta("og:type") == "profile"
    assert page.meta("og:title") == "Alice Fox (@alice@art.test)"
    assert page.meta("og:image") == art.rt.uris.media(work.images[0].display_key)  # no avatar: the first work
    assert page.meta("og:image:alt") == "A red fox asleep in snow"
    assert page.meta("robots") == "noai, noimageai, noarchive"  # the instance default: no AI training


async def test_work_page_shows_images_alt_texts_licence_counts_and_replies(network: Network) -> None:
    art = await artist(network)
    work = await post_work(art, "alice", title="Two foxes", description="Fox pair, #oil on board.",
                           license_url=CC_BY_NC_ND, alts=("A fox curled up", 'A fox & "friend" <leaping>'), seed=3)
    bob = await remote_account(art, "bob", display_name="Bob <b>Builder</b>")
    carol = await remote_account(art, "carol", domain="other.test")
    await react(art, work, bob, "like")
    await react(art, work, carol, "like")
    await react(art, work, bob, "announce")
    await reply(art, work, bob, '<p>Lovely <a href="https://x.test/">work</a></p><script>alert(1)</script>')
    async with art.client() as client:
        response = await client.get(f"/@alice/{work.public_id}")
    assert response.status_code == 200
    page = parse(response.text)
    assert page.one("h1").text == "Two foxes"
    figure_images = [img for img in page.all("img") if "/media/" in img.attrs["src"]]
    assert [img.attrs["alt"] for img in figure_images] == ["A fox curled up", 'A fox & "friend" <leaping>']
    captions = [f.text for f in page.all("figcaption")]
    assert "A fox curled up" in captions[0] and 'A fox & "friend" <leaping>' in captions[1]
    for image, img in zip(work.images, figure_images):
        assert img.attrs["src"] == art.rt.uris.media(image.display_key)
        assert img.attrs["width"] and img.attrs["height"]
    large_links = [a.attrs["href"] for a in page.all("a") if a.attrs.get("href", "").startswith("https://art.test/media/")]
    assert large_links == [art.rt.uris.media(image.large_key) for image in work.images]
    licence = page.one("a", rel="license")
    assert licence.attrs["href"] == CC_BY_NC_ND and "CC BY-NC-ND 4.0" in response.text
    assert "<strong>2</strong> likes" in response.text
    assert "<strong>1</strong> boost" in response.text
    assert "<strong>1</strong> reply" in response.text
    assert "Fox pair, " in response.text and 'href="https://art.test/tags/oil"' in response.text
    # the reply: author and link shown, remote HTML sanitised, remote display name escaped
    assert "@bob@remote.test" in response.text
    assert page.all("a", href="https://remote.test/@bob")
    assert 'Lovely <a href="https://x.test/"' in response.text
    assert "<script>alert(1)</script>" not in response.text
    assert "Bob &lt;b&gt;Builder&lt;/b&gt;" in response.text
    assert page.one("link", rel="alternate", type="application/activity+json").attrs["href"] == work.uri
    assert "AI-generated" not in response.text


async def test_title_and_text_are_escaped_everywhere(network: Network) -> None:
    art = await artist(network)
    nasty = '<script>alert("x")</script> & </title>'
    work = await post_work(art, "alice", title=nasty, alts=('"><img src=x onerror=alert(1)>',),
                           description="<b>not bold</b>", seed=4)
    async with art.client() as client:
        html = (await client.get(f"/@alice/{work.public_id}")).text
        grid = (await client.get("/@alice")).text
    for text in (html, grid):
        assert "<script>alert" not in text and "</title> " not in text.split("<title>", 1)[1].split("</title>", 1)[0]
        assert "<img src=x" not in text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;/title&gt;" in html
    assert "&lt;b&gt;not bold&lt;/b&gt;" in html
    page = parse(html)
    assert page.one("h1").text == nasty
    assert page.meta("og:title") == f"{nasty} by Alice Fox"
    [script] = page.all("script", type="application/ld+json")
    assert "</script" not in script.text and "<" not in script.text
    assert json.loads(script.text)["@graph"][0]["name"] == nasty


async def test_opengraph_and_schema_org_image_object_describe_the_real_image(network: Network) -> None:
    art = await artist(network)
    work = await post_work(art, "alice", title="Big fox", license_url=CC_BY_NC_ND, size=(2000, 1500), seed=5)
    async with art.client() as client:
        response = await client.get(f"/@alice/{work.public_id}")
        page = parse(response.text)
        display = await client.get(page.meta("og:image") or "")
        [script] = page.all("script", type="application/ld+json")
        data = json.loads(script.text)
        [image] = data["@graph"]
        large = await client.get(image["contentUrl"])
    assert data["@context"] == "https://schema.org"
    assert page.meta("og:type") == "article"
    assert page.meta("og:url") == page_of(art, work)
    assert page.meta("og:image:alt") == "A red fox asleep in snow"
    assert display.status_code == 200
    assert Image.open(io.BytesIO(display.content)).size == (int(page.meta("og:image:width") or 0),
                                                            int(page.meta("og:image:height") or 0)) == (1280, 960)
    assert image["@type"] == "ImageObject"
    assert large.status_code == 200 and Image.open(io.BytesIO(large.content)).size == (image["width"], image["height"])
    assert image["caption"] == image["description"] == "A red fox asleep in snow"
    assert image["license"] == CC_BY_NC_ND
    assert image["creator"] == {"@type": "Person", "name": "Alice Fox", "url": "https://art.test/@alice"}
    assert image["creditText"] == "Alice Fox (@alice@art.test)"
    assert image["datePublished"].startswith(str(work.published_at.year))
    assert image["contentUrl"] == art.rt.uris.media(work.images[0].large_key)
    # the thumbnail the grid uses has the size its width/height attributes announce
    async with art.client() as client:
        grid = parse((await client.get("/@alice")).text)
        [thumb] = [img for img in grid.all("img") if "/media/" in img.attrs["src"]]
        thumb_bytes = (await client.get(thumb.attrs["src"])).content
    assert Image.open(io.BytesIO(thumb_bytes)).size == (int(thumb.attrs["width"]), int(thumb.attrs["height"]))


async def test_sensitive_work_is_behind_a_toggle_and_out_of_link_previews(network: Network) -> None:
    art = await artist(network)
    work = await post_work(art, "alice", title="Study", content_warning="anatomy <nudity>", seed=6)
    async with art.client() as client:
        html = (await client.get(f"/@alice/{work.public_id}")).text
        grid = (await client.get("/@alice")).text
    page = parse(html)
    assert any("Content warning: anatomy <nudity>" in summary.text for summary in page.all("summary"))
    details_at = html.index('<details class="cw">')
    for key in (work.images[0].display_key, work.images[0].large_key, work.images[0].thumbnail_key):
        assert html.index(art.rt.uris.media(key)) > details_at  # no image outside the toggle
    assert page.meta("og:image") is None and not page.all("script", type="application/ld+json")
    assert "Content warning: anatomy &lt;nudity&gt;" in grid
    assert art.rt.uris.media(work.images[0].thumbnail_key) not in grid


async def test_ai_generated_work_is_labelled(network: Network) -> None:
    art = await artist(network)
    work = await post_work(art, "alice", title="Machine fox", ai_generated=True, seed=7)
    async with art.client() as client:
        html = (await client.get(f"/@alice/{work.public_id}")).text
    assert '<span class="label ai">AI-generated</span>' in html


async def test_deleted_work_is_gone_and_followers_only_is_not_found(network: Network) -> None:
    art = await artist(network)
    gone = await post_work(art, "alice", title="Gone", seed=1)
    hidden = await post_work(art, "alice", title="Followers only", visibility="followers", seed=2)
    unlisted = await post_work(art, "alice", title="Unlisted", visibility="unlisted", seed=3)
    await as_user(art, "alice", "delete_work", gone.public_id)
    async with art.client() as client:
        deleted_page = await client.get(f"/@alice/{gone.public_id}")
        deleted_json = await client.get(f"/@alice/{gone.public_id}", headers=AP_ACCEPT)
        hidden_page = await client.get(f"/@alice/{hidden.public_id}")
        hidden_json = await client.get(f"/@alice/{hidden.public_id}", headers=AP_ACCEPT)
        unlisted_page = await client.get(f"/@alice/{unlisted.public_id}")
        wrong_artist = await client.get(f"/@bob/{unlisted.public_id}")
        unknown = await client.get("/@alice/0123456789abcdef")
    assert deleted_page.status_code == 410 and deleted_page.headers["content-type"].startswith("text/html")
    assert "Gone" not in deleted_page.text
    assert deleted_json.status_code == 410 and deleted_json.json()["type"] == "Tombstone"
    assert hidden_page.status_code == 404 and "Followers only" not in hidden_page.text
    assert hidden_json.status_code == 404
    assert unlisted_page.status_code == 200 and "Unlisted" in unlisted_page.text
    assert wrong_artist.status_code == unknown.status_code == 404


async def test_activitypub_clients_get_json_at_the_page_urls(network: Network) -> None:
    art = await artist(network)
    work = await post_work(art, "alice", title="Fox", seed=1)
    async with art.client() as client:
        note = await client.get(f"/@alice/{work.public_id}", headers={"Accept": 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'})
        actor = await client.get("/@alice", headers=AP_ACCEPT)
    assert note.status_code == 200 and note.headers["content-type"].startswith("application/activity+json")
    assert note.json()["id"] == work.uri and note.json()["type"] == "Note"
    assert actor.json()["id"] == art.rt.uris.actor("alice")


async def test_collection_page_lists_its_public_works_in_order(network: Network) -> None:
    art = await artist(network)
    a = await post_work(art, "alice", title="A", seed=1)
    b = await post_work(art, "alice", title="B", seed=2)
    c = await post_work(art, "alice", title="C", visibility="unlisted", seed=3)
    d = await post_work(art, "alice", title="D", seed=4)
    alice = await user(art, "alice")
    async with art.rt.sessions() as session:
        collection = WorkCollection(account_id=alice.account_id, slug="winter", title="Winter <foxes>",
                                    description="Snow studies.\n\nAll in oil.")
        session.add(collection)
        await session.flush()
        for position, work in enumerate((b, c, a)):
            session.add(CollectionItem(collection_id=collection.id, work_id=work.id, position=position))
        await session.commit()
    async with art.client() as client:
        response = await client.get("/@alice/collections/winter")
        profile = await client.get("/@alice")
        missing = await client.get("/@alice/collections/summer")
        other = await client.get("/@nobody/collections/winter")
    assert response.status_code == 200
    page = parse(response.text)
    assert page.one("h1").text == "Winter <foxes>"
    assert "<p>Snow studies.</p><p>All in oil.</p>" in response.text
    assert grid_links(page) == [page_of(art, b), page_of(art, a)]
    assert d.public_id not in response.text and c.public_id not in response.text
    assert parse(profile.text).all("a", href="https://art.test/@alice/collections/winter")
    assert missing.status_code == other.status_code == 404


async def test_cached_pages_change_when_the_work_changes(network: Network) -> None:
    art = await artist(network)
    work = await post_work(art, "alice", title="Before", seed=1)
    bob = await remote_account(art, "bob")
    async with art.client() as client:
        assert "Before" in (await client.get(f"/@alice/{work.public_id}")).text
        assert "Before" in (await client.get("/@alice")).text
        assert (await client.get(work.uri, headers=AP_ACCEPT)).json()["name"] == "Before"
        await as_user(art, "alice", "edit_work", work.public_id, WorkInput(title="After"))
        assert "After" in (await client.get(f"/@alice/{work.public_id}")).text
        assert "After" in (await client.get("/@alice")).text
        assert (await client.get(work.uri, headers=AP_ACCEPT)).json()["name"] == "After"
        await react(art, work, bob, "like")
        assert "<strong>1</strong> like" in (await client.get(f"/@alice/{work.public_id}")).text
        await as_user(art, "alice", "delete_work", work.public_id)
        assert (await client.get(f"/@alice/{work.public_id}")).status_code == 410
        assert (await client.get(work.uri, headers=AP_ACCEPT)).status_code == 410
        assert work.public_id not in (await client.get("/@alice")).text



async def test_followers_only_note_reaches_a_signed_follower_and_is_never_cached_for_others(network: Network) -> None:
    art = await artist(network)
    fan = await network.add("fan.test")
    await make_user(fan, "bob")
    await act(fan, "follow", "bob", "alice@art.test")
    await network.drain()
    work = await post_work(art, "alice", title="For followers", visibility="followers", seed=1)
    bob = await user(fan, "bob")
    signer = fan.rt.signer_for(bob)
    for url in (work.uri, page_of(art, work)):  # the Note's id, and the page URL asked for as AS2
        _final, doc = await fan.rt.client.fetch_json(url, signer=signer)
        assert doc["id"] == work.uri and doc["name"] == "For followers"
        async with art.client() as client:
            anonymous = await client.get(url, headers=AP_ACCEPT)
        assert anonymous.status_code == 404 and "For followers" not in anonymous.text
