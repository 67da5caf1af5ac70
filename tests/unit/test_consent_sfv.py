"""The RFC 9651 Dictionary parser behind Content-Usage: RFC examples, strictness, fuzzed input."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from fediverse.consent import parse_content_usage, signals_from_activitypub, signals_from_headers, signals_from_xmp
from fediverse.consent.sfv import Date, DisplayString, InnerList, Item, SFVError, Token, parse_dictionary


def test_rfc_9651_dictionary_examples() -> None:
    d = parse_dictionary('en="Applepie", da=:w4ZibGV0w6ZydGUK:')
    assert d["en"] == Item("Applepie", {}) and d["da"] == Item(b"\xc3\x86blet\xc3\xa6rte\n", {})
    d = parse_dictionary("a=?0, b, c; foo=bar")
    assert d["a"].value is False and d["b"] == Item(True, {}) and d["c"] == Item(True, {"foo": Token("bar")})
    d = parse_dictionary("rating=1.5, feelings=(joy sadness)")
    assert d["rating"].value == Decimal("1.5")
    assert isinstance(d["feelings"], InnerList) and [i.value for i in d["feelings"].items] == ["joy", "sadness"]
    d = parse_dictionary("a=(1 2), b=3, c=4;aa=bb, d=(5 6);valid")
    assert d["d"].params == {"valid": True}  # type: ignore[union-attr]


def test_tokens_strings_dates_display_strings() -> None:
    d = parse_dictionary('t=n, s="n", w=@1659578233, u=%"This is intended for display to %c3%bcsers."')
    assert isinstance(d["t"].value, Token) and not isinstance(d["s"].value, Token)  # type: ignore[union-attr]
    assert d["w"].value == Date(1659578233)  # type: ignore[union-attr]
    assert d["u"].value == DisplayString("This is intended for display to üsers.")  # type: ignore[union-attr]


def test_duplicates_last_wins_and_lines_are_joined() -> None:
    assert parse_dictionary("a=1, a=2")["a"].value == 2  # type: ignore[union-attr]
    assert list(parse_dictionary(["a=1", "b=2"])) == ["a", "b"]
    assert parse_dictionary("") == {}


@pytest.mark.parametrize(
    "bad",
    ["A=1", "a=1,", "a=1 b=2", "a=1;", "a=\"\\x\"", "a=\"\x7f\"", "a=1.", "a=1.1234", "a=1234567890123.0",
     "a=-", "a=?", "a=%\"%C3%BC\"", "a=%\"%c3\"", "a=:abc", "a=(1", "a=(1,2)", "a=b c", "a= 1", "a=1\tb=2"],
)
def test_invalid_fields_fail(bad: str) -> None:
    with pytest.raises(SFVError):
        parse_dictionary(bad)


def test_fuzzed_inputs_never_crash() -> None:
    rng = random.Random(9651)
    alphabet = 'abcnyz-=,;()" :?@%*.\\\t0123456789ABY\x00\xff'
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        result = parse_content_usage(text)
        assert result.status in ("ok", "absent", "unparseable")
        signals_from_headers([("Content-Usage", text), ("X-Robots-Tag", text), ("tdm-reservation", text),
                              ("Link", text)])
        signals_from_activitypub({"type": "Note", "contentUsage": text, "xRobotsTag": text, "license": text})
        signals_from_xmp(text.encode("utf-8", "replace"))
