"""A remote Note (reply or mention) -> typed fields, with Mastodon's acceptance rules on shape."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fediverse.activitypub.audience import addressed, note_visibility
from fediverse.activitypub.parse import object_id, parse_object
from fediverse.activitypub.vocab import Activity, ParseError

NOTE_TYPES = ("Note", "Question", "Article", "Page", "Image")
MAX_CONTENT = 100_000


@dataclass(frozen=True)
class TagRef:
    """One ``Hashtag`` or ``Mention`` of a note's ``tag`` list: where the sender links it, and its name as stated
    (``#name``, ``@user`` or ``@user@domain``)."""

    href: str
    name: str


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
    visibility: str  # public | unlisted | private (followers-only) | direct: activitypub/audience.py
    addressed: tuple[str, ...]  # the actors (and collections) in to/cc, as:Public left out
    raw: dict[str, Any]
    hashtags: tuple[str, ...] = ()  # names of its Hashtag tags as the note states them, without '#'
    hashtag_refs: tuple[TagRef, ...] = ()  # its Hashtag tags with their links (to find them in the HTML)
    mention_refs: tuple[TagRef, ...] = ()  # its Mention tags with their names (the acct, when stated)


def parse_note(doc: Any, *, embedded: bool = True, followers: str | None = None,
               envelope: Activity | None = None) -> RemoteNoteDoc:
    """The object of a Create/Update; raises ParseError for anything we would not show.

    ``followers``: the author's followers collection (a note addressed to it in ``to`` is followers-only);
    ``envelope``: the Create/Update, whose ``to``/``cc`` count when the object has none (as on Mastodon)."""
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
    to = base.to if "to" in raw or envelope is None else envelope.to
    cc = base.cc if "cc" in raw or envelope is None else envelope.cc
    url = object_id(raw.get("url")) if not isinstance(raw.get("url"), list) else object_id(raw["url"][0] if raw["url"] else None)
    return RemoteNoteDoc(
        id=base.id, type=base.type, attributed_to=base.attributed_to, in_reply_to=base.in_reply_to, url=url,
        content=content, summary=summary, sensitive=raw.get("sensitive") is True or bool(summary),
        published=base.published, updated=_updated(raw.get("updated")), mentions=mentions[:50],
        to=to, cc=cc, visibility=note_visibility(to, cc, followers), addressed=addressed(to, cc), raw=raw,
        hashtags=hashtag_names(raw), hashtag_refs=tag_refs(raw, "Hashtag"), mention_refs=tag_refs(raw, "Mention"),
    )


MAX_HASHTAGS = 50
MAX_HASHTAG = 200
MAX_URL = 2048


def hashtag_names(raw: Any) -> tuple[str, ...]:
    """The names of a note's ``Hashtag`` tags (``tag``: one or a list), leading '#' removed, in order, once each
    (case kept as the note states it: matching and normalising is the tag index's job). Odd shapes are skipped."""
    found = raw.get("tag") if isinstance(raw, dict) else None
    items = found if isinstance(found, list) else [found] if found else []
    names: dict[str, None] = {}
    for item in items[:MAX_HASHTAGS * 4]:
        if not isinstance(item, dict) or item.get("type") != "Hashtag" or not isinstance(item.get("name"), str):
            continue
        name = item["name"].strip().lstrip("#").strip()
        if name and len(name) <= MAX_HASHTAG and len(names) < MAX_HASHTAGS:
            names.setdefault(name, None)
    return tuple(names)


def tag_refs(raw: Any, kind: str) -> tuple[TagRef, ...]:
    """The ``kind`` (``Hashtag`` or ``Mention``) tags of a note that have both a string ``href`` (http or https,
    within MAX_URL) and a string ``name``, in order, at most MAX_HASHTAGS of them. Odd shapes are skipped."""
    found = raw.get("tag") if isinstance(raw, dict) else None
    items = found if isinstance(found, list) else [found] if found else []
    refs: list[TagRef] = []
    for item in items[:MAX_HASHTAGS * 4]:
        if not isinstance(item, dict) or item.get("type") != kind:
            continue
        href, name = item.get("href"), item.get("name")
        if isinstance(href, str) and isinstance(name, str) and href.startswith(("https://", "http://")) \
                and len(href) <= MAX_URL and 0 < len(name) <= MAX_HASHTAG * 2 and len(refs) < MAX_HASHTAGS:
            refs.append(TagRef(href=href, name=name.strip()))
    return tuple(refs)


MAX_MEDIA = 10
MAX_SIDE = 100_000  # a claimed width or height beyond this is ignored (it only shapes a tile)
MAX_BLURHASH = 100


@dataclass(frozen=True)
class MediaRef:
    """One image attachment of a remote note: where the file is, what it claims to be, its alt text."""

    url: str
    media_type: str | None
    name: str
    width: int | None = None  # as its server claims (Mastodon's `width`/`height`): the shape of its tile here
    height: int | None = None
    blurhash: str | None = None


def media_attachments(raw: Any) -> tuple[MediaRef, ...]:
    """The image attachments of a note's JSON (``attachment``: one or a list; ``url`` a string, a Link or a
    list of Links, as Mastodon, Pixelfed and Misskey send them). Non-images and odd shapes are skipped."""
    found = raw.get("attachment") if isinstance(raw, dict) else None
    items = found if isinstance(found, list) else [found] if found else []
    refs: list[MediaRef] = []
    for item in items[:MAX_MEDIA]:
        if not isinstance(item, dict) or item.get("type") not in ("Image", "Document"):
            continue
        media_type = item.get("mediaType") if isinstance(item.get("mediaType"), str) else None
        url = item.get("url")
        if isinstance(url, list):
            url = next((u for u in url if isinstance(u, (str, dict))), None)
        if isinstance(url, dict):
            media_type = media_type or (url.get("mediaType") if isinstance(url.get("mediaType"), str) else None)
            url = url.get("href")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")) or len(url) > MAX_URL:
            continue
        if media_type is not None and not media_type.lower().startswith("image/"):
            continue
        width, height = _side(item.get("width")), _side(item.get("height"))
        blurhash = item.get("blurhash")
        refs.append(MediaRef(url=url, media_type=media_type, name=_text(item.get("name"))[:1500],
                             width=width if height else None, height=height if width else None,
                             blurhash=blurhash if isinstance(blurhash, str) and len(blurhash) <= MAX_BLURHASH else None))
    return tuple(refs)


def _side(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_SIDE else None


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
