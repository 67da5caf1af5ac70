"""Atom and RSS 2.0 feeds of an artist's newest public works, built with ElementTree (escaping is its job).

Each entry: title, link, published/updated, an HTML summary with the display image and its alt text (no
image for works behind a content warning), the large image as enclosure and as Media RSS with its alt text.
Feed readers poll: the response carries an ETag of its bytes and answers If-None-Match with 304.

Consent: a feed is for people, so it is served whatever the artist chose about AI training (the artist's own
followers read it); it carries the signals instead. The response gets the consent headers from
web/consent.py (the strictest of the artist's record and its entries' records; AI crawlers are refused where
the artist refuses them), and the XML says it too: feed-level `<rights>` / RSS `<copyright>` with the licence
and the AI-training terms, RFC 4946 `<link rel="license">`, and per entry the work's licence (`<rights>`,
`<link rel="license">`, Media RSS `media:license` / `media:copyright`), the licence line in the HTML, and the
machine-readable values (`consent:contentUsage`, `consent:xRobotsTag`, `consent:tdmReservation`,
`consent:tdmPolicy` in our JSON-LD namespace). No instance-wide feed, firehose or export exists; the only bulk
path out is ordinary federation to followers.
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
from fediverse.consent import CONSENT_NS, ConsentRecord
from fediverse.consent.licence import TRAINING_PHRASES, rights_url, licence_name as cc_name
from fediverse.db import works as work_db
from fediverse.models import Account, Work
from fediverse.runtime import Runtime
from fediverse.services.consent import for_account, for_work, policy_url
from fediverse.web import cache
from fediverse.web.context import runtime_of
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


def rights_text(record: ConsentRecord, holder: str, year: int | None = None) -> str:
    """One human-readable rights statement: © holder, the licence (or all rights reserved), the AI terms."""
    notice = f"© {year} {holder}" if year else f"© {holder}"
    if record.licence_url:
        licence = f"Licence: {cc_name(record.licence_url) or record.licence_url} ({record.licence_url})."
    else:
        licence = "All rights reserved."
    credit = f" Credit: {record.attribution}." if record.attribution else ""
    return f"{notice}. {licence}{credit} {record.constraints_text()}"


def _consent_elements(parent: ET.Element, record: ConsentRecord, policy: str) -> None:
    """The machine-readable values, as in the JSON-LD documents (our namespace; unknown elements are ignored)."""
    if record.robots_directives:
        _sub(parent, "consent:xRobotsTag", ", ".join(record.robots_directives))
    _sub(parent, "consent:contentUsage", record.content_usage)
    _sub(parent, "consent:tdmReservation", str(record.tdm_reservation))
    if record.tdm_reservation:
        _sub(parent, "consent:tdmPolicy", policy)


def _licence_media(parent: ET.Element, record: ConsentRecord, rights: str) -> None:
    rights_iri = rights_url(record)
    _sub(parent, "media:license", cc_name(rights_iri) or "Licence", type="text/html", href=rights_iri)
    _sub(parent, "media:copyright", rights)


def entry_html(work: Work, images: list[ImageView], page_url: str, record: ConsentRecord | None = None) -> str:
    """The entry body as HTML: warning, images with alt text, description, licence and the AI-training terms."""
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
    rights_iri = rights_url(record) if record is not None else work.license_url
    terms = f" · {TRAINING_PHRASES[record.ai_training]}" if record is not None else ""
    if rights_iri:
        parts.append(f'<p>Licence: <a href="{escape(rights_iri)}" rel="license">{escape(licence_name(rights_iri))}</a>'
                     f'{escape(terms)}</p>')
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
    artist = for_account(rt.settings, account)
    policy = policy_url(rt.uris, account)
    feed = ET.Element("feed", {"xmlns": ATOM, "xmlns:media": MEDIA, "xmlns:consent": CONSENT_NS})
    _sub(feed, "id", profile_url)
    _sub(feed, "title", f"{name} ({acct(account, rt.settings.instance.domain)})")
    if account.summary:
        _sub(feed, "subtitle", plain(account.summary, 500))
    _sub(feed, "updated", iso(_updated(works, account)))
    _sub(feed, "link", rel="alternate", type="text/html", href=profile_url)
    _sub(feed, "link", rel="self", type="application/atom+xml", href=f"{profile_url}/feed.atom")
    _sub(feed, "link", rel="license", type="text/html", href=rights_url(artist))  # RFC 4946
    _sub(feed, "rights", rights_text(artist, name), type="text")
    _consent_elements(feed, artist, policy)
    author = _sub(feed, "author")
    _sub(author, "name", name)
    _sub(author, "uri", profile_url)
    if account.icon_url:
        _sub(feed, "icon", account.icon_url)
    _sub(feed, "generator", rt.settings.instance.name)
    for work in works:
        page_url = rt.uris.work_page(account.username, work.public_id)
        images = [image_view(rt, image) for image in work.images]
        record = for_work(rt.settings, work)
        rights = rights_text(record, name, work.published_at.year)
        entry = _sub(feed, "entry")
        _sub(entry, "id", work.uri)
        _sub(entry, "title", work.title or "Untitled", type="text")
        _sub(entry, "link", rel="alternate", type="text/html", href=page_url)
        for view in images:
            _sub(entry, "link", rel="enclosure", type=view.large_mime, href=view.large_url)
        _sub(entry, "link", rel="license", type="text/html", href=rights_url(record))  # RFC 4946
        _sub(entry, "published", iso(work.published_at))
        _sub(entry, "updated", iso(work.updated_at or work.published_at))
        # <rights>: the licence URL when there is one (what readers link), else the statement; the AI terms are
        # in media:copyright, the summary's licence line and the consent: elements.
        _sub(entry, "rights", record.licence_url or rights)
        for tag in work.tags:
            _sub(entry, "category", term=tag)
        _sub(entry, "summary", entry_html(work, images, page_url, record), type="html")
        sensitive = bool(work.sensitive or work.summary)
        for view in images:
            _media(entry, view, sensitive)
        _licence_media(entry, record, rights)
        _consent_elements(entry, record, policy)
    return _serialise(feed)


def build_rss(rt: Runtime, account: Account, works: list[Work]) -> bytes:
    profile_url = rt.uris.profile(account.username)
    name = display_name(account)
    artist = for_account(rt.settings, account)
    policy = policy_url(rt.uris, account)
    rss = ET.Element("rss", {"version": "2.0", "xmlns:atom": ATOM, "xmlns:media": MEDIA, "xmlns:consent": CONSENT_NS})
    channel = _sub(rss, "channel")
    _sub(channel, "title", f"{name} ({acct(account, rt.settings.instance.domain)})")
    _sub(channel, "link", profile_url)
    _sub(channel, "description", plain(account.summary, 500) or f"New works by {name}")
    _sub(channel, "copyright", rights_text(artist, name))
    _sub(channel, "atom:link", rel="self", type="application/rss+xml", href=f"{profile_url}/feed.rss")
    _sub(channel, "atom:link", rel="license", type="text/html", href=rights_url(artist))
    _consent_elements(channel, artist, policy)
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
        record = for_work(rt.settings, work)
        item = _sub(channel, "item")
        _sub(item, "title", work.title or "Untitled")
        _sub(item, "link", page_url)
        _sub(item, "guid", page_url, isPermaLink="true")
        _sub(item, "pubDate", format_datetime(work.published_at))
        for tag in work.tags:
            _sub(item, "category", tag)
        _sub(item, "description", entry_html(work, images, page_url, record))
        if images:  # RSS allows one enclosure per item: the first image, large
            _sub(item, "enclosure", url=images[0].large_url, type=images[0].large_mime,
                 length=str(_size(rt, work.images[0].large_key)))
        sensitive = bool(work.sensitive or work.summary)
        for view in images:
            _media(item, view, sensitive)
        _sub(item, "atom:link", rel="license", type="text/html", href=rights_url(record))
        _licence_media(item, record, rights_text(record, name, work.published_at.year))
        _consent_elements(item, record, policy)
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
    rt = runtime_of(request)
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

