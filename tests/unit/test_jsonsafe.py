"""load_json: the size, encoding, nesting and shape limits every remote body passes through."""

import time

import pytest

from fediverse.activitypub.jsonsafe import MAX_BODY_BYTES, MAX_DEPTH, check_depth, load_json
from fediverse.activitypub.vocab import ParseError


def load(body: bytes, max_bytes: int = 1000, max_depth: int = 8) -> dict:
    return load_json(body, max_bytes=max_bytes, max_depth=max_depth)


def test_an_object_is_returned_as_a_dict():
    assert load(b'{"type": "Follow", "n": [1, {"a": null}]}') == {"type": "Follow", "n": [1, {"a": None}]}


def test_a_body_over_the_limit_is_refused_before_parsing():
    with pytest.raises(ParseError, match="body is larger than 10 bytes"):
        load(b'{"a": "0123456789"}', max_bytes=10)


def test_a_body_exactly_at_the_limit_is_accepted():
    body = b'{"a": 1}'
    assert load(body, max_bytes=len(body)) == {"a": 1}


@pytest.mark.parametrize(
    "body",
    [b"", b"{", b"not json", b'{"a": NaN}', b"\xef\xbb\xbf{}", b'{"a": "\xff"}', b"{'a': 1}", b'{"a": 1} x'],
)
def test_invalid_json_or_utf8_is_refused_with_the_decoder_reason(body):
    with pytest.raises(ParseError, match=r"^body is not valid UTF-8 JSON: .+"):
        load(body)


@pytest.mark.parametrize("body", [b"[]", b'"x"', b"1", b"null", b"true", b'[{"a": 1}]'])
def test_the_top_level_must_be_an_object(body):
    with pytest.raises(ParseError, match="top-level JSON must be an object"):
        load(body)


def test_nesting_at_the_limit_is_accepted():
    body = b'{"a":' * 7 + b"{}" + b"}" * 7  # 8 objects deep
    assert load(body, max_depth=8)


def test_nesting_past_the_limit_is_refused():
    body = b'{"a":' * 8 + b"{}" + b"}" * 8  # 9 objects deep
    with pytest.raises(ParseError, match="JSON nesting deeper than 8"):
        load(body, max_depth=8)


def test_arrays_count_as_nesting_too():
    body = b'{"a":' + b"[" * 8 + b"]" * 8 + b"}"
    with pytest.raises(ParseError, match="JSON nesting deeper than 8"):
        load(body, max_depth=8)


def test_depth_is_the_deepest_branch_not_the_width():
    wide = b'{"a": [' + b",".join([b'{"b": [1, 2]}'] * 5000) + b"]}"
    assert load(wide, max_bytes=10**6, max_depth=4)


def test_very_deep_documents_fail_cleanly_without_recursion():
    body = b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with pytest.raises(ParseError):
        load(body, max_bytes=10**6, max_depth=MAX_DEPTH)


def test_check_depth_is_iterative_for_deep_python_values():
    value: list = []
    for _ in range(50_000):  # far past the interpreter's recursion limit
        value = [value]
    with pytest.raises(ParseError, match="deeper than 64"):
        check_depth(value, 64)


def test_a_megabyte_body_is_checked_quickly():
    item = b'{"type":"Note","to":["https://a.example/x"],"tag":[{"name":"#t","href":"https://a.example/t"}]}'
    count = (MAX_BODY_BYTES - 100) // (len(item) + 1)
    body = b'{"items": [' + b",".join([item] * count) + b"]}"
    started = time.perf_counter()
    value = load_json(body, max_bytes=MAX_BODY_BYTES, max_depth=MAX_DEPTH)
    assert len(value["items"]) == count
    assert time.perf_counter() - started < 1.0


def test_parse_error_is_a_value_error_and_an_invalid():
    from fediverse.errors import Invalid

    with pytest.raises(ValueError):
        load(b"[]")
    with pytest.raises(Invalid):
        load(b"[]")
