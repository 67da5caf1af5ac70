"""Mastodon's OAuth scopes: the list, what each umbrella scope covers, and words for the consent page.

`read`, `write`, `admin:read` and `admin:write` cover their granular scopes; `follow` (deprecated, still
requested by every app) covers the follow, block and mute scopes it covered before Mastodon 3.5. An endpoint
names the granular scope it needs; a token passes when any scope it holds covers it.
"""

from __future__ import annotations

from typing import Iterable

READ = ("accounts", "blocks", "bookmarks", "favourites", "filters", "follows", "lists", "mutes", "notifications",
        "search", "statuses")
WRITE = ("accounts", "blocks", "bookmarks", "conversations", "favourites", "filters", "follows", "lists", "media",
         "mutes", "notifications", "reports", "statuses")
ADMIN = ("accounts", "reports", "domain_allows", "domain_blocks", "ip_blocks", "email_domain_blocks",
         "canonical_email_blocks")

COVERS: dict[str, frozenset[str]] = {
    "read": frozenset(f"read:{name}" for name in READ),
    "write": frozenset(f"write:{name}" for name in WRITE),
    "follow": frozenset({"read:follows", "read:blocks", "read:mutes", "write:follows", "write:blocks", "write:mutes"}),
    "admin:read": frozenset(f"admin:read:{name}" for name in ADMIN),
    "admin:write": frozenset(f"admin:write:{name}" for name in ADMIN),
}
ALL: tuple[str, ...] = ("read", "write", "follow", "push", "profile", *sorted(COVERS["read"]),
                        *sorted(COVERS["write"]), "admin:read", "admin:write", *sorted(COVERS["admin:read"]),
                        *sorted(COVERS["admin:write"]))
KNOWN = frozenset(ALL)
DEFAULT = "read"

WORDS = {
    "read": "Read everything in your account: posts, timelines, notifications, followers, bookmarks",
    "write": "Change everything in your account: post, upload, edit and delete, favourite, boost, follow",
    "follow": "See and change whom you follow, block and mute",
    "push": "Send you push notifications",
    "profile": "See your profile (name and picture) only",
    "admin:read": "Read moderation data on this server (accounts, reports, blocks)",
    "admin:write": "Take moderation actions on this server",
}
_ACTIONS = {"read": "Read", "write": "Change", "admin:read": "Read (moderation)", "admin:write": "Act on (moderation)"}


class ScopeError(ValueError):
    """A scope this server does not know."""


def parse(value: str | Iterable[str] | None, default: str = DEFAULT) -> list[str]:
    """Space (or '+', as some apps send) separated scopes, de-duplicated in order; unknown ones refused."""
    if value is None or (isinstance(value, str) and not value.strip()):
        value = default
    items = value.replace("+", " ").split() if isinstance(value, str) else [str(v) for v in value]
    scopes = list(dict.fromkeys(item.strip() for item in items if item.strip()))
    unknown = [s for s in scopes if s not in KNOWN]
    if unknown:
        raise ScopeError(f"unknown scope {unknown[0][:100]!r}")
    return scopes or [default]


def expand(scopes: Iterable[str]) -> frozenset[str]:
    """The scopes and everything they cover."""
    out: set[str] = set()
    for scope in scopes:
        out.add(scope)
        out |= COVERS.get(scope, frozenset())
    return frozenset(out)


def allows(granted: Iterable[str], *needed: str) -> bool:
    """True when the granted scopes cover any one of `needed` (endpoints name alternatives, e.g.
    verify_credentials takes `read:accounts` or `profile`)."""
    have = expand(granted)
    return any(scope in have for scope in needed)


def subset(wanted: Iterable[str], allowed: Iterable[str]) -> bool:
    """True when every scope in `wanted` is within `allowed`: named there, covered by an umbrella scope there,
    or an umbrella scope whose every granular scope is there (`follow` for an app registered `read write`)."""
    have = expand(allowed)
    return all(scope in have or (scope in COVERS and COVERS[scope] <= have) for scope in wanted)


def describe(scope: str) -> str:
    """A sentence for the consent page."""
    if scope in WORDS:
        return WORDS[scope]
    family, _, what = scope.rpartition(":")
    return f"{_ACTIONS.get(family, family)}: {what.replace('_', ' ')}"
