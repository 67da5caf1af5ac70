"""Hashtag and mention links of stored remote posts lead to our own pages (services/text.localize_links), read
off the recorded payloads of Mastodon, Pixelfed, GoToSocial, Pleroma and Misskey; every other link, and anything
hostile, stays as the sanitiser leaves it."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from typing import Any

import pytest

from fediverse.activitypub.parse_note import RemoteNoteDoc, parse_note, tag_refs
from fediverse.services.text import LocalMention, localize_links, sanitize
from tests.conftest import FIXTURES

TAGS = "https://art.test/tags/{tag}"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[dict[str, str | None]] = []
        self._open: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._open = dict(attrs) | {"text": ""}
            self.links.append(self._open)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open["text"] = (self._open["text"] or "") + data


def links(html: str) -> dict[str, str | None]:
    """Link text -> href."""
    parser = _Links()
    parser.feed(html)
    return {str(link["text"]): link.get("href") for link in parser.links}


def note_of(name: str, **fields: Any) -> RemoteNoteDoc:
    doc = json.loads((FIXTURES / name).read_text())
    obj = doc["object"] if doc.get("type") == "Create" else doc
    obj = {k: v for k, v in obj.items() if k != "@context"} | fields
    return parse_note({"@context": "https://www.w3.org/ns/activitystreams", **obj})


def localized(note: RemoteNoteDoc, mentions: list[LocalMention] | None = None) -> str:
    return localize_links(note.content, tag_url=TAGS, hashtags={r.href: r.name for r in note.hashtag_refs},
                          mentions=mentions or [])


def test_mastodon_hashtags_link_to_our_tag_pages_normalised() -> None:
    html = localized(note_of("mastodon/create_note_with_image_mastodon_social.json"))
    assert links(html) == {"#Prague": "https://art.test/tags/prague", "#Gdańsk": "https://art.test/tags/gdansk",
                           "#Kraków": "https://art.test/tags/krakow", "#London": "https://art.test/tags/london",
                           "#Wrocław": "https://art.test/tags/wroclaw"}
    assert "mastodon.social" not in html
    assert html.count('rel="nofollow noopener noreferrer"') == 5 and 'class="mention hashtag"' in html


def test_pixelfed_hashtags_whose_links_differ_from_their_tags_are_found_by_class_and_text() -> None:
    html = localized(note_of("pixelfed/create_note_with_image.json"))
    assert links(html) == {"#colorphotography": "https://art.test/tags/colorphotography",
                           "#streetphotography": "https://art.test/tags/streetphotography"}
    assert html.startswith("Shadows ")


def test_gotosocial_hashtag_links_here_and_its_emoji_shortcode_stays_text() -> None:
    html = localized(note_of("gotosocial/note_with_image_emoji_hashtag.json"))
    assert links(html) == {"#welcome": "https://art.test/tags/welcome"}
    assert ":rainbow:" in html and "localhost:8080" not in html


def test_misskey_hashtag_without_a_class_is_found_by_its_tags_href() -> None:
    """Misskey's own note (recorded) given a hashtag as Misskey's MFM renderer writes it: `rel="tag"`, no class,
    the href equal to the Hashtag tag's (packages/backend/src/core/MfmService.ts)."""
    note = note_of("misskey/note_misskey_io.json",
                   content='<p><span>新作 <a href="https://misskey.io/tags/%E6%B0%B4%E5%BD%A9" rel="tag">#水彩</a> '
                           '<a href="https://misskey.io/tags/art" rel="tag">#Art</a></span></p>',
                   tag=[{"type": "Hashtag", "href": "https://misskey.io/tags/%E6%B0%B4%E5%BD%A9", "name": "#水彩"},
                        {"type": "Hashtag", "href": "https://misskey.io/tags/art", "name": "#art"}])
    assert links(localized(note)) == {"#水彩": "https://art.test/tags/水彩", "#Art": "https://art.test/tags/art"}


def test_mastodon_mention_of_a_known_acct_opens_our_view_of_the_profile() -> None:
    note = note_of("mastodon/create_note_reply_mention.json")
    assert note.mention_refs[0].name == "@retiolus@mamot.fr"
    retiolus = LocalMention(note.mention_refs[0].href, "retiolus@mamot.fr", "https://art.test/@retiolus@mamot.fr")
    html = localized(note, [retiolus])
    assert links(html) == {"@retiolus": "https://art.test/@retiolus@mamot.fr"}
    assert 'class="u-url mention"' in html
    assert links(localized(note)) == {"@retiolus": "https://mamot.fr/@retiolus"}  # acct unknown: left alone


