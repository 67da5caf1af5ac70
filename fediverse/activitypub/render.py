"""Models -> AS2 dicts: the only way out. Plain dicts with the literal keys Mastodon reads (no compaction)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from markupsafe import escape

from fediverse.activitypub.uris import Uris
from fediverse.models import Account

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT = "https://w3id.org/security/v1"
AS_PUBLIC = "https://www.w3.org/ns/activitystreams#Public"

# Extension terms defined inline (Mastodon never fetches our contexts; see interop doc §2.3, §9).
EXTENSION_TERMS: dict[str, Any] = {
    "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
    "sensitive": "as:sensitive",
    "Hashtag": "as:Hashtag",
    "movedTo": {"@id": "as:movedTo", "@type": "@id"},
    "alsoKnownAs": {"@id": "as:alsoKnownAs", "@type": "@id"},
    "toot": "http://joinmastodon.org/ns#",
    "featured": {"@id": "toot:featured", "@type": "@id"},
    "discoverable": "toot:discoverable",
    "indexable": "toot:indexable",
    "blurhash": "toot:blurhash",
    "focalPoint": {"@container": "@list", "@id": "toot:focalPoint"},
    "schema": "http://schema.org#",
    "PropertyValue": "schema:PropertyValue",
    "value": "schema:value",
}
ACTOR_CONTEXT: list[Any] = [AS_CONTEXT, SECURITY_CONTEXT, EXTENSION_TERMS]


def iso(moment: datetime) -> str:
    """xsd:dateTime in UTC with a Z, as every server parses it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def render_post_delete(uri: str, actor_uri: str, to: list[str], cc: list[str]) -> dict[str, Any]:
    """The Delete of one of our posts (a work or a text note), to the audience it had."""
    return {"@context": AS_CONTEXT, "id": f"{uri}#delete", "type": "Delete", "actor": actor_uri,
            "to": to, "cc": cc, "object": {"id": uri, "type": "Tombstone"}}


def render_post_tombstone(uri: str, deleted_at: datetime) -> dict[str, Any]:
    """What a deleted post's id answers (with 410), as Mastodon serves it."""
    return {"@context": AS_CONTEXT, "id": uri, "type": "Tombstone", "formerType": "Note", "deleted": iso(deleted_at)}


def render_actor(
    account: Account, uris: Uris, *, summary_html: str, consent: dict[str, Any] | None = None,
    terms: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A local artist (Person) or the instance actor (Application) with every field Mastodon reads.

    `consent` (properties) and `terms` (their JSON-LD definitions) come from the caller's consent record."""
    uri = account.uri
    doc: dict[str, Any] = {
        "@context": [AS_CONTEXT, SECURITY_CONTEXT, {**EXTENSION_TERMS, **(terms or {})}],
        "id": uri,
        "type": account.actor_type,
        "preferredUsername": account.username,
        "name": account.display_name or account.username,
        "summary": summary_html,
        "url": account.url or uri,
        "inbox": account.inbox_url,
        "outbox": account.outbox_url,
        "followers": account.followers_url,
        "following": account.following_url,
        "featured": account.featured_url,
        "endpoints": {"sharedInbox": uris.shared_inbox()},
        "manuallyApprovesFollowers": account.manually_approves_followers,
        "discoverable": account.discoverable,
        "indexable": account.indexable,
        "published": iso(account.created_at.replace(hour=0, minute=0, second=0, microsecond=0)),
        "publicKey": {"id": account.key_id, "owner": uri, "publicKeyPem": account.public_key_pem},
        "attachment": [  # profile fields; the value is HTML (links as <a>), escaped text otherwise
            {"type": "PropertyValue", "name": field["name"], "value": field.get("html") or str(escape(field["value"]))}
            for field in account.fields
        ],
        "tag": [],
    }
    if account.icon_url:
        doc["icon"] = {"type": "Image", "url": account.icon_url}
    if account.image_url:
        doc["image"] = {"type": "Image", "url": account.image_url}
    doc.update(consent or {})
    return {k: v for k, v in doc.items() if v is not None}


def render_follow(activity_id: str, actor: str, target: str) -> dict[str, Any]:
    return {"@context": AS_CONTEXT, "id": activity_id, "type": "Follow", "actor": actor, "object": target}


def render_response(kind: str, activity_id: str, actor: str, follow: dict[str, Any]) -> dict[str, Any]:
    """Accept or Reject of a Follow, embedding the Follow as received so every server can match it."""
    embedded = {k: follow[k] for k in ("id", "type", "actor", "object") if k in follow}
    return {"@context": AS_CONTEXT, "id": activity_id, "type": kind, "actor": actor, "object": embedded}


def render_undo(activity_id: str, actor: str, inner: dict[str, Any]) -> dict[str, Any]:
    embedded = {k: v for k, v in inner.items() if k != "@context"}
    return {"@context": AS_CONTEXT, "id": activity_id, "type": "Undo", "actor": actor, "object": embedded}


def render_like(activity_id: str, actor: str, object_uri: str, *, to: list[str]) -> dict[str, Any]:
    """A like of a post, sent to its author, as Mastodon sends it (``object`` is the id)."""
    return {"@context": AS_CONTEXT, "id": activity_id, "type": "Like", "actor": actor, "object": object_uri,
            "to": to}


def render_announce(
    activity_id: str, actor: str, object_uri: str, *, to: list[str], cc: list[str], published: datetime,
    consent: dict[str, Any] | None = None, terms: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A boost. ``object`` is the id, as Mastodon sends it; ``consent`` (the boosted object's record as our
    properties, with ``terms`` defining them inline) travels on the Announce, so the refusal is passed on."""
    doc: dict[str, Any] = {
        "@context": [AS_CONTEXT, {**(terms or {})}] if terms else AS_CONTEXT,
        "id": activity_id, "type": "Announce", "actor": actor, "object": object_uri,
        "to": to, "cc": cc, "published": iso(published),
    }
    doc.update(consent or {})
    return doc


def render_collection(collection_id: str, total: int, *, first: str | None) -> dict[str, Any]:
    doc: dict[str, Any] = {"@context": AS_CONTEXT, "id": collection_id, "type": "OrderedCollection", "totalItems": total}
    if first:
        doc["first"] = first
    return doc


def render_collection_page(
    page_id: str, collection_id: str, items: list[Any], total: int, *, next_page: str | None, prev_page: str | None
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": AS_CONTEXT,
        "id": page_id,
        "type": "OrderedCollectionPage",
        "partOf": collection_id,
        "totalItems": total,
        "orderedItems": items,
    }
    if next_page:
        doc["next"] = next_page
    if prev_page:
        doc["prev"] = prev_page
    return doc
