"""Remote JSON (already decoded) -> typed objects from vocab.py: the only way in.

Why: the rules here mirror what Mastodon accepts (interop doc §0, §2, §5-§7), so we take
what the fediverse actually sends and refuse the rest with a ParseError whose message
says exactly why. Hostile input (wrong types anywhere) must only ever raise ParseError.
Pure: no I/O and no JSON-LD processing; keys are read literally, like Mastodon does.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from fediverse.activitypub.vocab import (
    ACTIVITY_TYPES,
    ACTOR_TYPES,
    AS_CONTEXT,
    MAX_ALSO_KNOWN_AS,
    MAX_FIELD_CHARS,
    MAX_FIELDS,
    MAX_NAME_CHARS,
    MAX_PUBLIC_KEYS,
    MAX_SUMMARY_CHARS,
    MAX_TYPE_CHARS,
    MAX_USERNAME_CHARS,
    OBJECT_TYPES,
    PUBLIC_ALIASES,
    AS_PUBLIC,
    WEBFINGER_PROFILE_REL,
    WEBFINGER_SELF_TYPES,
    Activity,
    APObject,
    ParseError,
    PublicKey,
    RemoteActor,
    WebfingerResult,
    first_of,
    host_of,
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

# FEP-2c59 `webfinger`: "user@domain", optionally with Mastodon's tolerated "acct:" prefix.
_WEBFINGER_RE = re.compile(r"^(?:acct:)?([^@\s/]+)@([^@\s/]+)$")


# --- public entry points --------------------------------------------------------------------


def object_id(value: Any) -> str | None:
    """The http(s) id a property points at: a string, `{"id": …}`, or the first of a list."""
    ref = ref_of(value)
    return ref if is_http_url(ref) else None


def has_as_context(doc: Any) -> bool:
    """Mastodon's `supported_context?`: the AS2 URL is the @context or an element of it."""
    if not isinstance(doc, dict):
        return False
    context = doc.get("@context")
    if isinstance(context, list):
        return AS_CONTEXT in context
    return context == AS_CONTEXT


def parse_document(doc: Any, *, embedded: bool = False) -> RemoteActor | Activity | APObject:
    """Parse a document of unknown kind by its `type`: actor, activity or other object."""
    doc = _require_dict(doc, "document")
    types = doc.get("type")
    candidates = types if isinstance(types, list) else [types]
    if any(isinstance(t, str) and t in ACTOR_TYPES for t in candidates):
        return parse_actor(doc, embedded=embedded)
    if type_of(types) in ACTIVITY_TYPES:
        return parse_activity(doc, embedded=embedded)
    return parse_object(doc, embedded=embedded)


def parse_actor(doc: Any, *, embedded: bool = False) -> RemoteActor:
    """An actor document, accepted on exactly Mastodon's terms (ProcessAccountService).

    `embedded=True` for an actor inside an activity (Update{Person}): it has no @context of
    its own; the enclosing activity's was checked."""
    doc = _require_dict(doc, "actor")
    _require_context(doc, embedded)
    actor_id = _require_id(doc, "actor")
    webfinger = _webfinger_handle(doc.get("webfinger"))
    return RemoteActor(
        id=actor_id,
        type=_actor_type(doc.get("type")),
        preferred_username=_username(doc.get("preferredUsername"), webfinger),
        name=_text(doc.get("name"), MAX_NAME_CHARS),
        summary=_text(doc.get("summary"), MAX_SUMMARY_CHARS),
        url=_profile_url(doc.get("url"), actor_id),
        inbox=_inbox(doc.get("inbox")),
        outbox=_collection_uri(doc.get("outbox")),
        shared_inbox=_shared_inbox(doc),
        followers=_collection_uri(doc.get("followers")),
        following=_collection_uri(doc.get("following")),
        featured=_collection_uri(doc.get("featured")),
        public_keys=_public_keys(doc.get("publicKey"), actor_id),
        manually_approves_followers=doc.get("manuallyApprovesFollowers") is True,
        discoverable=doc.get("discoverable") is True,
        indexable=doc.get("indexable") is True,
        icon_url=_image_url(doc.get("icon")),
        image_url=_image_url(doc.get("image")),
        fields=_profile_fields(doc.get("attachment")),
        published=_datetime(doc.get("published")),
        moved_to=object_id(doc.get("movedTo")),
        also_known_as=_id_list(doc.get("alsoKnownAs"), MAX_ALSO_KNOWN_AS),
        webfinger=webfinger,
        raw=doc,
    )


def parse_activity(doc: Any, *, embedded: bool = False) -> Activity:
    """An activity as delivered to an inbox: id, type, actor and an object reference.

    `embedded=True` for an activity inside another (the Follow in an Accept or Undo)."""
    doc = _require_dict(doc, "activity")
    _require_context(doc, embedded)
    activity_id = _require_id(doc, "activity")
    activity_type = _require_type(doc, "activity")
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
        to=_audience(doc.get("to")),
        cc=_audience(doc.get("cc")),
        published=_datetime(doc.get("published")),
        raw=doc,
    )