def test_pleroma_mention_is_matched_by_its_href() -> None:
    note = note_of("pleroma/create_note.json")
    lanodan = LocalMention("https://enterprise.lemmy.ml/u/picard", "lanodan@ds9.lemmy.ml",
                           "https://art.test/@lanodan@ds9.lemmy.ml")
    assert links(localized(note, [lanodan])) == {"@lanodan": "https://art.test/@lanodan@ds9.lemmy.ml"}


def test_a_mention_lookalike_on_another_host_and_plain_links_are_left_alone() -> None:
    bob = LocalMention("https://social.test/users/bob", "bob@social.test", "https://art.test/@bob@social.test")
    html = localize_links(
        '<p><a class="u-url mention" href="https://evil.test/@bob">@bob</a> '
        '<a href="https://social.test/@bob">@bob</a> <a href="https://shop.example/p">shop</a> '
        '<a href="https://social.test/tags/ink">#ink</a></p>',
        tag_url=TAGS, mentions=[bob])
    found = _Links()
    found.feed(html)
    assert [link["href"] for link in found.links] == [
        "https://evil.test/@bob", "https://social.test/@bob", "https://shop.example/p", "https://social.test/tags/ink"]


@pytest.mark.parametrize(("content", "tag"), [
    ('<a href="javascript:alert(1)" class="hashtag">#x</a>', {"href": "javascript:alert(1)", "name": "#x"}),
    ('<a href="https://bank.test/login" class="mention hashtag">#art</a>', {"href": "https://bank.test/login", "name": "#art"}),
    ('<a href="https://masto.test/tags/x">#x</a>', {"href": "https://masto.test/tags/x", "name": '#"><script>alert(1)</script>'}),
    ('<a href="https://masto.test/tags/x" class="hashtag">#../../admin?x=1</a>', {"href": "https://elsewhere", "name": "#y"}),
    ('<a href="https://masto.test/tags/x" class="hashtag" onclick="steal()">#<img src=x onerror=alert(1)>ok</a>',
     {"href": "https://nowhere", "name": "#ok"}),
])
def test_hostile_hashtags_never_become_unsafe(content: str, tag: dict[str, str]) -> None:
    html = localize_links(content, tag_url=TAGS, hashtags={tag["href"]: tag["name"]})
    assert html == sanitize(html)  # what is stored is exactly what the sanitiser lets through
    for href in links(html).values():
        assert href is None or href.startswith(("https://art.test/tags/", "https://masto.test/"))
    assert "javascript" not in html and "<script" not in html and "onclick" not in html and "onerror" not in html
    for href in links(html).values():
        if href and href.startswith("https://art.test/tags/"):
            assert href.removeprefix("https://art.test/tags/").isalnum()  # only a normalised name, never a path


def test_a_hashtag_named_no_valid_tag_keeps_its_link_and_text_survives_entities() -> None:
    html = localize_links('<p>a &amp; b <a href="https://m.test/tags/x" class="hashtag">#123</a> &lt;i&gt;</p>',
                          tag_url=TAGS)
    assert links(html) == {"#123": "https://m.test/tags/x"}
    assert "a &amp; b" in html and "&lt;i&gt;" in html


def test_markup_around_links_is_kept_as_the_sanitiser_gave_it() -> None:
    raw = ('<p>one<br>two <span class="h-card"><a href="https://m.test/@a" class="u-url mention">@<span>a</span>'
           '</a></span></p><ol start="3"><li>x</li></ol>')
    assert localize_links(raw, tag_url=TAGS) == sanitize(raw)


def test_tag_refs_read_hashtags_and_mentions_with_their_hrefs_and_skip_odd_shapes() -> None:
    raw = {"tag": [{"type": "Hashtag", "href": "https://m.test/tags/a", "name": "#A"},
                   {"type": "Hashtag", "href": "javascript:x", "name": "#b"}, {"type": "Hashtag", "name": "#c"},
                   {"type": "Mention", "href": "https://m.test/users/u", "name": "@u@m.test"}, "junk", None]}
    assert [(r.href, r.name) for r in tag_refs(raw, "Hashtag")] == [("https://m.test/tags/a", "#A")]
    assert [(r.href, r.name) for r in tag_refs(raw, "Mention")] == [("https://m.test/users/u", "@u@m.test")]
    assert tag_refs({"tag": {"type": "Mention", "href": "https://x.test/u", "name": "@u"}}, "Mention")[0].name == "@u"
    assert tag_refs({"tag": [{"type": "Hashtag", "href": "https://x/t", "name": "#t"}] * 500}, "Hashtag").__len__() == 50
