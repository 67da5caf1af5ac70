"""Portfolio pages: an artist's grid, one work, one collection. Server-rendered HTML; read-only.

The same URLs answer ActivityStreams clients: `/@name` and `/users/name` serve the actor (federation.py),
`/@name/<id>` serves the work's Note through `federation.work_object`, with its visibility and signature
rules, so a signed fetch of the page URL works like a fetch of the Note's id.

Views only read (db query functions); every string reaches the page through Jinja's autoescape; the
only HTML that is inserted as is: the work's `content_html` (made and sanitised by services.text when it was
posted) and remote replies' `content_html` (sanitised when stored, and passed through the sanitiser again).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fediverse.activitypub.render import iso
from fediverse.activitypub.parse_note import media_attachments
from fediverse.db import accounts as account_db
from fediverse.db import domain_policy
from fediverse.db import remote_media as remote_media_db
from fediverse.db import statuses as status_db
from fediverse.db import works as work_db
from fediverse.db.works import (
    collection_by_slug, collection_count, collection_works, collections_of, profile_counts, showcase,
)
from fediverse.consent.licence import TRAINING_PHRASES, is_in_copyright, rights_url
from fediverse.consent.licence import licence_name as cc_licence_name
from fediverse.federation.actors import remote_record, stored_note_signals
from fediverse.models import Account, LocalNote, RemoteNote, Work, WorkImage
from fediverse.runtime import Runtime
from fediverse.services import remote_media, threads
from fediverse.services.consent import for_account, for_work, instance_record
from fediverse.services.text import link_urls, plain_to_html
from fediverse.web import cache, federation
from fediverse.web.context import runtime_of
from fediverse.web.gallery import placeholder_css, scaled, srcset, tile_ratio, tile_sizes
from fediverse.web.panel.auth import viewer
from fediverse.web.remote_html import remote_html
from fediverse.web.responses import wants_activitypub
from fediverse.web.security_headers import OWN_SCRIPTS_CSP
from fediverse.web.templating import render_page

GRID_PAGE_SIZE = 24  # divides into rows of 2, 3, 4 and 6
MAX_PAGE = 10_000
DESCRIPTION_CHARS = 200
AP_LINK = 'rel="alternate"; type="application/activity+json"'


# --- view models ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ImageView:
    alt: str
    large_url: str
    large_mime: str
    large_width: int
    large_height: int
    display_url: str
    display_width: int
    display_height: int
    thumbnail_url: str
    thumbnail_width: int
    thumbnail_height: int
    object_position: str  # CSS object-position from the focal point (crops in the grid keep the subject)
    focal: tuple[float, float]  # (0, 0) unless the artist chose one

    @property
    def srcset(self) -> str:
        """The three renditions by width, so a phone fetches the thumbnail and a 4K screen the large file."""
        return srcset([(self.thumbnail_url, self.thumbnail_width), (self.display_url, self.display_width),
                       (self.large_url, self.large_width)])

    @property
    def viewing_sizes(self) -> str:
        """The work page shows an image whole, at most 90vh tall (base.html): a portrait one is narrow."""
        ratio = self.large_width / max(self.large_height, 1)
        return f"min(100vw - 2rem, 70rem, {ratio * 90:.1f}vh)"

    @property
    def viewing_srcset(self) -> str:
        """For the work page, where the image is shown whole and large: display and large renditions."""
        return srcset([(self.display_url, self.display_width), (self.large_url, self.large_width)])


def image_view(rt: Runtime, image: WorkImage) -> ImageView:
    media = rt.settings.media
    dw, dh = scaled(image.large_width, image.large_height, media.display_size)
    tw, th = scaled(dw, dh, media.thumbnail_size)
    x = (max(-1.0, min(1.0, image.focal_x)) + 1) / 2 * 100
    y = (1 - max(-1.0, min(1.0, image.focal_y))) / 2 * 100
    return ImageView(
        alt=image.alt_text, large_url=rt.uris.media(image.large_key), large_mime=image.large_mime,
        large_width=image.large_width, large_height=image.large_height,
        display_url=rt.uris.media(image.display_key), display_width=dw, display_height=dh,
        thumbnail_url=rt.uris.media(image.thumbnail_key), thumbnail_width=tw, thumbnail_height=th,
        object_position=f"{x:.0f}% {y:.0f}%", focal=(image.focal_x, image.focal_y),
    )


@dataclass(frozen=True)
class Tile:
    """One work in a grid."""

    url: str
    title: str
    cover: ImageView | None
    count: int
    warning: str | None  # content warning text when the work is sensitive: the tile shows no image
    pinned: bool
    ratio: float = 1.0  # the tile's width / height in the justified grid (gallery.tile_ratio)
    placeholder: str = ""  # CSS painting the cover's BlurHash until the thumbnail arrives

    @property
    def cropped(self) -> bool:
        """The artist chose a focal point: a square crop around it (object-position), not the whole image."""
        return self.cover is not None and self.cover.focal != (0.0, 0.0)

    @property
    def sizes(self) -> str:
        return tile_sizes(self.ratio)


def tile(rt: Runtime, work: Work) -> Tile:
    cover = image_view(rt, work.images[0]) if work.images else None
    warning = (work.summary or "Sensitive") if work.sensitive or work.summary else None
    shown = cover is not None and warning is None  # behind a content warning not even the colours show
    return Tile(url=rt.uris.work_page(work.account.username, work.public_id), title=work.title, cover=cover,
                count=len(work.images), warning=warning, pinned=work.pinned_at is not None,
                ratio=tile_ratio(cover.large_width, cover.large_height, cover.focal) if shown and cover else 1.0,
                placeholder=placeholder_css(work.images[0].blurhash) if shown and work.images[0].blurhash else "")


def licence_name(url: str | None) -> str | None:
    """`CC BY-NC-ND 4.0` for Creative Commons URLs, "All rights reserved" for In Copyright, the URL otherwise."""
    return (cc_licence_name(url) or url) if url else None


def plain(text: str, limit: int = DESCRIPTION_CHARS) -> str:
    """One line of plain text for meta descriptions."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def json_ld(doc: Any) -> Markup:
    """JSON for a <script> element: `<`, `>` and `&` escaped so no string can close the element."""
    text = orjson.dumps(doc).decode()
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def display_name(account: Account) -> str:
    return account.display_name or account.username


