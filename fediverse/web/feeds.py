"""Atom and RSS 2.0 feeds of an artist's newest public works, built with ElementTree (escaping is its job).

Each entry: title, link, published/updated, an HTML summary with the display image and its alt text (no
image for works behind a content warning), the large image as enclosure and as Media RSS with its alt text.
Feed readers poll: the response carries an ETag of its bytes and answers If-None-Match with 304.
"""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from email.utils import format_datetime
from typing import Any

from markupsafe import escape
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fediverse.activitypub.render import iso
from fediverse.db import works as work_db
from fediverse.models import Account, Work
from fediverse.runtime import Runtime
from fediverse.web import cache
from fediverse.web.media import public_path
from fediverse.web.pages import ImageView, account_or_404, acct, display_name, image_view, licence_name, plain

FEED_SIZE = 20
ATOM = "http://www.w3.org/2005/Atom"
MEDIA = "http://search.yahoo.com/mrss/"
# Tags are written with literal prefixes and the xmlns attributes set on the root (no global
# ET.register_namespace, and the Atom feed keeps Atom as its default namespace, as readers expect).
# XML 1.0 forbids most control characters even escaped; an artist's text could carry one.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _x(text: str) -> str:
    return _NOT_XML.sub("", text)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k.rstrip("_"): _x(v) for k, v in attrs.items()})
    if text is not None:
        element.text = _x(text)
    return element


def entry_html(work: Work, images: list[ImageView], page_url: str) -> str:
    """The entry body as HTML: warning, images with alt text, description, licence."""
    parts: list[str] = []
    warning = (work.summary or "Sensitive content") if work.sensitive or work.summary else None
    if warning:
        parts.append(f'<p><strong>Content warning: {escape(warning)}</strong>. '
                     f'<a href="{escape(page_url)}">See the work</a>.</p>')
    else:
        for view in images:
            parts.append(f'<p><a href="{escape(page_url)}"><img src="{escape(view.display_url)}" '
                         f'width="{view.display_width}" height="{view.display_height}" alt="{escape(view.alt)}"></a></p>')
            if view.alt:
                parts.append(f"<p><em>Image description:</em> {escape(view.alt)}</p>")
    parts.append(work.content_html)  # sanitised when the work was posted
    if work.ai_generated:
        parts.append("<p>AI-generated (marked by the artist).</p>")
    if work.license_url:
        parts.append(f'<p>Licence: <a href="{escape(work.license_url)}">{escape(licence_name(work.license_url))}</a></p>')
    return "".join(parts)


def _media(parent: ET.Element, view: ImageView, sensitive: bool) -> None:
    content = _sub(parent, "media:content", url=view.large_url, type=view.large_mime, medium="image",
                   width=str(view.large_width), height=str(view.large_height))
    if view.alt:
        _sub(content, "media:description", view.alt, type="plain")
    if sensitive:
        _sub(content, "media:rating", "adult", scheme="urn:simple")
    _sub(content, "media:thumbnail", url=view.thumbnail_url, width=str(view.thumbnail_width),
         height=str(view.thumbnail_height))


def _updated(works: list[Work], account: Account) -> datetime:
    stamps = [w.updated_at or w.published_at for w in works]
    return max(stamps) if stamps else account.created_at


