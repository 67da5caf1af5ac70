"""FEP-044f QuoteRequest parsing: the instrument must be the requester's own post quoting the request's object."""

from __future__ import annotations

from typing import Any

import pytest

from fediverse.activitypub.parse import parse_activity
from fediverse.activitypub.parse_quote import parse_quote_request
from fediverse.activitypub.vocab import ParseError

AS = "https://www.w3.org/ns/activitystreams"
BOB = "https://social.test/users/bob"
TARGET = "https://art.test/users/alice/works/abc"


def request(**changes: Any) -> dict[str, Any]:
    doc = {"@context": AS, "id": "https://social.test/activities/1", "type": "QuoteRequest", "actor": BOB,
           "object": TARGET, "instrument": {"id": "https://social.test/notes/1", "type": "Note",
                                            "attributedTo": BOB, "quote": TARGET}}
    doc.update(changes)
    return {k: v for k, v in doc.items() if v is not None}


def test_inline_and_same_host_instruments_are_read() -> None:
    parsed = parse_quote_request(parse_activity(request()))
    assert (parsed.actor, parsed.target, parsed.quoting) == (BOB, TARGET, "https://social.test/notes/1")
    by_id = parse_quote_request(parse_activity(request(instrument="https://social.test/notes/2")))
    assert by_id.quoting == "https://social.test/notes/2"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"instrument": None}, "has no instrument"),
        ({"instrument": 42}, "has no instrument"),
        ({"instrument": "https://evil.test/notes/1"}, "lives on another host"),
        ({"instrument": {"id": "https://social.test/notes/1", "attributedTo": "https://evil.test/users/m"}},
         "not attributed to the requesting actor"),
        ({"instrument": {"id": "https://social.test/notes/1", "attributedTo": BOB, "quote": TARGET + "x"}},
         "quotes another post"),
        ({"object": [TARGET, TARGET + "x"]}, "exactly one quoted post"),
        ({"object": None}, "exactly one quoted post"),
    ],
)
def test_malformed_requests_raise_a_parse_error_saying_why(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_quote_request(parse_activity(request(**changes)))
