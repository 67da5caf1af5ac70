"""The front page (web/front.py): recent public works of the instance's artists, newest first, paged by status
id; the artists-list setting; search opt-outs followed in headers; cached and dropped when works change."""

from __future__ import annotations

import pytest

from fediverse.config import ConfigError
from fediverse.errors import Invalid
from fediverse.imaging.blurhash import decode_grid
from fediverse.services import site_settings
from fediverse.web import front, gallery
from tests.federation.helpers import make_user
from tests.support import Network
from tests.web import as_user, parse, post_work, remote_account, reply
from tests.web.panel_client import PASSWORD, browser, errors_in, login, post_form
from tests.web.test_consent_headers import set_consent


def tile_links(html: str) -> list[str]:
    page = parse(html)
    inside, links = False, []
    for element in page.elements:
        if element.tag == "ul" and element.attrs.get("class") == "grid":
            inside = True
        elif inside and element.tag == "a":
            links.append(element.attrs["href"])
        elif inside and element.tag in ("nav", "section", "h2"):
            break
    return links


async def test_visitor_sees_recent_public_works_newest_first_and_nothing_else(network: Network) -> None:
    art = await network.add("art.test")
    await make_user(art, "alice", display_name="Alice Fox")
    await make_user(art, "bob")
    await make_user(art, "mallory")
    first = await post_work(art, "alice", title="First", seed=1)
    second = await post_work(art, "bob", title="Second", seed=2)
    third = await post_work(art, "alice", title="Third", alts=("A heron", "A pond"), seed=3)
    unlisted = await post_work(art, "alice", title="Unlisted", visibility="unlisted", seed=4)
    private = await post_work(art, "alice", title="Followers", visibility="followers", seed=5)
    deleted = await post_work(art, "bob", title="Deleted", seed=6)
    await as_user(art, "bob", "delete_work", deleted.public_id)
    await post_work(art, "mallory", title="Suspended", seed=7)
    async with art.rt.sessions() as session:
        from fediverse.db import accounts as account_db
        mallory = await account_db.local_by_username(session, "mallory")
        assert mallory is not None
        from fediverse.models import utcnow
        mallory.suspended_at = utcnow()
        await session.commit()
    stranger = await remote_account(art, "stranger")
    await reply(art, first, stranger, "<p>a remote reply</p>")

    async with art.client() as client:
        response = await client.get("/")
    assert response.status_code == 200
    uris = art.rt.uris
    assert tile_links(response.text) == [uris.work_page(w.account.username, w.public_id) for w in (third, second, first)]
    for hidden in (unlisted, private, deleted):
        assert hidden.public_id not in response.text
    assert "Suspended" not in response.text and "a remote reply" not in response.text
    page = parse(response.text)
    images = [img for img in page.all("img") if "/media/" in img.attrs.get("src", "")]
    assert [img.attrs["alt"] for img in images] == ["A heron", "A red fox asleep in snow", "A red fox asleep in snow"]
    assert "2 images" in response.text and "Alice Fox" in response.text
    # a BlurHash placeholder painted by CSS under every thumbnail (no script)
    tiles = [e for e in page.all("li") if "linear-gradient" in e.attrs.get("style", "")]
    assert len(tiles) == 3
    assert page.all("script") == []


