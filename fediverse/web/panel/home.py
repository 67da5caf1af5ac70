"""The signed-in artist's home timeline and bookmarks, and the buttons on each post (like, boost, bookmark and
their undo): plain POST forms with the CSRF token, which redirect back to where the artist was, so no script is
needed. The timeline itself is services.timelines; the actions are services.interactions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from fediverse import snowflake
from fediverse.errors import Invalid, NotFound
from fediverse.models import Account, LocalUser
from fediverse.runtime import Runtime
from fediverse.services import interactions, timelines
from fediverse.web.context import runtime_of
from fediverse.web.panel.auth import safe_next, studio_view
from fediverse.web.panel.forms import csrf_token, read_form, text
from fediverse.web.panel.render import page, redirect
from fediverse.web.remote_html import remote_html

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


ACTIONS = {
    "like": ("Liked.", interactions.like), "unlike": ("Like taken back.", interactions.unlike),
    "boost": ("Boosted.", interactions.reblog), "unboost": ("Boost undone.", interactions.unreblog),
}


def max_id_of(request: Request) -> int | None:
    """``?max_id=``: absent, or a whole number (anything else is a 400 with a sentence, never a 500)."""
    value = request.query_params.get("max_id")
    if value is None or value == "":
        return None
    max_id = snowflake.parse_id(value)
    if max_id is None:
        raise Invalid("max_id must be a status id (a whole number), as in the “Load more” link.")
    return max_id


@dataclass(frozen=True, slots=True)
class Who:
    name: str
    handle: str
    url: str


@dataclass(frozen=True, slots=True)
class PostView:
    """What the template shows of one timeline item (every string autoescaped but the sanitised HTML). Objects,
    not dicts: a template reads ``p.x`` as an attribute first, and 40 posts of ~35 lookups each add up."""

    entry_id: int
    status_id: int
    kind: str
    author: Who
    booster: Who | None
    url: str
    title: str
    html: Markup
    warning: str | None
    images: tuple[timelines.Image, ...]
    published: datetime
    visibility: str
    counts: timelines.Counts
    liked: bool
    boosted: bool
    bookmarked: bool
    can_boost: bool
    buttons: list[tuple[str, str, int | None, bool]]


def _who(rt: Runtime, account: Account) -> Who:
    if account.is_local:
        return Who(account.display_name or account.username, f"@{account.username}", rt.uris.profile(account.username))
    return Who(account.display_name or account.username, f"@{account.handle}", account.url or account.uri)


def post_view(rt: Runtime, item: timelines.TimelineItem) -> PostView:
    """What the template shows of one timeline item."""
    if item.work is not None:
        work = item.work
        url = rt.uris.work_page(work.account.username, work.public_id)
        html = Markup(work.content_html)
        title = work.title
        warning = (work.summary or "Sensitive content") if work.sensitive or work.summary else None
    elif item.local_note is not None:  # a text post of an artist here: its thread page is its page
        local = item.local_note
        url = rt.uris.status_page(item.status_id)
        html = Markup(local.content_html)  # sanitised when posted (services/text.format_post), as a work's
        title = ""
        warning = (local.summary or "Sensitive content") if local.sensitive or local.summary else None
    else:
        note = item.note
        assert note is not None
        url = note.url or note.uri
        html = remote_html(note.content_html)
        title = ""
        warning = (note.summary or "Sensitive content") if note.sensitive or note.summary else None
    return PostView(
        entry_id=item.entry_id, status_id=item.status_id, kind=item.kind, author=_who(rt, item.author),
        booster=_who(rt, item.booster) if item.booster is not None else None, url=url, title=title,
        html=html, warning=warning, images=item.images, published=item.published,
        visibility=item.visibility, counts=item.counts, liked=item.liked, boosted=item.boosted,
        bookmarked=item.bookmarked, can_boost=item.can_boost, buttons=_buttons(item),
    )


def _buttons(item: timelines.TimelineItem) -> list[tuple[str, str, int | None, bool]]:
    """(action, label, count shown beside it, pressed) of each button under a post."""
    likes, boosts = item.counts.likes, item.counts.boosts
    found = [("unlike", "Unlike", likes, True) if item.liked else ("like", "Like", likes, False)]
    if item.can_boost:
        found.append(("unboost", "Unboost", boosts, True) if item.boosted else ("boost", "Boost", boosts, False))
    found.append(("unbookmark", "Remove bookmark", None, True) if item.bookmarked
                 else ("bookmark", "Bookmark", None, False))
    return found


def _timeline_page(request: Request, template: str, found: timelines.Page) -> Response:
    """One page of posts with its "load more" link and the address the buttons come back to."""
    rt = runtime_of(request)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    form_fields = Markup('<input type="hidden" name="csrf_token" value="{}"><input type="hidden" name="back" '
                         'value="{}">').format(csrf_token(request), here)  # escaped once, not in every button
    return page(request, template, posts=[post_view(rt, item) for item in found.items],
                next_max_id=found.next_max_id, here=here, form_fields=form_fields,
                older=request.query_params.get("max_id") is not None)


@studio_view
async def home_page(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    return _timeline_page(request, "panel/home.html", await timelines.home(session, user.account, max_id_of(request)))


@studio_view
async def bookmarks_page(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    return _timeline_page(request, "panel/bookmarks.html",
                          await timelines.bookmarks(session, user.account, max_id_of(request)))


@studio_view
async def act(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    """One button on a post; back to the page (and the post) it was pressed on."""
    form = await read_form(request)
    status_id, action = request.path_params["status_id"], request.path_params["action"]
    back = safe_next(text(form, "back", limit=600) or None, "/home")
    anchor = text(form, "anchor", limit=40)
    target = f"{back}#{anchor}" if anchor.replace("-", "").isalnum() else back
    rt = runtime_of(request)
    if action in ACTIONS:
        done, run = ACTIONS[action]
        await run(rt, session, user, status_id)
    elif action == "bookmark":
        await interactions.bookmark(session, user, status_id)
        done = "Bookmarked. Only you can see your bookmarks."
    elif action == "unbookmark":
        await interactions.unbookmark(session, user, status_id)
        done = "Removed from your bookmarks."
    else:
        raise NotFound("There is no such action on a post.")
    return redirect(request, target, done)