def parse_object(doc: Any, *, embedded: bool = False) -> APObject:
    """Any other object (Note, Video, Collection…): checked for context, id and type only.

    `embedded=True` for the object of a Create/Update, which carries no @context itself."""
    doc = _require_dict(doc, "object")
    _require_context(doc, embedded)
    return APObject(
        id=_require_id(doc, "object"),
        type=_require_type(doc, "object"),
        attributed_to=object_id(doc.get("attributedTo")),
        in_reply_to=object_id(doc.get("inReplyTo")),
        to=_audience(doc.get("to")),
        cc=_audience(doc.get("cc")),
        published=_datetime(doc.get("published")),
        raw=doc,
    )


def parse_key_document(doc: Any) -> PublicKey:
    """A key served on its own (keyId not inside the actor doc): id, owner and PEM are required."""
    doc = _require_dict(doc, "key document")
    _require_context(doc)
    key_id = _require_id(doc, "key")
    owner = ref_of(doc.get("owner"))
    if owner is None:
        raise ParseError("key document has no owner")
    if not is_http_url(owner):
        raise ParseError("key owner must be an absolute http(s) URL")
    pem = doc.get("publicKeyPem")
    if not isinstance(pem, str) or not pem.strip():
        raise ParseError("key document has no publicKeyPem")
    return PublicKey(id=key_id, owner=owner, pem=pem)


def parse_webfinger(jrd: Any) -> WebfingerResult:
    """A WebFinger JRD, validated like Mastodon's Webfinger::Response."""
    jrd = _require_dict(jrd, "JRD")
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
        aliases=tuple(a for a in _as_list(jrd.get("aliases")) if isinstance(a, str)),
        profile_url=_profile_page(links),
    )


# --- shared checks ----------------------------------------------------------------------------


def _require_dict(doc: Any, what: str) -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise ParseError(f"{what} must be a JSON object, not {_json_kind(doc)}")
    return doc


def _require_context(doc: dict[str, Any], embedded: bool = False) -> None:
    if not embedded and not has_as_context(doc):
        raise ParseError(f"unsupported JSON-LD context: @context must contain {AS_CONTEXT}")


def _require_id(doc: dict[str, Any], what: str) -> str:
    value = doc.get("id")
    if value is None:
        raise ParseError(f"{what} has no id")
    if not is_http_url(value):
        raise ParseError(f"{what} id must be an absolute http(s) URL")
    return value


def _require_type(doc: dict[str, Any], what: str) -> str:
    value = type_of(doc.get("type"))
    if value is None:
        raise ParseError(f"{what} has no type")
    if len(value) > MAX_TYPE_CHARS or not value.isprintable():
        raise ParseError(f"{what} type is not a plausible name")
    return value


def _json_kind(value: Any) -> str:
    kinds = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return kinds.get(type(value), "a number")


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _text(value: Any, limit: int) -> str:
    """Display text: strings only, NULs removed (PostgreSQL refuses them), truncated like Mastodon."""
    if not isinstance(value, str):
        return ""
    return value.replace("\x00", "")[:limit]


def _datetime(value: Any) -> datetime | None:
    """ISO 8601 timestamps; a missing zone means UTC; anything unreadable is None."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _collection_uri(value: Any) -> str | None:
    """Mastodon's `valid_collection_uri`: a string, the first of an array, or `{id}`."""
    value = first_of(value)
    if isinstance(value, dict):
        value = value.get("id")
    return value if is_http_url(value) else None


def _id_list(value: Any, limit: int) -> tuple[str, ...]:
    ids: list[str] = []
    for item in _as_list(value):
        ref = item.get("id") if isinstance(item, dict) else item
        if is_http_url(ref) and ref not in ids:
            ids.append(ref)
        if len(ids) >= limit:
            break
    return tuple(ids)


def _audience(value: Any) -> tuple[str, ...]:
    """to/cc as a tuple of ids; `as:Public`/`Public` become the full URI, junk entries are dropped."""
    result: list[str] = []
    for item in _as_list(value):
        ref = item.get("id") if isinstance(item, dict) else item
        if isinstance(ref, str) and ref in PUBLIC_ALIASES:
            ref = AS_PUBLIC
        if is_http_url(ref) and ref not in result:
            result.append(ref)
    return tuple(result)


# --- actors -----------------------------------------------------------------------------------


def _actor_type(value: Any) -> str:
    """The first supported type wins when `type` is an array (Mastodon #actor_type)."""
    for candidate in _as_list(value):
        if isinstance(candidate, str) and candidate in ACTOR_TYPES:
            return candidate
    shown = type_of(value)
    if shown is None:
        raise ParseError("actor has no type")
    supported = " ".join(sorted(ACTOR_TYPES))
    raise ParseError(f"unsupported actor type {shown[:64]!r} (expected one of: {supported})")