def build_atom(rt: Runtime, account: Account, works: list[Work]) -> bytes:
    profile_url = rt.uris.profile(account.username)
    name = display_name(account)
    feed = ET.Element("feed", {"xmlns": ATOM, "xmlns:media": MEDIA})
    _sub(feed, "id", profile_url)
    _sub(feed, "title", f"{name} ({acct(account, rt.settings.instance.domain)})")
    if account.summary:
        _sub(feed, "subtitle", plain(account.summary, 500))
    _sub(feed, "updated", iso(_updated(works, account)))
    _sub(feed, "link", rel="alternate", type="text/html", href=profile_url)
    _sub(feed, "link", rel="self", type="application/atom+xml", href=f"{profile_url}/feed.atom")
    author = _sub(feed, "author")
    _sub(author, "name", name)
    _sub(author, "uri", profile_url)
    if account.icon_url:
        _sub(feed, "icon", account.icon_url)
    _sub(feed, "generator", rt.settings.instance.name)
    for work in works:
        page_url = rt.uris.work_page(account.username, work.public_id)
        images = [image_view(rt, image) for image in work.images]
        entry = _sub(feed, "entry")
        _sub(entry, "id", work.uri)
        _sub(entry, "title", work.title or "Untitled", type="text")
        _sub(entry, "link", rel="alternate", type="text/html", href=page_url)
        for view in images:
            _sub(entry, "link", rel="enclosure", type=view.large_mime, href=view.large_url)
        _sub(entry, "published", iso(work.published_at))
        _sub(entry, "updated", iso(work.updated_at or work.published_at))
        if work.license_url:
            _sub(entry, "rights", work.license_url)
        for tag in work.tags:
            _sub(entry, "category", term=tag)
        _sub(entry, "summary", entry_html(work, images, page_url), type="html")
        sensitive = bool(work.sensitive or work.summary)
        for view in images:
            _media(entry, view, sensitive)
    return _serialise(feed)


def build_rss(rt: Runtime, account: Account, works: list[Work]) -> bytes:
    profile_url = rt.uris.profile(account.username)
    name = display_name(account)
    rss = ET.Element("rss", {"version": "2.0", "xmlns:atom": ATOM, "xmlns:media": MEDIA})
    channel = _sub(rss, "channel")
    _sub(channel, "title", f"{name} ({acct(account, rt.settings.instance.domain)})")
    _sub(channel, "link", profile_url)
    _sub(channel, "description", plain(account.summary, 500) or f"New works by {name}")
    _sub(channel, "atom:link", rel="self", type="application/rss+xml", href=f"{profile_url}/feed.rss")
    _sub(channel, "lastBuildDate", format_datetime(_updated(works, account)))
    _sub(channel, "generator", rt.settings.instance.name)
    if account.icon_url:
        image = _sub(channel, "image")
        _sub(image, "url", account.icon_url)
        _sub(image, "title", f"{name} ({acct(account, rt.settings.instance.domain)})")
        _sub(image, "link", profile_url)
    for work in works:
        page_url = rt.uris.work_page(account.username, work.public_id)
        images = [image_view(rt, image) for image in work.images]
        item = _sub(channel, "item")
        _sub(item, "title", work.title or "Untitled")
        _sub(item, "link", page_url)
        _sub(item, "guid", page_url, isPermaLink="true")
        _sub(item, "pubDate", format_datetime(work.published_at))
        for tag in work.tags:
            _sub(item, "category", tag)
        _sub(item, "description", entry_html(work, images, page_url))
        if images:  # RSS allows one enclosure per item: the first image, large
            _sub(item, "enclosure", url=images[0].large_url, type=images[0].large_mime,
                 length=str(_size(rt, work.images[0].large_key)))
        sensitive = bool(work.sensitive or work.summary)
        for view in images:
            _media(item, view, sensitive)
    return _serialise(rss)


def _serialise(root: ET.Element) -> bytes:
    body = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body).encode()


def _size(rt: Runtime, key: str) -> int:
    """Byte length for <enclosure length>; 0 (allowed by practice) when the file is not there."""
    path = public_path(rt, key)
    try:
        return path.stat().st_size if path is not None else 0
    except OSError:
        return 0


async def _feed(request: Request, build: Any, media_type: str) -> Response:
    found = await account_or_404(request)
    if isinstance(found, Response):
        return found
    rt: Runtime = request.app.state.runtime
    async with rt.sessions() as session:
        works = await work_db.newest(session, found.id, limit=FEED_SIZE, offset=0, public_only=True)
    body = build(rt, found, works)
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"}
    if etag in [tag.strip().removeprefix("W/") for tag in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    cache.tag(request, f"account:{found.id}")
    return Response(body, media_type=media_type, headers=headers)


async def atom(request: Request) -> Response:
    return await _feed(request, build_atom, "application/atom+xml; charset=utf-8")


async def rss(request: Request) -> Response:
    return await _feed(request, build_rss, "application/rss+xml; charset=utf-8")


routes = [
    Route("/@{username}/feed.atom", atom),
    Route("/@{username}/feed.rss", rss),
]

