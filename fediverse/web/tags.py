"""`/tags/{tag}`: the public posts carrying a hashtag (local works and text notes, stored remote posts), newest first,
paged by ``max_id``; the same URL answers AS2 clients with the tag's collection, and `/tags/{tag}.atom` is
its Atom feed. The listing itself (what is shown to whom) is services/tags.py."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fediverse.activitypub.render import iso
from fediverse.activitypub.render_tags import render_tag_collection, render_tag_page
from fediverse.errors import Invalid, NotFound
from fediverse.models import LocalNote, RemoteNote
from fediverse.runtime import Runtime
from fediverse.services import tags as tag_service
from fediverse.services.consent import for_work
from fediverse.web.context import runtime_of
from fediverse.web.feeds import ATOM, entry_html
from fediverse.web.pages import Tile, acct, display_name, image_view, page_error, plain, tile
from fediverse.web.panel.auth import viewer
from fediverse.web.remote_html import remote_html
from fediverse.web.responses import activity_json, wants_activitypub
from fediverse.web.templating import render_page


@dataclass(frozen=True)
class PostView:
    """A text post on the tag page (a local note or a remote post): its author (a local one with a link to her
    portfolio), text (sanitised again) and a link to it (a local note's thread page, a remote post where it lives)."""

    author: str
    handle: str
    url: str
    published: str
    warning: str | None
    html: Markup
    author_url: str | None = None
    local: bool = False


def _tag_url(rt: Runtime, name: str) -> str:
    return rt.uris.tag(quote(name, safe=""))


async def _load(request: Request) -> tag_service.TagPage | Response:
    rt = runtime_of(request)
    try:
        max_id = tag_service.max_id_of(request.query_params.get("max_id"))
        async with rt.sessions() as session:
            user = await viewer(request, session)
            return await tag_service.tag_page(session, request.path_params["tag"],
                                              user.account if user is not None else None, max_id=max_id)
    except NotFound:
        return page_error(request, 404, "No such tag", "Tags are made of letters, digits and underscores.")
    except Invalid as exc:
        return page_error(request, 400, "Bad page", str(exc))


def _views(rt: Runtime, page: tag_service.TagPage) -> list[Tile | PostView]:
    domain = rt.settings.instance.domain
    views: list[Tile | PostView] = []
    for entry in page.entries:
        if entry.work is not None:
            views.append(tile(rt, entry.work))
        elif entry.local_note is not None:
            local = entry.local_note
            views.append(_post_view(local, acct(local.account, domain), rt.uris.status_page(entry.status_id),
                                    author_url=rt.uris.profile(local.account.username), local=True))
        elif entry.note is not None:
            note = entry.note
            views.append(_post_view(note, acct(note.account, domain), note.url or note.uri))
    return views


def _post_view(note: LocalNote | RemoteNote, handle: str, url: str, *, author_url: str | None = None,
               local: bool = False) -> PostView:
    return PostView(author=display_name(note.account), handle=handle, url=url, published=iso(note.published_at),
                    warning=(note.summary or "Sensitive content") if note.sensitive or note.summary else None,
                    html=remote_html(note.content_html), author_url=author_url, local=local)


async def tag_page(request: Request) -> Response:
    """The tag page as HTML, or as the AS2 collection (page) for ActivityStreams clients."""
    page = await _load(request)
    if isinstance(page, Response):
        return page
    rt = runtime_of(request)
    url = _tag_url(rt, page.name)
    next_url = f"{url}?max_id={page.next_max_id}" if page.next_max_id is not None else None
    if wants_activitypub(request):
        max_id = request.query_params.get("max_id")
        page_id = f"{url}?max_id={max_id}" if max_id else f"{url}?page=true"
        doc = render_tag_page(page_id, url, [e.uri for e in page.entries], next_page=next_url)
        return activity_json(doc if max_id else render_tag_collection(url, page.name, doc))
    views = _views(rt, page)
    response = render_page(
        request, "tag.html", tag_name=page.name, display=page.display_name, url=url,
        tiles=[v for v in views if isinstance(v, Tile)],
        notes=[v for v in views if isinstance(v, PostView) and v.local],
        posts=[v for v in views if isinstance(v, PostView) and not v.local],
        next_url=next_url, first_url=url if request.query_params.get("max_id") else None,
        atom_url=f"{url}.atom", link=f'<{url}>; rel="alternate"; type="application/activity+json"')
    response.headers["Cache-Control"] = "no-cache"
    return response


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: _xml_safe(v) for k, v in attrs.items()})
    if text is not None:
        element.text = _xml_safe(plain(text, 1000) if tag == "title" else text)
    return element