async def test_front_page_pages_by_status_id(network: Network, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(front, "FRONT_PAGE_SIZE", 2)
    art = await network.add("art.test")
    await make_user(art, "alice")
    works = [await post_work(art, "alice", title=f"W{n}", seed=n) for n in range(5)]
    expected = [art.rt.uris.work_page("alice", w.public_id) for w in reversed(works)]
    seen: list[str] = []
    path = "/"
    async with art.client() as client:
        for _ in range(3):
            response = await client.get(path)
            assert response.status_code == 200
            seen += tile_links(response.text)
            nexts = parse(response.text).all("a", rel="next")
            if not nexts:
                break
            path = nexts[0].attrs["href"].removeprefix(art.base)
        bad = [await client.get(f"/?max_id={value}") for value in ("x", "-1", "1" * 30, "99999999999999999999")]
        beyond = await client.get("/?max_id=1")
    assert seen == expected
    assert path.startswith("/?max_id=")
    assert [r.status_code for r in bad] == [400] * 4
    assert beyond.status_code == 404


async def test_artists_list_only_setting(network: Network) -> None:
    art = await network.add("art.test", instance={"front_page": "artists"})
    await make_user(art, "alice", display_name="Alice Fox")
    work = await post_work(art, "alice", title="Fox", seed=1)
    async with art.client() as client:
        response = await client.get("/")
    assert response.status_code == 200
    assert "Alice Fox" in response.text and work.public_id not in response.text
    assert tile_links(response.text) == []


async def test_front_page_setting_is_validated_in_file_and_panel(network: Network) -> None:
    with pytest.raises(ConfigError, match="'instance.front_page' must be one of works, artists, not 'grid'"):
        await network.settings_for("bad.test", instance={"front_page": "grid"})
    art = await network.add("art.test")
    async with art.rt.sessions() as session:
        with pytest.raises(Invalid, match="front_page"):
            await site_settings.save(art.rt, session, {"instance.front_page": "grid"})
        new = await site_settings.save(art.rt, session, {"instance.front_page": "artists"})
    assert new.instance.front_page == "artists"


async def test_search_opt_out_is_followed_in_headers_and_links(network: Network) -> None:
    art = await network.add("art.test", consent={"ai_training": "allowed", "tdm_reserved": False, "ai_input": True})
    await make_user(art, "alice")
    await make_user(art, "bob")
    await set_consent(art, "alice", {"search": False})
    hidden = await post_work(art, "alice", title="Quiet", seed=1)
    shown = await post_work(art, "bob", title="Loud", seed=2)
    async with art.client() as client:
        both = await client.get("/")
        image = await client.get(hidden.images[0].thumbnail_key and art.rt.uris.media(hidden.images[0].thumbnail_key))
    # the works of the opted-out artist still appear
    assert tile_links(both.text) == [art.rt.uris.work_page(u, w.public_id) for u, w in (("bob", shown), ("alice", hidden))]
    assert "noimageindex" in both.headers["x-robots-tag"] and "noindex," not in both.headers["x-robots-tag"] + ","
    assert "x-consent-robots-add" not in both.headers
    page = parse(both.text)
    assert page.meta("robots") == "noimageindex"
    nofollow = [a.attrs["href"] for a in page.all("a", rel="nofollow")]
    assert art.rt.uris.work_page("alice", hidden.public_id) in nofollow
    assert art.rt.uris.work_page("bob", shown.public_id) not in nofollow
    # her image itself carries her own record
    assert "noindex" in image.headers["x-robots-tag"]
    # once her work is gone, the page no longer asks for noimageindex (the cache was dropped)
    await as_user(art, "alice", "delete_work", hidden.public_id)
    async with art.client() as client:
        alone = await client.get("/")
    assert "noimageindex" not in alone.headers.get("x-robots-tag", "")
    assert tile_links(alone.text) == [art.rt.uris.work_page("bob", shown.public_id)]


async def test_front_page_is_cached_and_dropped_when_works_change(network: Network) -> None:
    art = await network.add("art.test")
    await make_user(art, "alice")
    await post_work(art, "alice", title="One", seed=1)
    async with art.client() as client:
        first = await client.get("/")
        again = await client.get("/")
        assert first.headers["cache-control"] == "public, max-age=0"
        assert again.text == first.text
        work = await post_work(art, "alice", title="Two", seed=2)
        after = await client.get("/")
    assert work.public_id in after.text


def test_blurhash_decodes_to_a_small_grid() -> None:
    grid = decode_grid("LEHV6nWB2yk8pyo0adR*.7kCMdnj", 3, 3)
    assert len(grid) == 3 and all(len(row) == 3 for row in grid)
    assert all(0 <= c <= 255 for row in grid for pixel in row for c in pixel)
    assert gallery.placeholder_css("not a hash") == ""
    assert gallery.placeholder_css("") == ""


async def test_admin_switches_the_front_page_in_the_panel_and_a_bad_value_says_why(network: Network) -> None:
    art = await network.add("art.test")
    await make_user(art, "boss", password=PASSWORD, role="admin")
    await make_user(art, "alice", display_name="Alice Fox")
    work = await post_work(art, "alice", title="Fox", seed=1)
    async with browser(art) as client:
        await login(client, "boss")
        form = await client.get("/admin/settings")
        assert 'name="instance.front_page"' in form.text
        bad = await post_form(client, "/admin/settings", "/admin/settings", {"instance.front_page": "grid"})
        assert bad.status_code == 400 and "Must be one of works, artists" in errors_in(bad.text)
        assert work.public_id in (await client.get("/")).text
        saved = await post_form(client, "/admin/settings", "/admin/settings", {"instance.front_page": "artists"})
        assert saved.status_code == 303, errors_in(saved.text)
    async with art.client() as visitor:
        after = await visitor.get("/")  # the cached grid went with the settings change
    assert work.public_id not in after.text and "Alice Fox" in after.text
