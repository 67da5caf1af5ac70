"""FEP-044f QuoteRequest -> a typed request, strictly: the one shape Mastodon 4.5 and GoToSocial send.

``{"type": "QuoteRequest", "actor": A, "object": <the quoted post's id>, "instrument": <A's quoting post, inline
or its id>}``. The instrument must be A's own post: inline, its ``attributedTo`` is A; by id, it lives on A's host
(we cannot see its author without fetching it, and a server vouches only for its own objects).
"""

from __future__ import annotations

from dataclasses import dataclass

from fediverse.activitypub.parse_common import object_id
from fediverse.activitypub.vocab import Activity, ParseError, host_of, is_http_url


@dataclass(frozen=True)
class QuoteRequest:
    id: str
    actor: str
    target: str        # our post being quoted
    quoting: str       # their post that quotes it


def parse_quote_request(activity: Activity) -> QuoteRequest:
    """Raises ParseError saying what is wrong (missing object, missing or foreign instrument)."""
    if activity.type != "QuoteRequest":
        raise ParseError(f"not a QuoteRequest but {activity.type}")
    target = activity.object_id
    if not target or len(activity.object_ids) != 1:
        raise ParseError("QuoteRequest must name exactly one quoted post as its object")
    instrument = activity.raw.get("instrument")
    quoting = object_id(instrument)
    if not is_http_url(quoting):
        raise ParseError("QuoteRequest has no instrument (the quoting post) with an http(s) id")
    if isinstance(instrument, dict):
        author = object_id(instrument.get("attributedTo"))
        if author != activity.actor:
            raise ParseError("QuoteRequest instrument is not attributed to the requesting actor")
    elif host_of(quoting) != host_of(activity.actor):
        raise ParseError("QuoteRequest instrument lives on another host than the requesting actor")
    quote = object_id(instrument.get("quote") if isinstance(instrument, dict) else None)
    if quote is not None and quote != target:
        raise ParseError("QuoteRequest instrument quotes another post than the request's object")
    return QuoteRequest(id=activity.id, actor=activity.actor, target=target, quoting=str(quoting))
