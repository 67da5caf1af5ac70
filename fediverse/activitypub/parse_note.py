"""A remote Note (reply or mention) -> typed fields, with Mastodon's acceptance rules on shape."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fediverse.activitypub.parse import object_id, parse_object
from fediverse.activitypub.vocab import ParseError

NOTE_TYPES = ("Note", "Question", "Article", "Page", "Image")
MAX_CONTENT = 100_000


@dataclass(frozen=True)
class RemoteNoteDoc:
    id: str
    type: str
    attributed_to: str
    in_reply_to: str | None
    url: str | None
    content: str
    summary: str
    sensitive: bool
    published: datetime | None
    updated: datetime | None
    mentions: tuple[str, ...]  # actor ids tagged as Mention
    to: tuple[str, ...]
    cc: tuple[str, ...]
    raw: dict[str, Any]


def parse_note(doc: Any, *, embedded: bool = True) -> RemoteNoteDoc:
    """The object of a Create/Update; raises ParseError for anything we would not show."""
    base = parse_object(doc, embedded=embedded)
    if base.type not in NOTE_TYPES:
        raise ParseError(f"object type {base.type} is not a note")
    if not base.attributed_to:
        raise ParseError("note has no attributedTo")
    raw = base.raw
    content = _text(raw.get("content")) or _first_map_value(raw.get("contentMap"))
    if len(content) > MAX_CONTENT:
        raise ParseError(f"note content is longer than {MAX_CONTENT} characters")
    summary = _text(raw.get("summary"))[:500]
    tags = raw.get("tag") if isinstance(raw.get("tag"), list) else [raw.get("tag")]
    mentions = tuple(
        href for tag in tags if isinstance(tag, dict) and tag.get("type") == "Mention"
        and isinstance(href := tag.get("href"), str)
    )
    url = object_id(raw.get("url")) if not isinstance(raw.get("url"), list) else object_id(raw["url"][0] if raw["url"] else None)
    return RemoteNoteDoc(
        id=base.id, type=base.type, attributed_to=base.attributed_to, in_reply_to=base.in_reply_to, url=url,
        content=content, summary=summary, sensitive=raw.get("sensitive") is True or bool(summary),
        published=base.published, updated=_updated(raw.get("updated")), mentions=mentions[:50],
        to=base.to, cc=base.cc, raw=raw,
    )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _first_map_value(value: Any) -> str:
    if isinstance(value, dict):
        for text in value.values():
            if isinstance(text, str):
                return text
    return ""


def _updated(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else None
