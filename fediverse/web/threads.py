"""Thread pages: `/statuses/{id}` shows a post (a work, a remote or a local note; a boost shows its boosted
post), the posts above it and the replies to it that we hold, each only to a viewer allowed to see it; a
signed-in artist gets a reply form (`#reply`). Posting and deleting go through studio paths (the session is
writable there, the CSRF token is checked): `/studio/statuses/{id}/reply`, `/studio/notes/{public_id}/delete`.

Views only read through services.threads and write through services.notes; HTML reaches the page only as the
sanitised ``content_html`` of each post.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fediverse.activitypub.parse_note import media_attachments
from fediverse.activitypub.render import iso
from fediverse.errors import NotFound
from fediverse.models import NOTE_VISIBILITIES, LocalUser
from fediverse.runtime import Runtime
from fediverse.services import notes, threads
from fediverse.web.context import runtime_of
from fediverse.web.panel.auth import studio_view, viewer
from fediverse.web.panel.forms import flag, read_form, text
from fediverse.web.panel.render import redirect
from fediverse.web.pages import acct, display_name, image_view, page_error
from fediverse.web.remote_html import remote_html
from fediverse.web.templating import render_page

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

VISIBILITY_LABELS = {"public": "Public", "unlisted": "Unlisted (not on public pages)",
                     "followers": "Followers only", "direct": "Only the people mentioned"}
KINDS = {"work": "work", "remote": "post", "local": "note"}


def post_view(rt: Runtime, post: threads.Post, me: LocalUser | None) -> dict[str, Any]:
    """What the template shows of one post, whatever its kind."""
    author = post.author
    view: dict[str, Any] = {
        "id": post.status.id, "thread_url": rt.uris.status_page(post.status.id), "uri": post.uri,
        "author": display_name(author), "handle": acct(author, rt.settings.instance.domain),
        "author_url": author.url or author.uri, "local_author": author.is_local,
        "visibility": post.status.visibility, "images": [], "media": [], "title": None, "delete_url": None,
    }
    if post.work is not None:
        work = post.work
        view.update(kind="work", html=Markup(work.content_html), title=work.title or "Untitled",
                    url=rt.uris.work_page(author.username, work.public_id), published=work.published_at,
                    summary=work.summary, sensitive=work.sensitive, images=[image_view(rt, i) for i in work.images])
    elif post.remote_note is not None:
        note = post.remote_note
        view.update(kind="remote", html=remote_html(note.content_html), url=note.url or note.uri,
                    published=note.published_at, summary=note.summary, sensitive=note.sensitive,
                    media=[{"url": ref.url, "alt": ref.name} for ref in media_attachments(note.raw)])
    else:
        assert post.local_note is not None
        local = post.local_note
        view.update(kind="local", html=Markup(local.content_html), url=view["thread_url"],
                    published=local.published_at, summary=local.summary, sensitive=local.sensitive)
        if me is not None and me.account_id == local.account_id:
            view["delete_url"] = f"/studio/notes/{local.public_id}/delete"
    view["published_iso"] = iso(view["published"])
    view["warning"] = (view["summary"] or "Sensitive content") if view["sensitive"] or view["summary"] else None
    return view


def reply_form(rt: Runtime, request: Request, post: threads.Post, me: LocalUser) -> dict[str, Any]:
    """The form's action, prefilled @mention, default visibility (the replied-to post's) and CSRF token."""
    mention = "" if post.author.id == me.account_id else f"@{notes.acct_of(rt, post.author)} "
    return {"action": f"/studio/statuses/{post.status.id}/reply", "text": mention,
            "visibility": notes.REPLY_DEFAULT.get(post.status.visibility, "direct"),
            "choices": [(v, VISIBILITY_LABELS[v]) for v in NOTE_VISIBILITIES],
            "csrf_token": request.session.get("csrf", ""), "max_text": notes.MAX_TEXT, "max_cw": notes.MAX_CW}


async def thread_page(request: Request) -> Response:
    """`/statuses/{id}`: 404 for an unknown status or one this viewer may not see (never 403: no hint it exists)."""
    rt = runtime_of(request)
    raw = request.path_params["status_id"]
    if not raw.isdigit() or len(raw) > 19:
        return page_error(request, 404, "No such post")
    async with rt.sessions() as session:
        user = await viewer(request, session)
        me = user.account if user is not None else None
        found = await threads.thread(session, int(raw), me)
        if found is None:
            return page_error(request, 404, "No such post")
        main = post_view(rt, found.post, user)
        response = render_page(
            request, "thread.html", post=main, ancestors=[post_view(rt, p, user) for p in found.ancestors],
            replies=[post_view(rt, p, user) for p in found.replies],
            form=reply_form(rt, request, found.post, user) if user is not None else None,
            login_url=f"/login?next=/statuses/{found.post.status.id}%23reply",
        )
    # a thread may hold what only this viewer may see, and changes with every reply: never shared, never stale
    response.headers["Cache-Control"] = "private, no-cache" if user is not None else "no-cache"
    return response


@studio_view
async def reply_view(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    """POST the reply form: 403 without a valid CSRF token, 404 for a post the artist may not see, 400 for bad
    input (the studio wrapper turns NotFound and Invalid into those pages)."""
    form = await read_form(request)
    raw = request.path_params["status_id"]
    if not raw.isdigit() or len(raw) > 19:
        raise NotFound("no such post")
    note = await notes.post_note(
        runtime_of(request), session, user, text(form, "text", limit=notes.MAX_TEXT + 1),
        in_reply_to=int(raw), visibility=text(form, "visibility", limit=32) or "public",
        cw=text(form, "cw", limit=notes.MAX_CW + 1), sensitive=flag(form, "sensitive"))
    return redirect(request, f"/statuses/{note.public_id}")


@studio_view
async def delete_view(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    await read_form(request)
    await notes.delete_note(runtime_of(request), session, user, request.path_params["public_id"])
    return redirect(request, "/studio", "Note deleted. The servers that got it are being told.")


routes = [
    Route("/statuses/{status_id}", thread_page),
    Route("/studio/statuses/{status_id}/reply", reply_view, methods=["POST"]),
    Route("/studio/notes/{public_id}/delete", delete_view, methods=["POST"]),
]
