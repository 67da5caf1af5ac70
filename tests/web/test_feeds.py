"""Atom and RSS feeds of an artist's newest public works: well-formed, right entries, images with alt text."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path

from tests.federation.helpers import make_user
from tests.support import Instance, Network
from tests.web import CC_BY_NC_ND, as_user, post_work

A = "{http://www.w3.org/2005/Atom}"
MEDIA = "{http://search.yahoo.com/mrss/}"


async def artist_with_works(network: Network) -> tuple[Instance, list]:  # type: ignore[type-arg]
    art = await network.add("art.test")
    await make_user(art, "alice", display_name="Alice & Co", summary="Foxes <3")
    old = await post_work(art, "alice", title="Old fox", seed=1, license_url=CC_BY_NC_ND)
    nasty = await post_work(art, "alice", title='<script>alert("x")</script> & \x0b fox', description="Plain & <b>",
                            alts=("Two foxes <playing>", "A fox & a hare"), seed=2)
    await post_work(art, "alice", title="Unlisted fox", visibility="unlisted", seed=3)
    await post_work(art, "alice", title="Followers fox", visibility="followers", seed=4)
    deleted = await post_work(art, "alice", title="Deleted fox", seed=5)
    await as_user(art, "alice", "delete_work", deleted.public_id)
    warned = await post_work(art, "alice", title="Warned fox", content_warning="eye strain", seed=6)
    return art, [warned, nasty, old]  # newest first


class Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.images.append(dict(attrs))


def images_in(html: str) -> list[dict[str, str | None]]:
    parser = Images()
    parser.feed(html)
    return parser.images


async def test_atom_feed_lists_newest_public_works_with_images_and_alt_text(network: Network) -> None:
    art, works = await artist_with_works(network)
    async with art.client() as client:
        response = await client.get("/@alice/feed.atom")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    feed = ET.fromstring(response.content)  # well-formed, or this raises
    assert feed.tag == f"{A}feed"
    assert feed.findtext(f"{A}title") == "Alice & Co (@alice@art.test)"
    assert feed.find(f"{A}link[@rel='self']").attrib["href"] == "https://art.test/@alice/feed.atom"  # type: ignore[union-attr]
    entries = feed.findall(f"{A}entry")
    assert [e.findtext(f"{A}id") for e in entries] == [w.uri for w in works]
    assert [e.findtext(f"{A}title") for e in entries] == ["Warned fox", '<script>alert("x")</script> &  fox', "Old fox"]
    for entry, work in zip(entries, works):
        assert entry.find(f"{A}link[@rel='alternate']").attrib["href"] == art.rt.uris.work_page("alice", work.public_id)  # type: ignore[union-attr]
        datetime.fromisoformat(entry.findtext(f"{A}published") or "")
        datetime.fromisoformat(entry.findtext(f"{A}updated") or "")
        enclosures = [link.attrib["href"] for link in entry.findall(f"{A}link[@rel='enclosure']")]
        assert enclosures == [art.rt.uris.media(image.large_key) for image in work.images]
        media = entry.findall(f"{MEDIA}content")
        assert [m.attrib["url"] for m in media] == enclosures
        assert [m.findtext(f"{MEDIA}description") for m in media] == [image.alt_text for image in work.images]
    warned, nasty, old = entries
    nasty_html = nasty.findtext(f"{A}summary") or ""
    assert nasty.find(f"{A}summary").attrib["type"] == "html"  # type: ignore[union-attr]
    assert [(img["src"], img["alt"]) for img in images_in(nasty_html)] == [
        (art.rt.uris.media(image.display_key), image.alt_text) for image in works[1].images]
    assert "<script>" not in nasty_html and "Plain &amp; &lt;b&gt;" in nasty_html
    assert images_in(warned.findtext(f"{A}summary") or "") == []  # behind its content warning
    assert "Content warning: eye strain" in (warned.findtext(f"{A}summary") or "")
    assert old.findtext(f"{A}rights") == CC_BY_NC_ND and "CC BY-NC-ND 4.0" in (old.findtext(f"{A}summary") or "")


async def test_rss_feed_is_well_formed_with_items_enclosures_and_dates(network: Network) -> None:
    art, works = await artist_with_works(network)
    async with art.client() as client:
        response = await client.get("/@alice/feed.rss")
    assert response.headers["content-type"] == "application/rss+xml; charset=utf-8"
    rss = ET.fromstring(response.content)
    assert rss.tag == "rss" and rss.attrib["version"] == "2.0"
    channel = rss.find("channel")
    assert channel is not None and channel.findtext("link") == "https://art.test/@alice"
    assert channel.findtext("description") == "Foxes <3"
    assert channel.find(f"{A}link").attrib["rel"] == "self"  # type: ignore[union-attr]
    items = channel.findall("item")
    pages = [art.rt.uris.work_page("alice", w.public_id) for w in works]
    assert [i.findtext("link") for i in items] == [i.findtext("guid") for i in items] == pages
    dates = [parsedate_to_datetime(i.findtext("pubDate") or "") for i in items]
    assert dates == sorted(dates, reverse=True) and all(d.tzinfo is not None for d in dates)
    root = Path(art.rt.settings.media.root) / "public"
    for item, work in zip(items, works):
        enclosure = item.find("enclosure")
        assert enclosure is not None and enclosure.attrib["url"] == art.rt.uris.media(work.images[0].large_key)
        assert enclosure.attrib["type"] == "image/jpeg"
        assert int(enclosure.attrib["length"]) == (root / work.images[0].large_key).stat().st_size
    assert [img["alt"] for img in images_in(items[1].findtext("description") or "")] == [
        "Two foxes <playing>", "A fox & a hare"]
    assert "Unlisted" not in response.text and "Followers fox" not in response.text and "Deleted" not in response.text


async def test_feeds_answer_conditional_requests_and_unknown_artists(network: Network) -> None:
    art, _works = await artist_with_works(network)
    async with art.client() as client:
        first = await client.get("/@alice/feed.atom")
        again = await client.get("/@alice/feed.atom", headers={"If-None-Match": first.headers["etag"]})
        missing = await client.get("/@nobody/feed.rss")
        await post_work(art, "alice", title="Brand new fox", seed=7)
        changed = await client.get("/@alice/feed.atom", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert missing.status_code == 404
    assert changed.status_code == 200 and "Brand new fox" in changed.text


async def test_empty_feed_is_still_well_formed(network: Network) -> None:
    art = await network.add("art.test")
    await make_user(art, "bob")
    async with art.client() as client:
        atom = await client.get("/@bob/feed.atom")
        rss = await client.get("/@bob/feed.rss")
    assert ET.fromstring(atom.content).findall(f"{A}entry") == []
    assert ET.fromstring(rss.content).find("channel").findall("item") == []  # type: ignore[union-attr]
