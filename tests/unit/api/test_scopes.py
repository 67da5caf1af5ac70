"""Mastodon's scopes: umbrella scopes cover their granular ones, `follow` its old set, nothing more."""

from __future__ import annotations

import pytest

from fediverse.api import scopes


def test_read_and_write_cover_their_granular_scopes_but_not_each_other() -> None:
    assert scopes.allows(["read"], "read:statuses") and scopes.allows(["write"], "write:media")
    assert not scopes.allows(["read"], "write:statuses")
    assert not scopes.allows(["write"], "read:notifications")
    assert not scopes.allows(["read", "write"], "admin:read:accounts")
    assert scopes.allows(["admin:read"], "admin:read:reports") and not scopes.allows(["admin:read"], "admin:write:reports")


def test_follow_covers_follows_blocks_and_mutes_only() -> None:
    assert scopes.allows(["follow"], "write:follows") and scopes.allows(["follow"], "read:mutes")
    assert not scopes.allows(["follow"], "write:statuses")


def test_an_endpoint_may_name_alternatives() -> None:
    assert scopes.allows(["profile"], "read:accounts", "profile")
    assert not scopes.allows(["push"], "read:accounts", "profile")


def test_a_request_is_a_subset_of_the_registration_by_what_it_covers() -> None:
    assert scopes.subset(["read:accounts", "write:statuses"], ["read", "write"])
    assert not scopes.subset(["read", "write"], ["read", "write:statuses"])
    assert scopes.subset(["follow"], ["read", "write"])  # follow is within read+write
    assert not scopes.subset(["push"], ["read", "write", "follow"])


def test_parse_keeps_order_drops_duplicates_and_refuses_unknown_scopes() -> None:
    assert scopes.parse("read write  follow read") == ["read", "write", "follow"]
    assert scopes.parse("read+write") == ["read", "write"]
    assert scopes.parse(None) == scopes.parse("  ") == ["read"]
    assert scopes.parse(["write:media", "push"]) == ["write:media", "push"]
    with pytest.raises(scopes.ScopeError):
        scopes.parse("read admin")


def test_every_scope_has_words_for_the_consent_page() -> None:
    for scope in scopes.ALL:
        assert scopes.describe(scope) and ":" not in scopes.describe(scope).split(" ")[0][:-1]
    assert scopes.describe("write:media") == "Change: media"
