"""Who a remote note is for: Mastodon's visibility rule on `to`/`cc`, and the actors it addresses. Pure.

Why: a reply sent only to an artist (direct) or only to its author's followers must never be shown on a
public page. Mastodon decides from the addressing alone (``StatusParser#visibility``, interop doc §6.4):
public when as:Public is in ``to``; unlisted when it is in ``cc``; followers-only ("private") when ``to``
holds the author's own followers collection; direct otherwise. We keep the same four names.
"""

from __future__ import annotations

from typing import Any, Iterable

from fediverse.activitypub.vocab import PUBLIC_ALIASES

PUBLIC = "public"
UNLISTED = "unlisted"
PRIVATE = "private"  # followers-only
DIRECT = "direct"
NOTE_VISIBILITIES = (PUBLIC, UNLISTED, PRIVATE, DIRECT)
LISTED_VISIBILITIES = (PUBLIC, UNLISTED)  # the two anyone may see (on pages, feeds, counts, caches)
MAX_ADDRESSED = 500  # actors kept per note; a bigger audience is cut (an addressee past it sees nothing)


def note_visibility(to: Iterable[Any], cc: Iterable[Any], followers: str | None) -> str:
    """Mastodon's rule; ``followers`` is the author's followers collection as its actor document says."""
    to, cc = list(to), list(cc)
    if any(isinstance(item, str) and item in PUBLIC_ALIASES for item in to):
        return PUBLIC
    if any(isinstance(item, str) and item in PUBLIC_ALIASES for item in cc):
        return UNLISTED
    if followers and followers in to:
        return PRIVATE
    return DIRECT


def addressed(to: Iterable[Any], cc: Iterable[Any]) -> tuple[str, ...]:
    """The IRIs in ``to`` and ``cc`` besides the public collection (actors and collections), in order, once."""
    found: dict[str, None] = {}
    for item in (*to, *cc):
        if isinstance(item, str) and item not in PUBLIC_ALIASES and len(found) < MAX_ADDRESSED:
            found.setdefault(item, None)
    return tuple(found)