def acct(account: Account, domain: str) -> str:
    return f"@{account.username}@{account.domain or domain}"


def profile_fields(account: Account) -> list[tuple[str, Markup]]:
    """(name, value HTML) per profile field: escaped text, URLs as rel=me links (as in the actor document)."""
    return [(str(entry.get("name", "")), Markup(link_urls(str(entry.get("value", ""))))) for entry in account.fields or []]


def _page_number(request: Request) -> int | Response:
    """The grid page asked for (``?page=``, from 1), or the 400 page that says how pages are numbered."""
    raw = request.query_params.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        return page_error(request, 400, "Bad page number", "Pages are numbered from 1.")
    return int(raw)


def _beyond_last(page: int, total: int) -> bool:
    return page > 1 and (page - 1) * GRID_PAGE_SIZE >= total


def _grid_links(url: str, page: int, total: int) -> dict[str, Any]:
    """The grid's page count and links (canonical, previous, next) for a template."""
    pages = max(1, math.ceil(total / GRID_PAGE_SIZE))
    return {"page": page, "pages": pages, "canonical": url + (f"?page={page}" if page > 1 else ""),
            "prev_url": (url + (f"?page={page - 1}" if page > 2 else "")) if page > 1 else None,
            "next_url": f"{url}?page={page + 1}" if page < pages else None}


def page_error(request: Request, status: int, heading: str, detail: str = "") -> Response:
    response = render_page(request, "base.html", status=status, error_heading=heading, error_detail=detail)
    response.headers["Cache-Control"] = "no-cache"  # a followers-only work may turn public: ask again
    return response


def _cached(request: Request, response: Response, *tags: str) -> Response:
    """Public page: browsers revalidate (an artist sees an edit at once); the response cache keeps the bytes
    until a row behind one of `tags` changes (web/cache.py)."""
    response.headers["Cache-Control"] = "public, max-age=0"
    cache.tag(request, *tags)
    return response


# --- the pages ------------------------------------------------------------------------------------------

