"""Remote JSON (already decoded) -> typed objects from vocab.py: the only way in.

Why: the rules here mirror what Mastodon accepts (interop doc §0, §2, §5-§7), so we take
what the fediverse actually sends and refuse the rest with a ParseError whose message
says exactly why. Hostile input (wrong types anywhere) must only ever raise ParseError.
Pure: no I/O and no JSON-LD processing; keys are read literally, like Mastodon does.
"""

from __future__ import annotations

from typing import Any

from fediverse.activitypub.parse_actor import parse_actor, parse_key_document
from fediverse.activitypub.parse_common import (
    as_list,
    audience_ids,
    has_as_context,
    json_kind,
    object_id,
    optional_datetime,
    require_context,
    require_dict,
    require_id,
    require_type,
)
from fediverse.activitypub.vocab import (
    ACTIVITY_TYPES,
    ACTOR_TYPES,
    OBJECT_TYPES,
    WEBFINGER_PROFILE_REL,
    WEBFINGER_SELF_TYPES,
    Activity,
    APObject,
    ParseError,
    RemoteActor,
    WebfingerResult,
    is_http_url,
    ref_of,
    type_of,
)

__all__ = [
    "has_as_context",
    "object_id",
    "parse_activity",
    "parse_actor",
    "parse_document",
    "parse_key_document",
    "parse_object",
    "parse_webfinger",
]

# --- public entry points --------------------------------------------------------------------


def parse_document(doc: Any, *, embedded: bool = False) -> RemoteActor | Activity | APObject:
    """Parse a document of unknown kind by its `type`: actor, activity or other object."""
    doc = require_dict(doc, "document")
    types = doc.get("type")
    candidates = types if isinstance(types, list) else [types]
    if any(isinstance(t, str) and t in ACTOR_TYPES for t in candidates):
        return parse_actor(doc, embedded=embedded)
    if type_of(types) in ACTIVITY_TYPES:
        return parse_activity(doc, embedded=embedded)
    return parse_object(doc, embedded=embedded)


def parse_activity(doc: Any, *, embedded: bool = False) -> Activity:
    """An activity as delivered to an inbox: id, type, actor and an object reference.

    `embedded=True` for an activity inside another (the Follow in an Accept or Undo)."""
    doc = require_dict(doc, "activity")
    require_context(doc, embedded)
    activity_id = require_id(doc, "activity")
    activity_type = require_type(doc, "activity")
    if activity_type in ACTOR_TYPES or activity_type in OBJECT_TYPES:
        raise ParseError(f"{activity_type} is not an activity")
    object_ids, embedded = _object_refs(doc.get("object"))
    return Activity(
        id=activity_id,
        type=activity_type,
        actor=_activity_actor(doc.get("actor")),
        object_id=object_ids[0] if object_ids else None,
        object=embedded,
        object_ids=object_ids,
        target_id=object_id(doc.get("target")),
        to=audience_ids(doc.get("to")),
        cc=audience_ids(doc.get("cc")),
        published=optional_datetime(doc.get("published")),
        raw=doc,
    )


def parse_object(doc: Any, *, embedded: bool = False) -> APObject:
    """Any other object (Note, Video, Collection…): checked for context, id and type only.

    `embedded=True` for the object of a Create/Update, which carries no @context itself."""
    doc = require_dict(doc, "object")
    require_context(doc, embedded)
    return APObject(
        id=require_id(doc, "object"),
        type=require_type(doc, "object"),
        attributed_to=object_id(doc.get("attributedTo")),
        in_reply_to=object_id(doc.get("inReplyTo")),
        to=audience_ids(doc.get("to")),
        cc=audience_ids(doc.get("cc")),
        published=optional_datetime(doc.get("published")),
        raw=doc,
    )


def parse_webfinger(jrd: Any) -> WebfingerResult:
    """A WebFinger JRD, validated like Mastodon's Webfinger::Response."""
    jrd = require_dict(jrd, "JRD")
    subject = jrd.get("subject")
    if not isinstance(subject, str) or not subject.strip():
        raise ParseError("JRD has no subject")
    if not subject.isprintable() or any(c.isspace() for c in subject):
        raise ParseError("JRD subject contains whitespace or control characters")
    links = jrd.get("links")
    if not isinstance(links, list):
        raise ParseError("JRD has no links array")
    return WebfingerResult(
        subject=subject,
        actor_url=_self_href(links),
        aliases=tuple(a for a in as_list(jrd.get("aliases")) if isinstance(a, str)),
        profile_url=_profile_page(links),
    )


# --- activities -------------------------------------------------------------------------------


def _activity_actor(value: Any) -> str:
    ref = ref_of(value)
    if ref is None:
        raise ParseError("activity has no actor")
    if not is_http_url(ref):
        raise ParseError("activity actor must be an absolute http(s) URL")
    return ref


def _object_refs(value: Any) -> tuple[tuple[str, ...], dict[str, Any] | None]:
    """(ids referenced, embedded object) for `object`: an id, an embedded object, an array, or absent."""
    if value is None:
        return (), None
    if isinstance(value, dict):
        ref = _embedded_id(value)
        return ((ref,) if ref else ()), value
    if isinstance(value, str):
        return (_object_ref(value),), None
    if isinstance(value, list):
        ids = (_embedded_id(v) if isinstance(v, dict) else _object_ref(v) for v in value)
        return tuple(ref for ref in ids if ref), None
    raise ParseError(f"activity object must be an id, an object or an array, not {json_kind(value)}")


def _object_ref(value: Any) -> str:
    if not is_http_url(value):
        raise ParseError("activity object must be an absolute http(s) URL")
    return value


def _embedded_id(value: dict[str, Any]) -> str | None:
    """An embedded object may lack an id (transient objects), but a present id must be a URL."""
    ref = value.get("id")
    if ref is None:
        return None
    if not is_http_url(ref):
        raise ParseError("embedded object id must be an absolute http(s) URL")
    return ref


# --- webfinger --------------------------------------------------------------------------------


def _self_href(links: list[Any]) -> str:
    """href of the first rel=self link whose type is exactly one Mastodon accepts."""
    for link in links:
        if not isinstance(link, dict) or link.get("rel") != "self":
            continue
        link_type = link.get("type")
        if isinstance(link_type, str) and link_type in WEBFINGER_SELF_TYPES:
            href = link.get("href")
            if not is_http_url(href):
                raise ParseError("JRD rel=self href must be an absolute http(s) URL")
            return href
    raise ParseError("JRD has no rel=self link of type application/activity+json")


def _profile_page(links: list[Any]) -> str | None:
    for link in links:
        if isinstance(link, dict) and link.get("rel") == WEBFINGER_PROFILE_REL and is_http_url(link.get("href")):
            return link["href"]
    return None
