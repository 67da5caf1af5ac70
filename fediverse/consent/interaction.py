"""Interaction consent: who may quote, reply to and boost an artist's posts (GoToSocial / FEP-044f model).

The instance default ([consent] quotes/replies/boosts) -> the artist's choice -> the work's choice; None at a level
means "inherit". Pure: the caller says whether the interacting actor is the author or an accepted follower.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Mapping, get_args

from fediverse.errors import Invalid

Policy = Literal["anyone", "followers", "nobody"]
POLICY_VALUES: tuple[str, ...] = get_args(Policy)
KINDS = ("quotes", "replies", "boosts")
COLUMNS = {"quotes": "quote_policy", "replies": "reply_policy", "boosts": "boost_policy"}
QUOTABLE_VISIBILITIES = ("public", "unlisted")  # as Mastodon: a followers-only or direct post is never quotable


@dataclass(frozen=True)
class InteractionPolicy:
    """The effective policy of one post (or an artist's default)."""

    quotes: Policy = "anyone"
    replies: Policy = "anyone"
    boosts: Policy = "anyone"

    def __post_init__(self) -> None:
        for kind in KINDS:
            if getattr(self, kind) not in POLICY_VALUES:
                raise ValueError(f"{kind}: must be one of {', '.join(POLICY_VALUES)}, not {getattr(self, kind)!r}")


def folded(base: InteractionPolicy, holder: object) -> InteractionPolicy:
    """``base`` with the non-NULL ``quote_policy`` / ``reply_policy`` / ``boost_policy`` of ``holder`` applied."""
    values = {kind: getattr(holder, COLUMNS[kind], None) or getattr(base, kind) for kind in KINDS}
    return InteractionPolicy(**values)


def for_visibility(policy: InteractionPolicy, visibility: str) -> InteractionPolicy:
    """A post only its followers (or mentioned accounts) see cannot be quoted by anyone but its author."""
    if visibility in QUOTABLE_VISIBILITIES:
        return policy
    return InteractionPolicy(quotes="nobody", replies=policy.replies, boosts="nobody")


def permits(value: str, *, is_author: bool, is_follower: bool) -> bool:
    """Does a policy value let this actor interact without asking? The author always may."""
    return is_author or value == "anyone" or (value == "followers" and is_follower)


def policy_changes(values: Mapping[str, Any]) -> dict[str, str | None]:
    """Check quotes / replies / boosts from a form or the CLI ("" or None = inherit); raises Invalid naming it."""
    changes: dict[str, str | None] = {}
    for kind, value in values.items():
        if kind not in KINDS:
            raise Invalid(f"unknown interaction policy: {kind}")
        if value in ("", None):
            changes[kind] = None
        elif value in POLICY_VALUES:
            changes[kind] = value
        else:
            raise Invalid(f"{kind}: must be one of {', '.join(POLICY_VALUES)}; got {value!r}")
    return changes


def set_policies(holder: Any, changes: Mapping[str, str | None]) -> None:
    """Apply checked ``policy_changes`` to a local artist's account or a work (their ``*_policy`` columns)."""
    for kind, value in changes.items():
        setattr(holder, COLUMNS[kind], value)
