"""Local text notes -> Note / Create / Delete / Tombstone, addressed as Mastodon addresses each visibility.

Why a module of its own: a work is an artwork (images, licence, title); a local note is a short text, mostly a
reply, and carries only its text, content warning, tags, mentions and reply link. Both carry the consent
properties of their artist (``NoteConsent``, computed by the caller: activitypub does not import consent).
"""

from __future__ import annotations

from typing import Any

from fediverse.activitypub.render import AS_PUBLIC, iso, render_post_delete, render_post_tombstone
from fediverse.activitypub.render_works import NoteConsent, note_context
from fediverse.activitypub.uris import Uris
from fediverse.models import LocalNote


def note_audience(note: LocalNote) -> tuple[list[str], list[str]]:
    """to/cc as Mastodon's ActivityPub::TagManager: mentions in cc (public, unlisted, followers), in to (direct)."""
    followers = note.account.followers_url or ""
    mentioned = list(dict.fromkeys(m["uri"] for m in note.mentions))
    if note.visibility == "public":
        return [AS_PUBLIC], [followers, *mentioned]
    if note.visibility == "unlisted":
        return [followers], [AS_PUBLIC, *mentioned]
    if note.visibility == "followers":
        return [followers], mentioned
    return mentioned, []


def render_local_note(note: LocalNote, uris: Uris, *, consent: NoteConsent | None = None) -> dict[str, Any]:
    to, cc = note_audience(note)
    doc: dict[str, Any] = {
        "id": note.uri,
        "type": "Note",
        "attributedTo": note.account.uri,
        "inReplyTo": note.in_reply_to_uri,
        "url": uris.status_page(int(note.public_id)),
        "published": iso(note.published_at),
        "to": to,
        "cc": cc,
        "sensitive": note.sensitive or bool(note.summary),
        "summary": note.summary or None,
        "content": note.content_html,
        "tag": [{"type": "Mention", "href": m["uri"], "name": f"@{m['acct']}"} for m in note.mentions]
        + [{"type": "Hashtag", "href": uris.tag(t), "name": f"#{t}"} for t in note.tags],
    }
    if note.updated_at:
        doc["updated"] = iso(note.updated_at)
    if consent is not None:
        doc.update(consent.object)
    return {k: v for k, v in doc.items() if v is not None}


def render_note_create(note: LocalNote, uris: Uris, *, consent: NoteConsent | None = None) -> dict[str, Any]:
    obj = render_local_note(note, uris, consent=consent)
    return {"@context": note_context(consent), "id": f"{note.uri}/activity", "type": "Create",
            "actor": note.account.uri, "published": obj["published"], "to": obj["to"], "cc": obj["cc"],
            "object": obj}


def render_note_delete(note: LocalNote) -> dict[str, Any]:
    return render_post_delete(note.uri, note.account.uri, *note_audience(note))


def render_note_tombstone(note: LocalNote) -> dict[str, Any]:
    assert note.deleted_at is not None
    return render_post_tombstone(note.uri, note.deleted_at)