async def portfolio(request: Request, account: Account) -> Response:
    """`/@name` and `/users/name` as HTML: bio, fields, counts and the grid of public works."""
    rt = runtime_of(request)
    page = _page_number(request)
    if isinstance(page, Response):
        return page
    async with rt.sessions() as session:
        total, followers, following, n_collections = await profile_counts(session, account.id)
        if _beyond_last(page, total):
            return page_error(request, 404, "No such page", f"{display_name(account)} has {total} public works.")
        offset = (page - 1) * GRID_PAGE_SIZE
        works = await showcase(session, account.id, limit=GRID_PAGE_SIZE, offset=offset) if total else []
        collections = await collections_of(session, account.id) if page == 1 and n_collections else []
    profile_url = rt.uris.profile(account.username)
    tiles = [tile(rt, work) for work in works]
    og_image: ImageView | None = None
    if not account.icon_url:
        og_image = next((t.cover for t in tiles if t.cover is not None and t.warning is None), None)
    feed_base = f"{profile_url}/feed"
    response = render_page(
        request, "portfolio.html",
        account=account, artist_name=display_name(account), handle=acct(account, rt.settings.instance.domain),
        summary_html=Markup(plain_to_html(account.summary)), bio_text=plain(account.summary),
        fields=profile_fields(account), followers=followers, following=following, total=total,
        tiles=tiles, profile_url=profile_url, **_grid_links(profile_url, page, total),
        collections=[(c.title, rt.uris.collection_page(account.username, c.slug)) for c in collections],
        og_image=og_image, atom_url=f"{feed_base}.atom", rss_url=f"{feed_base}.rss",
        link=f'<{account.uri}>; {AP_LINK}',
    )
    return _cached(request, response, f"account:{account.id}")


async def account_or_404(request: Request) -> Account | Response:
    async with runtime_of(request).sessions() as session:
        account = await account_db.local_by_username(session, request.path_params["username"])
    if account is None or account.actor_type == "Application":
        return page_error(request, 404, "No such artist")
    if account.suspended_at is not None:
        return page_error(request, 410, "This account is suspended")
    return account


async def work_page(request: Request) -> Response:
    """`/@name/<id>`: the work with every image and its description; AS2 clients get the Note."""
    if wants_activitypub(request):
        return await federation.work_object(request)
    rt = runtime_of(request)
    username = request.path_params["username"].lower()
    async with rt.sessions() as session:
        user = await viewer(request, session)
        me = user.account if user is not None else None  # followers-only and direct replies it was sent
        work = await work_db.by_public_id(session, request.path_params["public_id"])
        if work is None or work.account.username != username:
            return page_error(request, 404, "No such work")
        if work.account.suspended_at is not None:
            return page_error(request, 410, "This account is suspended")
        if work.deleted_at is not None:
            response = page_error(request, 410, "This work was deleted",
                                  f"{display_name(work.account)} removed it.")
            response.headers["Link"] = f'<{work.uri}>; {AP_LINK}'
            return response
        if work.visibility == "followers":
            return page_error(request, 404, "No such work")  # nobody signs in to see followers-only work here yet
        counts = await work_db.reaction_counts(session, work.id, me)
        replies = await visible_notes(session, await work_db.replies(session, work.id, me))
        local_replies = [post.local_note for post in await threads.replies(session, work.uri, me)
                         if post.local_note is not None]  # our artists' text replies
        counts["reply"] += len(local_replies)
        status = await status_db.for_work_id(session, work.id)  # its thread page holds the reply form
        rules = await domain_policy.hidden_hosts(session)
        wanted = [ref.url for note in replies for ref in media_attachments(note.raw)]
        wanted += [note.account.icon_url for note in replies if note.account.icon_url]
        wanted = [url for url in wanted if not domain_policy.rejects_media(rules, urlsplit(url).hostname or "")]
        cached = await remote_media_db.cached_by_urls(session, wanted)
    local = {row.url: url for row in cached if (url := remote_media.local_url(rt.uris, row))}
    response = render_work(request, rt, work, counts, replies, local, local_replies,
                           reply_url=f"{rt.uris.status_page(status.id)}#reply" if status is not None else None)
    if me is not None:  # may hold what was addressed to this artist alone: for them, not for any cache
        response.headers["Cache-Control"] = "private, no-cache"
        return response
    return _cached(request, response, f"work:{work.id}", f"account:{work.account_id}", "remote-media",
                   f"replies:{work.uri}")