def build_tag_atom(rt: Runtime, page: tag_service.TagPage, url: str) -> bytes:
    """The newest public posts of the tag as Atom: works with their images and alt text, remote posts' text."""
    feed = ET.Element("feed", {"xmlns": ATOM})
    _sub(feed, "id", url)
    _sub(feed, "title", f"#{page.display_name} · {rt.settings.instance.name}")
    stamps = [e.work.updated_at or e.work.published_at if e.work else _text_post(e).published_at
              for e in page.entries]
    _sub(feed, "updated", iso(max(stamps)) if stamps else "1970-01-01T00:00:00Z")
    _sub(feed, "link", rel="alternate", type="text/html", href=url)
    _sub(feed, "link", rel="self", type="application/atom+xml", href=f"{url}.atom")
    _sub(feed, "generator", rt.settings.instance.name)
    for entry in page.entries:
        item = _sub(feed, "entry")
        _sub(item, "id", entry.uri)
        if entry.work is not None:
            work = entry.work
            page_url = rt.uris.work_page(work.account.username, work.public_id)
            _sub(item, "title", work.title or "Untitled", type="text")
            _sub(item, "link", rel="alternate", type="text/html", href=page_url)
            _sub(item, "published", iso(work.published_at))
            _sub(item, "updated", iso(work.updated_at or work.published_at))
            author = _sub(item, "author")
            _sub(author, "name", display_name(work.account))
            _sub(author, "uri", rt.uris.profile(work.account.username))
            html = entry_html(work, [image_view(rt, i) for i in work.images], page_url, for_work(rt.settings, work))
        else:
            note = _text_post(entry)
            local = entry.local_note is not None
            _sub(item, "title", f"{display_name(note.account)} ({acct(note.account, rt.settings.instance.domain)})",
                 type="text")
            _sub(item, "link", rel="alternate", type="text/html",
                 href=rt.uris.status_page(entry.status_id) if local else note.url or note.uri)  # type: ignore[union-attr]
            _sub(item, "published", iso(note.published_at))
            _sub(item, "updated", iso(note.updated_at or note.published_at))
            author = _sub(item, "author")
            _sub(author, "name", display_name(note.account))
            _sub(author, "uri", rt.uris.profile(note.account.username) if local
                 else note.account.url or note.account.uri)
            html = str(remote_html(note.content_html))
            if note.summary or note.sensitive:
                html = f"<p><strong>Content warning: {Markup.escape(note.summary or 'Sensitive')}</strong></p>"
        _sub(item, "category", term=page.name)
        _sub(item, "summary", html, type="html")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode")).encode()


def _text_post(entry: tag_service.Entry) -> LocalNote | RemoteNote:
    """The note of an entry that is no work."""
    note = entry.local_note or entry.note
    assert note is not None
    return note


def _xml_safe(text: str) -> str:
    return "".join(c for c in text if c in "\t\n\r" or (" " <= c <= "\ud7ff") or ("\ue000" <= c <= "\ufffd")
                   or c > "\uffff")


async def tag_atom(request: Request) -> Response:
    page = await _load(request)
    if isinstance(page, Response):
        return page
    rt = runtime_of(request)
    body = build_tag_atom(rt, page, _tag_url(rt, page.name))
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    headers: dict[str, Any] = {"ETag": etag, "Cache-Control": "public, max-age=300"}
    if etag in [t.strip().removeprefix("W/") for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/atom+xml; charset=utf-8", headers=headers)


routes = [
    Route("/tags/{tag}.atom", tag_atom),
    Route("/tags/{tag}", tag_page),
]
