"""Interaction policies fold instance -> artist -> work, and a followers-only post is quotable by nobody."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from fediverse.consent.interaction import InteractionPolicy, folded, for_visibility, permits, policy_changes
from fediverse.errors import Invalid


def test_overrides_fold_and_null_inherits() -> None:
    instance = InteractionPolicy(quotes="followers")
    artist = folded(instance, SimpleNamespace(quote_policy=None, reply_policy="nobody", boost_policy=None))
    work = folded(artist, SimpleNamespace(quote_policy="anyone", reply_policy=None, boost_policy=None))
    assert artist == InteractionPolicy(quotes="followers", replies="nobody", boosts="anyone")
    assert work == InteractionPolicy(quotes="anyone", replies="nobody", boosts="anyone")
    assert for_visibility(work, "followers") == InteractionPolicy(quotes="nobody", replies="nobody", boosts="nobody")
    assert for_visibility(work, "unlisted") == work


@pytest.mark.parametrize(
    ("value", "author", "follower", "allowed"),
    [("anyone", False, False, True), ("followers", False, True, True), ("followers", False, False, False),
     ("nobody", False, True, False), ("nobody", True, False, True)],
)
def test_permits(value: str, author: bool, follower: bool, allowed: bool) -> None:
    assert permits(value, is_author=author, is_follower=follower) is allowed


def test_policy_changes_name_the_bad_value() -> None:
    assert policy_changes({"quotes": "", "boosts": "nobody"}) == {"quotes": None, "boosts": "nobody"}
    with pytest.raises(Invalid, match="quotes: must be one of anyone, followers, nobody"):
        policy_changes({"quotes": "friends"})
    with pytest.raises(Invalid, match="unknown interaction policy: likes"):
        policy_changes({"likes": "anyone"})
