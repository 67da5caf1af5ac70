"""/studio/report: a logged-in artist reports an account or one post (linked from public pages)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from fediverse.db import accounts as account_db
from fediverse.db import works as work_db
from fediverse.errors import NotFound
from fediverse.models import Account, LocalUser, RemoteNote
from fediverse.services import reports
from fediverse.web.context import runtime_of
from fediverse.web.panel.auth import studio_view
from fediverse.web.panel.forms import read_form, text, flag
from fediverse.web.panel.render import page, redirect

MAX_REF = 2048


async def _account_by_ref(session: AsyncSession, ref: str) -> Account | None:
    """An account we already know, by id URL, local username or user@domain; never looked up over the network."""
    ref = ref.strip()[:MAX_REF]
    if ref.startswith(("https://", "http://")):
        return await account_db.by_uri(session, ref)
    name = ref.lstrip("@")
    if "@" in name:
        return await account_db.remote_by_handle(session, name)
    return await account_db.local_by_username(session, name) if name else None


async def _target(session: AsyncSession, account_ref: str, post_uri: str) -> tuple[Account, str | None]:
    """(reported account, reported post uri or None) from the query or form."""
    if post_uri:
        work = await work_db.by_uri(session, post_uri)
        if work is not None and work.deleted_at is None:
            return work.account, work.uri
        note = await session.scalar(select(RemoteNote).where(RemoteNote.uri == post_uri))
        if note is not None:
            return note.account, note.uri
        raise NotFound("that post is not known here")
    account = await _account_by_ref(session, account_ref) if account_ref else None
    if account is None or (account.is_local and account.actor_type == "Application"):
        raise NotFound("that account is not known here")
    return account, None


@studio_view
async def report_form(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    if request.method == "POST":
        form = await read_form(request)
        target, post = await _target(session, text(form, "account", limit=MAX_REF), text(form, "post", limit=MAX_REF))
        await reports.file_report(runtime_of(request), session, user, target, [post] if post else [],
                                  text(form, "category", limit=32), text(form, "comment", limit=5000),
                                  forward=flag(form, "forward"))
        await session.commit()
        return redirect(request, "/studio", "Thank you: the report was sent to the moderators.")
    params = request.query_params
    target, post = await _target(session, params.get("account", ""), params.get("post", ""))
    return page(request, "panel/report.html", target=target, post=post, categories=reports.CATEGORIES,
                handle=f"{target.username}@{target.domain or runtime_of(request).uris.domain}")
