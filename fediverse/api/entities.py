"""Mastodon's entities as apps decode them (Mastodon.py, Tusky, Ice Cubes, Ivory): built from the services' typed
objects (timeline items, accounts, thread posts), never from JSON-LD.

Every key is always present (``null``, ``[]`` or ``""`` when there is nothing: a missing key crashes decoders), ids
are decimal strings (status ids are snowflakes), times are ``YYYY-MM-DDTHH:MM:SS.mmmZ``, and an account without a
picture gets the default avatar and header (static files), as Tusky needs real URLs. A work's licence and consent
travel as the extra read-only ``fediverse`` object, which apps ignore.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from html import escape
from typing import Any

from fediverse import __version__
from fediverse.activitypub.nodeinfo import MASTODON_VERSION
from fediverse.config import Settings
from fediverse.models import Account, Notification, Report
from fediverse.models.tags import normalize_tag
from fediverse.services.consent import for_work
from fediverse.services.listings import AccountStats, Extras
from fediverse.services.text import link_urls, plain_to_html
from fediverse.services.timelines import Image, TimelineItem
from fediverse.web.remote_html import remote_html

VERSION = f"{MASTODON_VERSION} (compatible; fediverse {__version__})"
DEFAULT_AVATAR = "/static/avatar.png"
DEFAULT_HEADER = "/static/header.png"
BOT_TYPES = ("Service", "Application")
NOTIFICATION_TYPES = {"follow": "follow", "follow_request": "follow_request", "like": "favourite",
                      "favourite": "favourite", "announce": "reblog", "reblog": "reblog", "reply": "mention",
                      "mention": "mention"}
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif", "image/avif", "image/heic")


def timestamp(when: datetime) -> str:
    """``2026-01-01T12:00:00.000Z`` (Ice Cubes parses only that); naive times from the database are UTC."""
    aware = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return f"{aware:%Y-%m-%dT%H:%M:%S}.{aware.microsecond // 1000:03d}Z"


def day(when: datetime | date | None) -> str | None:
    """Mastodon gives ``last_status_at`` as a date only."""
    return None if when is None else f"{when:%Y-%m-%d}"


def _absolute(settings: Settings, url: str | None) -> str | None:
    if not url:
        return None
    return url if url.startswith(("https://", "http://")) else f"{settings.base_url}{url}"


def acct(account: Account) -> str:
    return account.username if account.domain is None else f"{account.username}@{account.domain}"


def field_pairs(account: Account) -> list[tuple[str, str]]:
    """The profile's (name, value) pairs as stored (a local artist's as she typed them); malformed items skipped."""
    found = []
    for item in account.fields or []:
        if isinstance(item, dict):
            name, value = item.get("name"), item.get("value")
        elif isinstance(item, (list, tuple)) and len(item) == 2:
            name, value = item
        else:
            continue
        if isinstance(name, str) and isinstance(value, str):
            found.append((name, value))
    return found


def _fields(account: Account) -> list[dict[str, Any]]:
    """The fields as apps show them: values are HTML (a local one's links made links, a remote one sanitised)."""
    return [{"name": name, "value": link_urls(value) if account.domain is None else str(remote_html(value)),
             "verified_at": None} for name, value in field_pairs(account)]


def _bio_html(acc: Account) -> str:
    """``note`` (like a field's ``value``) is HTML in every app: a local artist's plain-text bio as paragraphs (as in her actor document),
    another server's bio through the same sanitiser as our pages."""
    if acc.domain is None:
        return plain_to_html(acc.summary or "")
    return str(remote_html(acc.summary))


def account(settings: Settings, acc: Account, stats: AccountStats | None = None) -> dict[str, Any]:
    """The Account entity (counts as known here: pass them from services.listings.account_stats)."""
    stats = stats or AccountStats()
    avatar = _absolute(settings, acc.icon_url) or _absolute(settings, DEFAULT_AVATAR)
    header = _absolute(settings, acc.image_url) or _absolute(settings, DEFAULT_HEADER)
    profile = acc.url or acc.uri
    if acc.domain is None:
        profile = acc.url or f"{settings.base_url}/@{acc.username}"
    return {
        "id": str(acc.id), "username": acc.username, "acct": acct(acc), "display_name": acc.display_name or "",
        "locked": bool(acc.manually_approves_followers), "bot": acc.actor_type in BOT_TYPES,
        "group": acc.actor_type == "Group", "discoverable": bool(acc.discoverable), "indexable": bool(acc.indexable),
        "noindex": not acc.indexable if acc.domain is None else None, "hide_collections": False,
        "created_at": timestamp(datetime.combine(acc.created_at.date(), datetime.min.time())),
        "note": _bio_html(acc), "url": profile, "uri": acc.uri,
        "avatar": avatar, "avatar_static": avatar, "header": header, "header_static": header,
        "followers_count": stats.followers, "following_count": stats.following, "statuses_count": stats.statuses,
        "last_status_at": day(stats.last_status_at), "mute_expires_at": None,
        "emojis": [], "fields": _fields(acc), "roles": [],
    }


ATTACHMENT_BITS = 58  # status ids stay below 2**58 until 2109 (the millisecond field reaches 2**42 then)


def attachment_id(status_id: int, number: int) -> str:
    """A stable id for a status's ``number``-th image, unique among all statuses' and below 2**63 (apps that parse
    ids as signed 64-bit integers, as Ivory does): the position (1-31) in the bits a snowflake does not use yet."""
    return str(status_id ^ ((number % 31 + 1) << ATTACHMENT_BITS))


def _image(settings: Settings, status_id: int, number: int, image: Image) -> dict[str, Any]:
    url = _absolute(settings, image.full_path or image.path) or image.remote_url or ""
    preview = _absolute(settings, image.path) or image.remote_url
    width, height = image.width, image.height
    meta: dict[str, Any] = {"focus": {"x": 0.0, "y": 0.0}}
    if width and height:
        size = {"width": width, "height": height, "size": f"{width}x{height}", "aspect": width / height}
        meta.update(original=size, small=size)
    return {"id": attachment_id(status_id, number),
            "type": "image", "url": url, "preview_url": preview, "remote_url": image.remote_url,
            "preview_remote_url": None, "text_url": None, "meta": meta, "description": image.alt or None,
            "blurhash": image.blurhash}


def media_attachments_of(settings: Settings, item: TimelineItem) -> list[dict[str, Any]]:
    """A work's images (their alt text is the description, their focal point the focus); a remote note's
    images (services keep only images), from our cached copy when we hold one."""
    found = [_image(settings, item.status_id, n, image) for n, image in enumerate(item.images)]
    if item.work is not None:
        for entity, image in zip(found, item.work.images):
            entity["meta"]["focus"] = {"x": image.focal_x, "y": image.focal_y}
            entity["meta"]["original"] = {"width": image.width, "height": image.height,
                                          "size": f"{image.width}x{image.height}",
                                          "aspect": image.width / image.height if image.height else 1.0}
    return found


def _content(settings: Settings, item: TimelineItem) -> str:
    if item.work is not None:
        title = f"<p><strong>{escape(item.work.title)}</strong></p>" if item.work.title else ""
        return title + item.work.content_html
    post = item.note or item.local_note
    return post.content_html if post is not None else ""


def _post_fields(item: TimelineItem) -> tuple[str, str | None, str, bool, datetime | None]:
    """(uri, url, spoiler text, sensitive, edited at) of the post an item shows."""
    if item.work is not None:
        work = item.work
        page = f"{work.account.url}/{work.public_id}" if work.account.url else None  # the work page
        return work.uri, page, work.summary, work.sensitive or bool(work.summary), work.updated_at
    if item.note is not None:
        note = item.note
        return note.uri, note.url or note.uri, note.summary, note.sensitive or bool(note.summary), note.updated_at
    local = item.local_note
    assert local is not None
    return local.uri, None, local.summary, local.sensitive or bool(local.summary), local.updated_at


def _extra(settings: Settings, item: TimelineItem) -> dict[str, Any] | None:
    """The work's licence and consent (read-only; apps ignore unknown keys)."""
    if item.work is None:
        return None
    record = for_work(settings, item.work)
    return {"kind": "work", "title": item.work.title, "license_url": record.licence_url,
            "ai_generated": bool(item.work.ai_generated),
            "consent": {"ai_training": record.ai_training, "tdm_reserved": record.tdm_reserved,
                        "ai_input": record.ai_input, "search": record.search}}


def status(settings: Settings, item: TimelineItem, extras: Extras) -> dict[str, Any]:
    """The Status entity of a timeline item; a boost is its own status with the boosted one as ``reblog``."""
    shown = _shown(settings, item, extras)
    if item.booster is None:
        return shown
    booster = item.booster
    return {**shown, "id": str(item.entry_id), "uri": item.entry_uri or f"{shown['uri']}#boost-{item.entry_id}",
            "url": None, "account": account(settings, booster, extras.stats.get(booster.id)),
            "created_at": timestamp(item.boosted_at or item.published), "content": "", "spoiler_text": "",
            "sensitive": False, "media_attachments": [], "mentions": [], "tags": [], "emojis": [],
            "in_reply_to_id": None, "in_reply_to_account_id": None, "reblogs_count": 0, "favourites_count": 0,
            "replies_count": 0, "card": None, "poll": None, "edited_at": None, "language": None,
            "reblog": shown, "fediverse": None}


def _tag_names(item: TimelineItem, extras: Extras) -> list[str]:
    """The status's indexed tags; a local text note's own (notes are not in the tag index)."""
    indexed = [name for name, _display in extras.tags.get(item.status_id, [])]
    if indexed or item.local_note is None:
        return indexed
    names = (normalize_tag(str(raw)) for raw in item.local_note.tags or [])
    return list(dict.fromkeys(name for name in names if name))


def _shown(settings: Settings, item: TimelineItem, extras: Extras) -> dict[str, Any]:
    uri, url, spoiler, sensitive, edited = _post_fields(item)
    author = item.author
    reply = extras.replies_to.get(item.status_id)
    return {
        "id": str(item.status_id), "uri": uri, "url": url or f"{settings.base_url}/statuses/{item.status_id}",
        "created_at": timestamp(item.published), "edited_at": timestamp(edited) if edited else None,
        "account": account(settings, author, extras.stats.get(author.id)),
        "content": _content(settings, item), "visibility": item.visibility, "sensitive": sensitive,
        "spoiler_text": spoiler or "", "media_attachments": media_attachments_of(settings, item),
        "mentions": [{"id": str(a.id), "username": a.username, "acct": acct(a), "url": a.url or a.uri}
                     for a in extras.mentions.get(item.status_id, [])],
        "tags": [{"name": name, "url": f"{settings.base_url}/tags/{name}"} for name in _tag_names(item, extras)],
        "emojis": [], "reblogs_count": item.counts.boosts, "favourites_count": item.counts.likes,
        "replies_count": extras.replies.get(item.status_id, 0),
        "in_reply_to_id": str(reply[0]) if reply else None, "in_reply_to_account_id": str(reply[1]) if reply else None,
        "reblog": None, "poll": None, "card": None, "language": None, "application": None,
        "favourited": item.liked, "reblogged": item.boosted, "bookmarked": item.bookmarked, "muted": False,
        "pinned": bool(item.work is not None and item.work.pinned_at is not None),
        "filtered": [], "fediverse": _extra(settings, item),
    }


def context(settings: Settings, ancestors: list[TimelineItem], descendants: list[TimelineItem],
            extras: Extras) -> dict[str, Any]:
    return {"ancestors": [status(settings, i, extras) for i in ancestors],
            "descendants": [status(settings, i, extras) for i in descendants]}


def tag(settings: Settings, name: str, display: str | None = None) -> dict[str, Any]:
    return {"name": display or name, "url": f"{settings.base_url}/tags/{name}", "history": [], "following": False}


def application(name: str, website: str | None, *, vapid_key: str = "", redirect_uris: list[str] = (),  # type: ignore[assignment]
                scopes: list[str] = (), client_id: str = "") -> dict[str, Any]:  # type: ignore[assignment]
    """The Application entity (``id`` is the app's row id or its client id, as a string)."""
    return {"id": client_id or "0", "name": name, "website": website or None, "vapid_key": vapid_key,
            "redirect_uri": "\n".join(redirect_uris), "redirect_uris": list(redirect_uris), "scopes": list(scopes)}


def relationship(target_id: int, *, following: bool = False, followed_by: bool = False, requested: bool = False,
                 requested_by: bool = False, blocking: bool = False, muting: bool = False,
                 domain_blocking: bool = False, note: str = "") -> dict[str, Any]:
    """The Relationship entity, from the follows between the viewer and ``target_id`` (db/follows.py)."""
    return {"id": str(target_id), "following": following, "showing_reblogs": following, "notifying": False,
            "languages": None, "followed_by": followed_by, "blocking": blocking, "blocked_by": False,
            "muting": muting, "muting_notifications": muting, "requested": requested, "requested_by": requested_by,
            "domain_blocking": domain_blocking, "endorsed": False, "note": note}


def notification(settings: Settings, row: Notification, actor: dict[str, Any],
                 shown: dict[str, Any] | None) -> dict[str, Any]:
    """The Notification entity of a notifications row (kinds named as Mastodon names them)."""
    kind = NOTIFICATION_TYPES.get(row.kind, "mention")
    return {"id": str(row.id), "type": kind, "created_at": timestamp(row.created_at), "account": actor,
            "status": shown if kind != "follow" and kind != "follow_request" else None,
            "group_key": f"ungrouped-{row.id}"}


def _rules(settings: Settings) -> list[dict[str, str]]:
    lines = [line.strip() for line in settings.instance.rules.splitlines() if line.strip()]
    return [{"id": str(n), "text": line, "hint": ""} for n, line in enumerate(lines, 1)]


def _configuration(settings: Settings) -> dict[str, Any]:
    media = settings.media
    return {
        "accounts": {"max_featured_tags": 0, "max_pinned_statuses": 5},
        "statuses": {"max_characters": 5000, "max_media_attachments": media.images_per_work,
                     "characters_reserved_per_url": 23},
        "media_attachments": {"supported_mime_types": list(IMAGE_TYPES), "image_size_limit": media.max_upload_bytes,
                              "image_matrix_limit": media.max_pixels, "video_size_limit": 0,
                              "video_frame_rate_limit": 0, "video_matrix_limit": 0, "description_limit": 1500},
        "polls": {"max_options": 0, "max_characters_per_option": 0, "min_expiration": 0, "max_expiration": 0},
    }


def instance_v1(settings: Settings, contact: dict[str, Any], *, users: int, statuses: int, domains: int) -> dict[str, Any]:
    inst, mode = settings.instance, settings.registrations.mode
    streaming = settings.base_url.replace("http", "ws", 1)
    return {
        "uri": settings.instance.domain, "title": inst.name, "short_description": inst.description,
        "description": inst.description, "email": inst.contact_email, "version": VERSION,
        "urls": {"streaming_api": streaming}, "stats": {"user_count": users, "status_count": statuses,
                                                         "domain_count": domains},
        "thumbnail": inst.thumbnail_url or None, "languages": ["en"],
        "registrations": mode != "closed", "approval_required": mode in ("approval", "invite"),
        "invites_enabled": mode == "invite", "configuration": _configuration(settings),
        "contact_account": contact, "rules": _rules(settings),
    }


def instance_v2(settings: Settings, contact: dict[str, Any], *, active_month: int) -> dict[str, Any]:
    inst, mode = settings.instance, settings.registrations.mode
    thumbnail = _absolute(settings, inst.thumbnail_url) or _absolute(settings, DEFAULT_HEADER)
    return {
        "domain": settings.instance.domain, "title": inst.name, "version": VERSION,
        "source_url": "https://github.com/fediverse/fediverse", "description": inst.description,
        "usage": {"users": {"active_month": active_month}},
        "thumbnail": {"url": thumbnail, "blurhash": None, "versions": {}}, "icon": [],
        "languages": ["en"],
        "configuration": {**_configuration(settings), "urls": {"streaming": settings.base_url.replace("http", "ws", 1),
                                                              "status": None, "about": settings.base_url,
                                                              "privacy_policy": None, "terms_of_service": None},
                          "vapid": {"public_key": ""}, "translation": {"enabled": False}},
        "registrations": {"enabled": mode != "closed", "approval_required": mode in ("approval", "invite"),
                          "message": None, "url": None},
        "api_versions": {"mastodon": 0},
        "contact": {"email": inst.contact_email, "account": contact},
        "rules": _rules(settings),
    }


def report(row: Report, status_ids: list[str], target: dict[str, Any]) -> dict[str, Any]:
    """The Report entity a reporter gets back (rule ids: this instance's rules are text, not numbered rows).
    Mastodon sends ``rule_ids``; Mastodon.py's entity declares ``rules_ids``: both are sent, so either decodes."""
    return {"id": str(row.id), "action_taken": row.state != "open", "action_taken_at": None,
            "category": row.category, "comment": row.comment, "forwarded": row.forwarded,
            "created_at": timestamp(row.created_at), "status_ids": status_ids, "rule_ids": [], "rules_ids": [],
            "target_account": target}
