"""The one RFC 9651 parser (fediverse/wire/structured_fields.py) behind Content-Usage and the HTTP signature
fields: the RFC's examples, strictness, duplicate policy, canonical re-serialisation, fuzzed input."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from fediverse.consent import parse_content_usage, signals_from_activitypub, signals_from_headers, signals_from_xmp
from fediverse.wire.structured_fields import (
    MAX_FIELD,
    DisplayString,
    FieldError,
    Token,
    is_inner_list,
    parse_dictionary,
    serialize_inner_list,
)


def parse(field: str | list[str]) -> dict:
    return parse_dictionary(field, name="Test-Field")


def test_rfc_9651_dictionary_examples() -> None:
    d = parse('en="Applepie", da=:w4ZibGV0w6ZydGUK:')
    assert d["en"] == ("Applepie", {}) and d["da"] == (b"\xc3\x86blet\xc3\xa6rte\n", {})
    d = parse("a=?0, b, c; foo=bar")
    assert d["a"] == (False, {}) and d["b"] == (True, {}) and d["c"] == (True, {"foo": Token("bar")})
    d = parse("rating=1.5, feelings=(joy sadness)")
    assert d["rating"][0] == Decimal("1.5") and not is_inner_list(d["rating"])
    assert is_inner_list(d["feelings"]) and [value for value, _ in d["feelings"][0]] == ["joy", "sadness"]
    d = parse("a=(1 2), b=3, c=4;aa=bb, d=(5 6);valid")
    assert d["d"][1] == {"valid": True}


def test_tokens_strings_dates_display_strings() -> None:
    d = parse('t=n, s="n", w=@1659578233, u=%"This is intended for display to %c3%bcsers."')
    assert isinstance(d["t"][0], Token) and not isinstance(d["s"][0], Token) and d["s"][0] == "n"
    assert d["w"][0] == datetime.fromtimestamp(1659578233, UTC)
    assert d["u"][0] == DisplayString("This is intended for display to üsers.")


def test_duplicates_last_wins_by_default_and_lines_are_joined() -> None:
    assert parse("a=1, a=2")["a"] == (2, {})
    assert list(parse(["a=1", "b=2"])) == ["a", "b"]
    assert parse("") == {}


@pytest.mark.parametrize(("field", "message"), [("a=1, a=2", "duplicate key 'a' in Sig"),
                                                ("a=1;x=1;x=2", "duplicate parameter 'x' in Sig")])
def test_duplicates_can_be_refused(field: str, message: str) -> None:
    with pytest.raises(FieldError, match=message):
        parse_dictionary(field, name="Sig", duplicates="refuse")


@pytest.mark.parametrize(
    "bad",
    ["A=1", "a=1,", "a=1 b=2", "a=1;", "a=\"\\x\"", "a=\"\x7f\"", "a=1.", "a=1.1234", "a=1234567890123.0",
     "a=-", "a=?", "a=%\"%C3%BC\"", "a=%\"%c3\"", "a=:abc", "a=(1", "a=(1,2)", "a=b c", "a= 1", "a=1\tb=2",
     "a=\u00e9", "a=\"\u00e9\""],
)
def test_invalid_fields_fail_naming_the_field(bad: str) -> None:
    with pytest.raises(FieldError, match="malformed Test-Field|outside visible ASCII"):
        parse(bad)


def test_an_oversized_field_is_refused_unread() -> None:
    kib16 = 16 * 1024  # the documented limit
    assert MAX_FIELD == kib16
    with pytest.raises(FieldError, match="longer than 16384 characters"):
        parse("a=" + "1" * (kib16 - 1))
    assert parse("a=" + "b" * (kib16 - 2))["a"][0] == Token("b" * (kib16 - 2))


@pytest.mark.parametrize(
    "member",
    [
        '("@method" "@target-uri");created=1700000000;keyid="a\\"b";alg="ed25519"',
        '("content-digest";sf "x";key="y");nonce=tok/en:1;flag;off=?0;d=1.5;n=-2.25',
        "();created=1",
    ],
)
def test_inner_lists_re_serialise_exactly(member: str) -> None:
    """RFC 9421's @signature-params line is the re-serialised Signature-Input member: it must round-trip."""
    items, params = parse(f"sig1={member}")["sig1"]
    assert serialize_inner_list(items, params) == member


def test_decimals_re_serialise_canonically() -> None:
    items, params = parse("a=();x=2.500;y=3.0")["a"]
    assert serialize_inner_list(items, params) == "();x=2.5;y=3.0"


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


def test_fuzzed_fields_fail_only_with_field_error() -> None:
    """Hostile header bytes end as a FieldError (a 401 or an 'unparseable' note), never another exception."""
    rng = random.Random(8941)
    alphabet = 'abk*=,;()" :?@%.\\\t019-AZ+/\x00\xff\u20ac'
    refused = 0
    for _ in range(4000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        for duplicates in ("last", "refuse"):
            try:
                parse_dictionary(text, name="F", duplicates=duplicates)  # type: ignore[arg-type]
            except FieldError:
                refused += 1
    assert 0 < refused < 8000  # both outcomes occur: the fuzzing reaches the grammar, not only its first byte