async def visible_notes(session: Any, notes: list[RemoteNote]) -> list[RemoteNote]:
    """Remote notes fit for a public page: none by suspended or silenced accounts, or from such domains."""
    rules = await domain_policy.hidden_hosts(session)
    return [note for note in notes if note.account.suspended_at is None and note.account.silenced_at is None
            and not ((rule := domain_policy.match(rules, note.account.domain or "")) and rule.silenced)]


def render_work(request: Request, rt: Runtime, work: Work, counts: dict[str, int], replies: list[RemoteNote],
                local_media: dict[str, str] | None = None, local_replies: list[LocalNote] | None = None,
                reply_url: str | None = None) -> Response:
    """``local_media``: remote attachment URL -> our cached, re-stamped copy (shown instead of a link)."""
    author = work.account
    page_url = rt.uris.work_page(author.username, work.public_id)
    profile_url = rt.uris.profile(author.username)
    images = [image_view(rt, image) for image in work.images]
    title = work.title or "Untitled"
    name = display_name(author)
    warning = (work.summary or "Sensitive content") if work.sensitive or work.summary else None
    record = for_work(rt.settings, work)  # the effective consent record (instance -> artist -> work)
    rights = rights_url(record)  # the chosen licence, else "In Copyright": said on the page, never left out
    credit = f"{name} ({acct(author, rt.settings.instance.domain)})"
    year = work.published_at.year
    graph = []
    for view in images:
        obj: dict[str, Any] = {
            "@type": "ImageObject", "contentUrl": view.large_url, "url": page_url, "thumbnailUrl": view.thumbnail_url,
            "encodingFormat": view.large_mime, "width": view.large_width, "height": view.large_height,
            "name": title, "caption": view.alt, "description": view.alt,
            "creator": {"@type": "Person", "name": name, "url": profile_url},
            "creditText": record.attribution or credit, "copyrightNotice": f"© {year} {name}",
            "copyrightHolder": {"@type": "Person", "name": name, "url": profile_url},
            "datePublished": iso(work.published_at),
            # Google Images' licence badge: the licence (when there is one) and where to ask for one: this page,
            # which states the licence and the artist's AI-training choice.
            "acquireLicensePage": page_url,
        }
        if work.updated_at:
            obj["dateModified"] = iso(work.updated_at)
        obj["license"] = rights
        graph.append(obj)
    reply_views = [
        {"author": display_name(note.account), "handle": acct(note.account, rt.settings.instance.domain),
         "author_url": note.account.url or note.account.uri, "url": note.url or note.uri, "uri": note.uri,
         "avatar": (local_media or {}).get(note.account.icon_url or ""),
         "published": note.published_at, "published_iso": iso(note.published_at),
         "warning": (note.summary or "Sensitive content") if note.sensitive or note.summary else None,
         "html": remote_html(note.content_html), "consent": reply_consent(rt, note),
         "media": [{"url": ref.url, "alt": ref.name, "local": (local_media or {}).get(ref.url)}
                   for ref in media_attachments(note.raw)]}
        for note in replies
    ] + [local_reply_view(rt, note) for note in local_replies or []]
    # A reply whose author refused AI training makes the whole page say so; search opt-outs stay per reply.
    own_robots = set(record.robots_directives)
    refused = any(r["consent"]["refuses_training"] for r in reply_views)
    replies_robots = [d for d in ("noai", "noimageai") if refused and d not in own_robots]
    description = plain(work.description) or (images[0].alt if images else "") or f"A work by {name}"
    response = render_page(
        request, "work.html",
        work=work, author=author, artist_name=name, handle=acct(author, rt.settings.instance.domain), title=title,
        page_url=page_url, profile_url=profile_url, images=images, content_html=Markup(work.content_html),
        warning=warning, licence=licence_name(rights), counts=counts, replies=reply_views, description=plain(description),
        published_iso=iso(work.published_at), updated_iso=iso(work.updated_at) if work.updated_at else None,
        og_image=images[0] if images and warning is None else None,
        tags=[(t, rt.uris.tag(t)) for t in work.tags], credit=credit,
        # Behind a content warning: no image in link previews or search metadata either.
        json_ld=json_ld({"@context": "https://schema.org", "@graph": graph}) if warning is None else None,
        link=f'<{work.uri}>; {AP_LINK}', replies_robots=", ".join(replies_robots), reply_url=reply_url,
        licence_url=rights, in_copyright=is_in_copyright(rights), attribution=record.attribution, search=record.search,
        training=TRAINING_PHRASES[record.ai_training],
    )
    if images:  # the viewer (static/viewer.js): this site's own file, nothing inline
        response.headers["Content-Security-Policy"] = OWN_SCRIPTS_CSP
    return response


