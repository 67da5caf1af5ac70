"""The subscribe template read off a JRD, and the handle a visitor types (services/remote_accounts.py)."""

from __future__ import annotations

import pytest

from fediverse.activitypub.webfinger import SUBSCRIBE_REL, parse_subscribe_template, render_jrd
from fediverse.errors import Invalid
from fediverse.services.remote_accounts import parse_visitor_handle, reported_counts


def jrd(template: object) -> dict[str, object]:
    return {"subject": "acct:a@b.test", "links": [{"rel": SUBSCRIBE_REL, "template": template}]}


def test_a_usable_template_is_read() -> None:
    assert parse_subscribe_template(jrd("https://b.test/authorize_interaction?uri={uri}")) == \
        "https://b.test/authorize_interaction?uri={uri}"
    ours = render_jrd("alice", "a.test", "https://a.test/users/alice", "https://a.test/@alice",
                      "https://a.test/authorize_interaction?uri={uri}")
    assert parse_subscribe_template(ours) == "https://a.test/authorize_interaction?uri={uri}"


@pytest.mark.parametrize("template", [
    None, 3, "", "https://b.test/x", "javascript:alert(1)//{uri}", "https://b.test/{uri}/{uri}",
    "https://b.test/x?uri={uri} onclick", 'https://b.test/"{uri}', "https://user:pw@b.test/{uri}",
    "//b.test/{uri}", "https://b.test/" + "a" * 2000 + "{uri}", "https://b.test/\u0000{uri}",
])
def test_hostile_or_odd_templates_are_refused(template: object) -> None:
    assert parse_subscribe_template(jrd(template)) is None


def test_no_links_no_template() -> None:
    assert parse_subscribe_template({"subject": "x"}) is None
    assert parse_subscribe_template([]) is None


@pytest.mark.parametrize("value,expected", [
    ("bob@b.test", ("bob", "b.test")), ("@bob@B.Test", ("bob", "b.test")), ("acct:bob@b.test", ("bob", "b.test")),
    (" bob@b.test:8443 ", ("bob", "b.test:8443")),
])
def test_visitor_handles(value: str, expected: tuple[str, str]) -> None:
    assert parse_visitor_handle(value) == expected


@pytest.mark.parametrize("value", ["", "bob", "bob@", "@b.test", "a@b@c", "bob@local", "bob@bad host",
                                   "x" * 400 + "@b.test", "<script>@b.test"])
def test_bad_visitor_handles_say_what_is_wrong(value: str) -> None:
    with pytest.raises(Invalid):
        parse_visitor_handle(value)


def test_counts_are_read_only_when_reported_sanely() -> None:
    assert reported_counts({"followers": {"totalItems": 3}, "following": "https://x", "outbox": {"totalItems": -1}}) \
        == {"followers": 3}
    assert reported_counts(None) == {}
    assert reported_counts({"followers": {"totalItems": True}}) == {}
