"""Actor and key documents -> ``RemoteActor`` / ``PublicKey``, accepted on exactly Mastodon's terms
(ProcessAccountService). Hostile input only ever raises ParseError."""

from __future__ import annotations

import re
from typing import Any

from fediverse.activitypub.parse_common import (
    as_list,
    bounded_text,
    collection_uri,
    id_list,
    object_id,
    optional_datetime,
    require_context,
    require_dict,
    require_id,
)
from fediverse.activitypub.vocab import (
    ACTOR_TYPES,
    MAX_ALSO_KNOWN_AS,
    MAX_FIELD_CHARS,
    MAX_FIELDS,
    MAX_NAME_CHARS,
    MAX_PUBLIC_KEYS,
    MAX_SUMMARY_CHARS,
    MAX_USERNAME_CHARS,
    ParseError,
    PublicKey,
    RemoteActor,
    first_of,
    host_of,
    is_http_url,
    ref_of,
    type_of,
)

# FEP-2c59 `webfinger`: "user@domain", optionally with Mastodon's tolerated "acct:" prefix.
_WEBFINGER_RE = re.compile(r"^(?:acct:)?([^@\s/]+)@([^@\s/]+)$")


def parse_actor(doc: Any, *, embedded: bool = False) -> RemoteActor:
    """An actor document, accepted on exactly Mastodon's terms (ProcessAccountService).

    `embedded=True` for an actor inside an activity (Update{Person}): it has no @context of
    its own; the enclosing activity's was checked."""
    doc = require_dict(doc, "actor")
    require_context(doc, embedded)
    actor_id = require_id(doc, "actor")
    webfinger = _webfinger_handle(doc.get("webfinger"))
    return RemoteActor(
        id=actor_id,
        type=_actor_type(doc.get("type")),
        preferred_username=_username(doc.get("preferredUsername"), webfinger),
        name=bounded_text(doc.get("name"), MAX_NAME_CHARS),
        summary=bounded_text(doc.get("summary"), MAX_SUMMARY_CHARS),
        url=_profile_url(doc.get("url"), actor_id),
        inbox=_inbox(doc.get("inbox")),
        outbox=collection_uri(doc.get("outbox")),
        shared_inbox=_shared_inbox(doc),
        followers=collection_uri(doc.get("followers")),
        following=collection_uri(doc.get("following")),
        featured=collection_uri(doc.get("featured")),
        public_keys=_public_keys(doc.get("publicKey"), actor_id),
        manually_approves_followers=doc.get("manuallyApprovesFollowers") is True,
        discoverable=doc.get("discoverable") is True,
        indexable=doc.get("indexable") is True,
        icon_url=_image_url(doc.get("icon")),
        image_url=_image_url(doc.get("image")),
        fields=_profile_fields(doc.get("attachment")),
        published=optional_datetime(doc.get("published")),
        moved_to=object_id(doc.get("movedTo")),
        also_known_as=id_list(doc.get("alsoKnownAs"), MAX_ALSO_KNOWN_AS),
        webfinger=webfinger,
        raw=doc,
    )


def parse_key_document(doc: Any) -> PublicKey:
    """A key served on its own (keyId not inside the actor doc): id, owner and PEM are required."""
    doc = require_dict(doc, "key document")
    require_context(doc)
    key_id = require_id(doc, "key")
    owner = ref_of(doc.get("owner"))
    if owner is None:
        raise ParseError("key document has no owner")
    if not is_http_url(owner):
        raise ParseError("key owner must be an absolute http(s) URL")
    pem = doc.get("publicKeyPem")
    if not isinstance(pem, str) or not pem.strip():
        raise ParseError("key document has no publicKeyPem")
    return PublicKey(id=key_id, owner=owner, pem=pem)


def _actor_type(value: Any) -> str:
    """The first supported type wins when `type` is an array (Mastodon #actor_type)."""
    for candidate in as_list(value):
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
    inbox = collection_uri(value)
    if inbox is None:
        raise ParseError("actor inbox must be an absolute http(s) URL")
    return inbox


def _shared_inbox(doc: dict[str, Any]) -> str | None:
    """endpoints.sharedInbox, else a top-level sharedInbox (Misskey sends both)."""
    endpoints = doc.get("endpoints")
    if isinstance(endpoints, dict):
        shared = collection_uri(endpoints.get("sharedInbox"))
        if shared is not None:
            return shared
    return collection_uri(doc.get("sharedInbox"))


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
            fields.append((bounded_text(name, MAX_FIELD_CHARS), bounded_text(text, MAX_FIELD_CHARS)))
    return tuple(fields)


def _public_keys(value: Any, actor_id: str) -> tuple[PublicKey, ...]:
    """Inline keys (object or array, at most 10) owned by this actor; others are skipped."""
    items = as_list(value)[:MAX_PUBLIC_KEYS]
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
