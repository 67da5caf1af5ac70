"""/admin/settings (admins only): the instance's name, rules, sign-ups, default consent, uploads and spam limits.

Saved to the database (services.site_settings), applied in this process at once and in the others within
seconds (web/live_settings.py); the response cache drops pages rendered with the old values (web/cache.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fediverse.errors import Invalid
from fediverse.models import LocalUser
from fediverse.services import settings_form
from fediverse.services.accounts import instance_username
from fediverse.services.profile import ProfileImage, store_profile_image  # the avatar pipeline: probe, shrink, store
from fediverse.web.context import runtime_of
from fediverse.web.panel.auth import staff_view
from fediverse.web.panel.forms import flag, human_size, multipart_limit, read_form, upload
from fediverse.web.panel.render import page, redirect

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

THUMBNAIL_BOX = (1200, 630)  # what Mastodon shows for an instance's thumbnail


def _page(request: Request, shown: dict[str, Any], errors: dict[str, str], status: int = 200) -> Response:
    settings = runtime_of(request).settings
    return page(request, "panel/admin_settings.html", status=status, groups=settings_form.GROUPS, values=shown,
                errors=errors, thumbnail_url=settings.instance.thumbnail_url)


@staff_view("admin")
async def settings_page(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    rt = runtime_of(request)
    if request.method == "GET":
        return _page(request, settings_form.current_values(rt.settings), {})
    form = await read_form(request, max_bytes=multipart_limit(rt.settings, 1), max_files=1)
    try:
        changes, errors, shown = settings_form.read(form, rt.settings)
        file = upload(form, "thumbnail")
        if file is not None and not errors:
            limit = rt.settings.media.max_upload_bytes
            if file.size is not None and file.size > limit:
                errors["thumbnail"] = f"The file is {human_size(file.size)}; the limit is {human_size(limit)}."
            else:
                image = ProfileImage(await file.read(), file.content_type, (file.filename or "")[:200])
                try:
                    changes["instance.thumbnail_url"] = await rt.run_image_work(
                        store_profile_image, rt, instance_username(rt), "thumbnail", image, THUMBNAIL_BOX)
                except Invalid as exc:
                    message = str(exc).split(": ", 1)[-1]
                    errors["thumbnail"] = message[:1].upper() + message[1:]
        elif flag(form, "remove_thumbnail") and rt.settings.instance.thumbnail_url:
            changes["instance.thumbnail_url"] = ""
    finally:
        await form.close()
    if errors:
        return _page(request, shown, errors, status=400)
    if not changes:
        return redirect(request, "/admin/settings", "Nothing changed.")
    try:
        await settings_form.change(rt, session, user, changes)  # commits and applies
    except settings_form.FormErrors as exc:
        await session.rollback()
        return _page(request, shown, exc.errors, status=400)
    return redirect(request, "/admin/settings", f"Saved: {', '.join(sorted(changes))}.")


routes = [
    Route("/admin/settings", settings_page, methods=["GET", "POST"]),
]
