"""web/remote_html.py: remote HTML is cleaned on every page, the sanitiser's output memoised by its input."""

from __future__ import annotations

from fediverse.web import remote_html as module
from fediverse.web.remote_html import MEMO_MAX_CHARS, remote_html

HOSTILE = ('<p>hi<script>alert(1)</script><img src="x" onerror="alert(2)"><a href="javascript:alert(3)">x</a>'
           '<iframe src="https://evil.test/"></iframe><a href="https://ok.test/">ok</a></p>')


def test_hostile_html_is_cleaned_every_time_and_the_second_time_from_the_memo() -> None:
    first = remote_html(HOSTILE)
    for bad in ("<script", "alert(1)", "onerror", "javascript:", "<iframe", "evil.test"):
        assert bad not in first
    assert 'href="https://ok.test/"' in first and "nofollow" in first
    hits = module._clean.cache_info().hits
    assert remote_html(HOSTILE) == first
    assert module._clean.cache_info().hits == hits + 1


def test_long_html_is_cleaned_but_not_kept_and_none_is_empty() -> None:
    long = "<p>" + "a" * MEMO_MAX_CHARS + "<script>alert(1)</script></p>"
    size = module._clean.cache_info().currsize
    assert "<script" not in remote_html(long)
    assert module._clean.cache_info().currsize == size
    assert remote_html(None) == "" and remote_html("") == ""
