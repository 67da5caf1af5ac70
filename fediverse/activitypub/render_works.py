"""Works -> Note / Create / Update / Delete exactly as Mastodon reads them (interop doc §6, §7)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from markupsafe import escape

from fediverse.activitypub.render import AS_CONTEXT, AS_PUBLIC, iso, render_post_delete, render_post_tombstone
from fediverse.activitypub.render_policy import INTERACTION_TERMS
from fediverse.activitypub.uris import Uris
from fediverse.models import Account, Work

MASTODON_MEDIA_LIMIT = 4
NOTE_CONTEXT: list[Any] = [
    AS_CONTEXT,
    {
        "sensitive": "as:sensitive",
        "Hashtag": "as:Hashtag",
        "toot": "http://joinmastodon.org/ns#",
        "blurhash": "toot:blurhash",
        "focalPoint": {"@container": "@list", "@id": "toot:focalPoint"},
        "schema": "http://schema.org#",
        "license": {"@id": "schema:license", "@type": "@id"},
        "digitalSourceType": {"@id": "http://iptc.org/std/Iptc4xmpExt/2008-02-29/DigitalSourceType", "@type": "@id"},
        **INTERACTION_TERMS,
    },
]
IPTC_SOURCE_TYPES = "http://cv.iptc.org/newscodes/digitalsourcetype/"
AI_SOURCE_TYPE = IPTC_SOURCE_TYPES + "trainedAlgorithmicMedia"
AI_LABEL = "Made with generative AI"


@dataclass(frozen=True)
class NoteConsent:
    """The consent projections of a work, computed by the caller (activitypub does not import consent)."""

    object: dict[str, Any] = field(default_factory=dict)
    attachment: dict[str, Any] = field(default_factory=dict)
    licence_html: str = ""
    terms: dict[str, Any] = field(default_factory=dict)


def note_context(consent: NoteConsent | None) -> list[Any]:
    """AS2 first (Mastodon needs it), then our inline terms, with the consent terms merged in."""
    if consent is None or not consent.terms:
        return NOTE_CONTEXT
    return [AS_CONTEXT, {**NOTE_CONTEXT[1], **consent.terms}]


def audience(work: Work, author: Account) -> tuple[list[str], list[str]]:
    """to/cc by visibility, with mentions in cc (Mastodon needs them there to notify)."""
    followers = author.followers_url or ""
    mentioned = [m["uri"] for m in work.mentions]
    if work.visibility == "public":
        return [AS_PUBLIC], [followers, *mentioned]
    if work.visibility == "unlisted":
        return [followers], [AS_PUBLIC, *mentioned]
    return [followers], mentioned


# The Note's interaction collections (Mastodon 4.3+): name in the Note -> the counts key -> the URL segment.
INTERACTIONS = {"likes": "like", "shares": "announce", "replies": "reply"}


def render_interaction_collection(work: Work, name: str, total: int) -> dict[str, Any]:
    """``likes`` / ``shares`` / ``replies`` of a work: an id that dereferences (``<note>/likes``) and the count."""
    return {"id": f"{work.uri}/{name}", "type": "Collection", "totalItems": total}


def render_note(work: Work, uris: Uris, *, instance_name: str, consent: NoteConsent | None = None,
                counts: dict[str, int] | None = None) -> dict[str, Any]:
    """``counts`` ("like", "announce", "reply": what the viewer may see) inlines the interaction collections."""
    author = work.account
    to, cc = audience(work, author)
    page = uris.work_page(author.username, work.public_id)
    content = work.content_html
    if work.title:
        content = f"<p><strong>{escape(work.title)}</strong></p>{content}"
    extra = len(work.images) - MASTODON_MEDIA_LIMIT
    if extra > 0:
        content += (f'<p><a href="{escape(page)}">See all {len(work.images)} images ({extra} more) '
                    f"on {escape(instance_name)}</a></p>")
    if work.ai_generated:
        content += f"<p>{AI_LABEL} (label from the artist or the file's IPTC metadata)</p>"
    if consent is not None:
        content += consent.licence_html  # "" when the artist switched the line off
    elif work.license_url:
        content += f'<p>Licence: <a href="{escape(work.license_url)}">{escape(work.license_url)}</a></p>'
    note: dict[str, Any] = {
        "id": work.uri,
        "type": "Note",
        "attributedTo": author.uri,
        "url": page,
        "published": iso(work.published_at),
        "to": to,
        "cc": cc,
        "sensitive": work.sensitive or bool(work.summary),
        "summary": work.summary or None,
        "name": work.title or None,
        "content": content,
        "attachment": [render_attachment(image, uris, work, consent) for image in work.images[:MASTODON_MEDIA_LIMIT]],
        "tag": [{"type": "Hashtag", "href": uris.tag(t), "name": f"#{t}"} for t in work.tags]
        + [{"type": "Mention", "href": m["uri"], "name": f"@{m['acct']}"} for m in work.mentions],
    }
    if work.updated_at:
        note["updated"] = iso(work.updated_at)
    if work.license_url:
        note["license"] = work.license_url
    if consent is not None:
        note.update(consent.object)
    if counts is not None:
        for name, key in INTERACTIONS.items():
            note[name] = render_interaction_collection(work, name, counts.get(key, 0))
    return {k: v for k, v in note.items() if v is not None}


def render_attachment(image: Any, uris: Uris, work: Work, consent: NoteConsent | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "type": "Document",
        "mediaType": image.large_mime,
        "url": uris.media(image.large_key),
        "name": image.alt_text,
        "blurhash": image.blurhash,
        "focalPoint": [round(image.focal_x, 2), round(image.focal_y, 2)],
        "width": image.large_width,
        "height": image.large_height,
    }
    if work.license_url:
        doc["license"] = work.license_url
    if consent is not None:
        doc.update(consent.attachment)
    source_type = image.digital_source_type or (AI_SOURCE_TYPE if work.ai_generated else None)
    if source_type:
        doc["digitalSourceType"] = source_type
    return doc


def render_create(work: Work, uris: Uris, *, instance_name: str, consent: NoteConsent | None = None) -> dict[str, Any]:
    note = render_note(work, uris, instance_name=instance_name, consent=consent)
    return {"@context": note_context(consent), "id": f"{work.uri}/activity", "type": "Create", "actor": work.account.uri,
            "published": note["published"], "to": note["to"], "cc": note["cc"], "object": note}


def render_update(work: Work, uris: Uris, *, instance_name: str, consent: NoteConsent | None = None) -> dict[str, Any]:
    """Mastodon applies an edit only when `updated` is newer than the last one it saw."""
    note = render_note(work, uris, instance_name=instance_name, consent=consent)
    assert work.updated_at is not None
    stamp = int(work.updated_at.timestamp() * 1000)
    return {"@context": note_context(consent), "id": f"{work.uri}#updates/{stamp}", "type": "Update", "actor": work.account.uri,
            "published": note["updated"], "to": note["to"], "cc": note["cc"], "object": note}


def render_delete(work: Work) -> dict[str, Any]:
    return render_post_delete(work.uri, work.account.uri, *audience(work, work.account))


def render_tombstone(work: Work) -> dict[str, Any]:
    assert work.deleted_at is not None
    return render_post_tombstone(work.uri, work.deleted_at)


def render_featured_change(kind: str, work: Work, activity_id: str) -> dict[str, Any]:
    """Add / Remove of a pinned work to the featured collection (Mastodon syncs pins this way)."""
    author = work.account
    return {"@context": AS_CONTEXT, "id": activity_id, "type": kind, "actor": author.uri, "to": [AS_PUBLIC],
            "cc": [author.followers_url], "object": work.uri, "target": author.featured_url}
