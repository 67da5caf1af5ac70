"""Hashtag normalisation as Mastodon does it (HashtagNormalizer + Tag::HASHTAG_NAME_RE), and the FTS5 query
quoting of db/search.py."""

from __future__ import annotations

import pytest

from fediverse.db.search import MAX_TERMS, fts5_query, terms
from fediverse.db.tags import normalized
from fediverse.models.tags import MAX_TAG, display_form, lookup_name, normalize_tag


@pytest.mark.parametrize("written, name", [
    ("#Café", "cafe"), ("cafe", "cafe"), ("CAFÉ", "cafe"), ("Cafe\u0301", "cafe"),  # precomposed or not
    ("ＦＯＸ", "fox"), ("＃ＦＯＸ", "fox"), ("ﾃｽﾄ", "テスト"),  # full width and half-width katakana (NFKC)
    ("Straße", "strasse"), ("ΕΛΛΆΔΑ", "ελλάδα"),  # only Latin accents fold
    ("Wrocław", "wroclaw"), ("ØRSTED", "orsted"), ("Đakovo", "dakovo"),  # letters NFKD leaves alone, as Mastodon
    ("日本語", "日本語"), ("東京タワー", "東京タワー"), ("テスト・タグ", "テスト・タグ"),
    ("mixedКириллица", "mixedкириллица"), ("a·b", "a·b"), ("1_2", "1_2"), ("_a", "_a"), ("fox2024", "fox2024"),
    ("foo-bar", "foobar"),  # Mastodon removes what is not allowed before it validates
])
def test_names_normalise_like_mastodon(written: str, name: str) -> None:
    assert normalize_tag(written) == name


@pytest.mark.parametrize("written", [
    "", "#", "123", "2024", "_", "·ab", "ab·", "a" * (MAX_TAG + 1), "   ", "#!!!", "\x00", "\u200c", None, 42,
])
def test_invalid_names_are_no_tag(written: object) -> None:
    assert normalize_tag(written) is None  # type: ignore[arg-type]


def test_display_form_keeps_case_but_drops_what_is_not_allowed() -> None:
    assert display_form("#CaféArt!") == "CaféArt"
    assert display_form("ＦＯＸ") == "FOX"


@pytest.mark.parametrize("raw, name", [("Fox", "fox"), ("Café", "cafe"), ("ＦＯＸ", "fox")])
def test_url_lookup_is_case_insensitive_and_normalised(raw: str, name: str) -> None:
    assert lookup_name(raw) == name


@pytest.mark.parametrize("raw", [
    "foo-bar", "fox\x00", "fox\r\nSet-Cookie: x", "../etc", "fox\"", "NEAR(a b)", "a' OR 1=1", "\u202efox", "",
    "a" * 5000, "fox.atom", "#fox",
])
def test_url_lookup_refuses_hostile_names(raw: str) -> None:
    assert lookup_name(raw) is None


def test_index_input_is_deduplicated_and_bounded() -> None:
    assert list(normalized(["#Fox", "fox", "ＦＯＸ", "Café", "cafe", "123", "#"])) == ["fox", "cafe"]
    assert len(normalized([f"t{n}x" for n in range(1000)])) == 100


@pytest.mark.parametrize("query, expected", [
    ('heron', '"heron"'), ('a"b', '"a""b"'), ('NEAR(a b)', '"NEAR(a" "b)"'), ('heron OR cobalt', '"heron" "OR" "cobalt"'),
    ('* - : ^ ( )', ''), ('title:x', '"title:x"'), ('-x', '"-x"'),
])
def test_fts5_queries_quote_every_term(query: str, expected: str) -> None:
    assert fts5_query(query) == expected


def test_terms_are_bounded() -> None:
    assert len(terms("w " * 1000)) == MAX_TERMS
