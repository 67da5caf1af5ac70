"""/admin/settings (admins only): the instance's name, look (accent colour, logo, header image), rules, sign-ups,
default consent, uploads and spam limits.

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
    from starlette.datastructures import UploadFile

    from fediverse.runtime import Runtime


def _page(request: Request, shown: dict[str, Any], errors: dict[str, str], status: int = 200, *,
          pictures_sent: bool = False) -> Response:
    """The form; after a refusal, `pictures_sent` asks to choose the pictures again (a browser never keeps them)."""
    settings = runtime_of(request).settings
    pictures = [(picture, picture.url_in(settings)) for picture in settings_form.PICTURES]
    return page(request, "panel/admin_settings.html", status=status, groups=settings_form.GROUPS, values=shown,
                errors=errors, pictures=pictures, choose_again=pictures_sent)


@staff_view("admin")
async def settings_page(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    rt = runtime_of(request)
    if request.method == "GET":
        return _page(request, settings_form.current_values(rt.settings), {})
    pictures = settings_form.PICTURES
    form = await read_form(request, max_bytes=multipart_limit(rt.settings, len(pictures)), max_files=len(pictures))
    try:
        changes, errors, shown = settings_form.read(form, rt.settings)
        files = {picture: upload(form, picture.name) for picture in pictures}
        limit = rt.settings.media.max_upload_bytes
        for picture, file in files.items():
            if file is not None and file.size is not None and file.size > limit:
                errors[picture.name] = f"The file is {human_size(file.size)}; the limit is {human_size(limit)}."
            elif file is None and flag(form, f"remove_{picture.name}") and picture.url_in(rt.settings):
                changes[picture.key] = ""
        if not errors and any(files.values()):
            await settings_form.check(rt, session, changes)  # a refused value stores no picture
            errors.update(await _store_pictures(rt, files, changes))
    except settings_form.FormErrors as exc:
        errors.update(exc.errors)
    finally:
        await form.close()
    if errors:
        return _page(request, shown, errors, status=400, pictures_sent=any(files.values()))
    if not changes:
        return redirect(request, "/admin/settings", "Nothing changed.")
    try:
        await settings_form.change(rt, session, user, changes)  # commits and applies
    except settings_form.FormErrors as exc:
        await session.rollback()
        return _page(request, shown, exc.errors, status=400, pictures_sent=any(files.values()))
    return redirect(request, "/admin/settings", f"Saved: {', '.join(sorted(changes))}.")


async def _store_pictures(rt: Runtime, files: dict[settings_form.Picture, UploadFile | None],
                          changes: dict[str, Any]) -> dict[str, str]:
    """Probe, shrink and store each uploaded picture, adding its URL to `changes`; the refusals by field name.
    A stored picture whose form is then refused stays unreferenced in the media store: files are content-addressed
    and may be shared (the same picture as logo and thumbnail), so none is deleted here."""
    errors: dict[str, str] = {}
    for picture, file in files.items():
        if file is None:
            continue
        image = ProfileImage(await file.read(), file.content_type, (file.filename or "")[:200])
        try:
            changes[picture.key] = await rt.run_image_work(
                store_profile_image, rt, instance_username(rt), picture.name.replace("_", " "), image, picture.box)
        except Invalid as exc:
            message = str(exc).split(": ", 1)[-1]
            errors[picture.name] = message[:1].upper() + message[1:]
    return errors


routes = [
    Route("/admin/settings", settings_page, methods=["GET", "POST"]),
]