def _webfinger_handle(value: Any) -> str | None:
    """FEP-2c59 `webfinger` as "user@domain", or None when absent or malformed."""
    if not isinstance(value, str) or len(value) > MAX_USERNAME_CHARS:
        return None
    match = _WEBFINGER_RE.match(value)
    return f"{match.group(1)}@{match.group(2)}" if match else None


def _username(value: Any, webfinger: str | None) -> str:
    """preferredUsername, or the user part of the FEP-2c59 handle; one of them is required."""
    if isinstance(value, str) and value.strip():
        if len(value) > MAX_USERNAME_CHARS:
            raise ParseError(f"preferredUsername is longer than {MAX_USERNAME_CHARS} characters")
        if "\x00" in value:
            raise ParseError("preferredUsername contains a NUL character")
        return value
    if webfinger is not None:
        return webfinger.split("@")[0]
    raise ParseError("actor has neither preferredUsername nor webfinger")


def _inbox(value: Any) -> str:
    if value is None:
        raise ParseError("actor has no inbox")
    inbox = _collection_uri(value)
    if inbox is None:
        raise ParseError("actor inbox must be an absolute http(s) URL")
    return inbox


def _shared_inbox(doc: dict[str, Any]) -> str | None:
    """endpoints.sharedInbox, else a top-level sharedInbox (Misskey sends both)."""
    endpoints = doc.get("endpoints")
    if isinstance(endpoints, dict):
        shared = _collection_uri(endpoints.get("sharedInbox"))
        if shared is not None:
            return shared
    return _collection_uri(doc.get("sharedInbox"))


def _profile_url(value: Any, actor_id: str) -> str | None:
    """The profile link; ignored unless on the actor's host (Mastodon #url, #mismatching_origin?)."""
    href = _url_to_href(value, "text/html")
    if not is_http_url(href) or host_of(href) != host_of(actor_id):
        return None
    return href


def _url_to_href(value: Any, preferred_type: str) -> Any:
    """Mastodon's url_to_href: a string, a Link's href, or from an array the link of the preferred type."""
    if isinstance(value, list):
        if value and isinstance(value[0], str):
            return value[0]
        value = next(
            (v for v in value if isinstance(v, dict) and (v.get("mediaType") or "text/html") == preferred_type),
            None,
        )
    if isinstance(value, dict):
        return value.get("href")
    return value


def _image_url(value: Any) -> str | None:
    """icon/image: only an `Image` object (url: string, {href} or array) or a Link with href.

    A bare string would be dereferenced as an ActivityPub document by Mastodon, so it gives
    no picture here either (interop doc §2.2)."""
    value = first_of(value)
    if not isinstance(value, dict):
        return None
    if value.get("type") == "Image":
        value = first_of(value.get("url"))
    if isinstance(value, dict):
        value = value.get("href")
    return value if is_http_url(value) else None


def _profile_fields(value: Any) -> tuple[tuple[str, str], ...]:
    """PropertyValue attachments; Mastodon reads them only from a real JSON array."""
    if not isinstance(value, list):
        return ()
    fields: list[tuple[str, str]] = []
    for item in value:
        if len(fields) >= MAX_FIELDS:
            break
        if not isinstance(item, dict) or item.get("type") != "PropertyValue":
            continue
        name, text = item.get("name"), item.get("value")
        if isinstance(name, str) and isinstance(text, str):
            fields.append((_text(name, MAX_FIELD_CHARS), _text(text, MAX_FIELD_CHARS)))
    return tuple(fields)


def _public_keys(value: Any, actor_id: str) -> tuple[PublicKey, ...]:
    """Inline keys (object or array, at most 10) owned by this actor; others are skipped."""
    items = _as_list(value)[:MAX_PUBLIC_KEYS]
    keys = (_inline_key(item, actor_id) for item in items)
    return tuple(key for key in keys if key is not None)


def _inline_key(item: Any, actor_id: str) -> PublicKey | None:
    """A key is used inline only if its owner is the actor and its id is on the actor's host.

    Why the host check: Mastodon uses the PEM inline only for `actor#fragment` ids and fetches
    the rest; we cannot fetch here, and a key id on another host must never be cached under
    this actor (it would let one server claim another server's key id)."""
    if not isinstance(item, dict):
        return None
    key_id, owner, pem = item.get("id"), ref_of(item.get("owner")), item.get("publicKeyPem")
    if not is_http_url(key_id) or owner != actor_id or host_of(key_id) != host_of(actor_id):
        return None
    if not isinstance(pem, str) or not pem.strip():
        return None
    return PublicKey(id=key_id, owner=owner, pem=pem)


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
    raise ParseError(f"activity object must be an id, an object or an array, not {_json_kind(value)}")


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
