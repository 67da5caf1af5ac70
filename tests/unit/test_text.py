"""Artist text -> safe HTML with Mastodon's markup; remote HTML -> Mastodon's strict subset."""

from __future__ import annotations

import pytest

from fediverse.services.text import MentionTarget, format_post, link_urls, mentioned_accts, sanitize

BOB = MentionTarget("bob@social.test", "https://social.test/users/bob", "https://social.test/@bob")


def test_post_text_gets_paragraphs_links_tags_and_resolved_mentions() -> None:
    out = format_post("New piece #Ink for @bob@social.test and @ghost@nowhere.test\nhttps://shop.example/p?id=1.\n\n<b>x</b>",
                      tag_url="https://art.test/tags/{tag}", mentions={"bob@social.test": BOB})
    assert out.tags == ["ink"] and out.mentions == [BOB]
    assert '<a href="https://art.test/tags/ink" class="mention hashtag"' in out.html
    assert '<span class="h-card"><a href="https://social.test/@bob" class="u-url mention"' in out.html
    assert "@ghost@nowhere.test" in out.html  # unresolved handles stay text
    assert '<a href="https://shop.example/p?id=1"' in out.html and "id=1</a>." in out.html
    assert "&lt;b&gt;x&lt;/b&gt;" in out.html and out.html.count("<p>") == 2


def test_mentions_are_found_once_and_emails_are_not_mentions() -> None:
    assert mentioned_accts("@Bob@Social.test hi @bob@social.test, mail me at a@b.com") == ["bob@social.test"]


@pytest.mark.parametrize(("dirty", "clean"), [
    ('<p onclick="x()">hi</p>', "<p>hi</p>"),
    ("<script>alert(1)</script>ok", "ok"),
    ('<a href="javascript:alert(1)">x</a>', '<a rel="nofollow noopener noreferrer">x</a>'),
    ('<img src="https://x/y.png">', ""),
    ('<span class="h-card evil">a</span>', '<span class="h-card">a</span>'),
    ("<style>p{}</style><b>bold</b>", "<b>bold</b>"),
])
def test_remote_html_is_reduced_to_mastodons_subset(dirty: str, clean: str) -> None:
    assert sanitize(dirty) == clean


def test_profile_field_links_carry_rel_me() -> None:
    assert link_urls("<shop> https://shop.example/a") == (
        '&lt;shop&gt; <a href="https://shop.example/a" rel="me nofollow noopener" target="_blank">https://shop.example/a</a>'
    )