def local_reply_view(rt: Runtime, note: LocalNote) -> dict[str, Any]:
    """A local artist's text reply, shaped as a remote reply is for the template (her own consent record)."""
    record = for_account(rt.settings, note.account)
    page = rt.uris.status_page(int(note.public_id))
    return {"author": display_name(note.account), "handle": acct(note.account, rt.settings.instance.domain),
            "author_url": rt.uris.profile(note.account.username), "url": page, "uri": note.uri, "avatar": None,
            "published": note.published_at, "published_iso": iso(note.published_at),
            "warning": (note.summary or "Sensitive content") if note.sensitive or note.summary else None,
            "html": Markup(note.content_html), "media": [],
            "consent": {"refuses_training": record.restricts_training, "robots": ", ".join(record.robots_directives),
                        "content_usage": record.content_usage, "tdm_reservation": record.tdm_reservation,
                        "licence": record.licence_url, "notice": None}}


def reply_consent(rt: Runtime, note: RemoteNote) -> dict[str, Any]:
    """Re-emit a remote reply's consent on our page (consent doc §16): data- attributes and a notice.

    What the reply and its author said wins; the instance policy fills what they did not say."""
    signals = stored_note_signals(note)
    record = remote_record(signals, instance_record(rt.settings))
    notice = None
    if signals.ai_training == "none":
        notice = "Its author does not allow AI training (noai)."
    elif signals.ai_training == "no_generative":
        notice = "Its author does not allow generative AI training (noai)."
    elif signals.tdm_reserved:
        notice = "Its author reserves text and data mining rights."
    return {"refuses_training": signals.ai_training in ("none", "no_generative"),
            "robots": ", ".join(record.robots_directives),
            "content_usage": record.content_usage, "tdm_reservation": record.tdm_reservation,
            "licence": record.licence_url, "notice": notice}


async def collection_page(request: Request) -> Response:
    """`/@name/collections/<slug>`: a project or album with its works in the artist's order."""
    found = await account_or_404(request)
    if isinstance(found, Response):
        return found
    account = found
    rt = runtime_of(request)
    page = _page_number(request)
    if isinstance(page, Response):
        return page
    async with rt.sessions() as session:
        collection = await collection_by_slug(session, account.id, request.path_params["slug"])
        if collection is None:
            return page_error(request, 404, "No such collection")
        total = await collection_count(session, collection.id)
        if _beyond_last(page, total):
            return page_error(request, 404, "No such page")
        works = await collection_works(session, collection.id, limit=GRID_PAGE_SIZE, offset=(page - 1) * GRID_PAGE_SIZE)
    url = rt.uris.collection_page(account.username, collection.slug)
    tiles = [tile(rt, work) for work in works]
    response = render_page(
        request, "collection.html",
        account=account, artist_name=display_name(account), handle=acct(account, rt.settings.instance.domain),
        collection=collection, description_html=Markup(plain_to_html(collection.description)),
        description=plain(collection.description) or f"A collection by {display_name(account)}",
        tiles=tiles, total=total, url=url, profile_url=rt.uris.profile(account.username),
        **_grid_links(url, page, total),
        og_image=next((t.cover for t in tiles if t.cover is not None and t.warning is None), None),
    )
    return _cached(request, response, f"collection:{collection.id}", f"account:{account.id}")


# Mount after feeds.routes: `/@{username}/{public_id}` would otherwise take `/@name/feed.atom`.
routes = [
    Route("/@{username}/collections/{slug}", collection_page),
    Route("/@{username}/{public_id}", work_page),
]
