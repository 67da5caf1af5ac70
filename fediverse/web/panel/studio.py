"""The studio: the artist's works (upload, edit, delete, pin, arrange). Thin: every change goes through services."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from fediverse.consent import ConsentRecord
from fediverse.consent.interaction import InteractionPolicy
from fediverse.db import works as work_db
from fediverse.errors import Invalid, NotFound
from fediverse.imaging.sniff import MIME, MIME_ALIASES, UNSPECIFIED_MIMES
from fediverse.models import VISIBILITIES, LocalUser, Work
from fediverse.runtime import Runtime
from fediverse.services.consent import account_interaction_policy, for_account, set_work_consent
from fediverse.services.quotes import apply_policies
from fediverse.services.works import (
    ImagesRefused, ImageUpload, WorkInput, arrange, create_work, delete_work, edit_work, set_pinned,
)
from fediverse.web.context import runtime_of
from fediverse.web.panel import consent_form, interaction_form
from fediverse.web.panel.auth import studio_view
from fediverse.web.panel.forms import flag, human_size, multipart_limit, read_form, text, upload
from fediverse.web.panel.licences import LICENCE_URLS, LICENCES, licence_label
from fediverse.web.panel.render import page, redirect
from fediverse.web.responses import json_response
from fediverse.web.security_headers import OWN_SCRIPTS_CSP

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

STUDIO_PAGE_SIZE = 60
MAX_TEXT = 20_000
_IMAGE_PREFIX = re.compile(r"^image (\d+)(?: \([^)]*\))?: ", re.IGNORECASE)
VISIBILITY_LABELS = {"public": "Public: on your portfolio and in feeds", "unlisted": "Unlisted: on your portfolio, not in public feeds",
                     "followers": "Followers only"}


def _media(rt: Runtime, key: str) -> str:
    return rt.uris.media(key)


def _tile(rt: Runtime, work: Work) -> dict[str, Any]:
    cover = work.images[0] if work.images else None
    return {
        "public_id": work.public_id, "title": work.title, "visibility": work.visibility,
        "pinned": work.pinned_at is not None, "count": len(work.images), "sensitive": work.sensitive,
        "thumbnail": _media(rt, cover.thumbnail_key) if cover else None, "alt": cover.alt_text if cover else "",
        "url": rt.uris.work_page(work.account.username, work.public_id), "published": work.published_at,
    }


async def _own(session: AsyncSession, account_id: int, public_id: str) -> Work:
    work = await work_db.by_public_id(session, public_id)
    if work is None or work.account_id != account_id or work.deleted_at is not None:
        raise NotFound("There is no such work in your studio (it may have been deleted).")
    return work


# --- the studio page and arranging ---------------------------------------------------------------------

@studio_view
async def studio_home(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    rt = runtime_of(request)
    total = await work_db.count(session, user.account_id, public_only=False)
    pages = max(1, math.ceil(total / STUDIO_PAGE_SIZE))
    number = request.query_params.get("page", "1")
    current = min(int(number), pages) if number.isdigit() and int(number) >= 1 else 1
    offset = (current - 1) * STUDIO_PAGE_SIZE
    works = await work_db.portfolio(session, user.account_id, limit=STUDIO_PAGE_SIZE, offset=offset)
    tiles = [_tile(rt, w) | {"position": offset + i + 1} for i, w in enumerate(works)]
    return page(request, "panel/studio.html", tiles=tiles, total=total, page=current, pages=pages,
                profile_url=user.account.url, licence=licence_label(user.account.default_license_url))


@studio_view
async def move_work(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    """Up, down, or to a numbered position (1 = first on the portfolio)."""
    form = await read_form(request)
    public_id = request.path_params["public_id"]
    works = await work_db.portfolio(session, user.account_id, limit=10_000, offset=0)
    order = [w.public_id for w in works]
    if public_id not in order:
        raise NotFound("There is no such work in your studio.")
    here = order.index(public_id)
    direction = text(form, "direction")
    if direction in ("up", "down"):
        target = here - 1 if direction == "up" else here + 1
    else:
        wanted = text(form, "position", limit=20).strip()
        if not wanted.lstrip("-").isdigit():
            return redirect(request, "/studio", "Position must be a whole number, like 1 for the first place.", kind="error")
        target = int(wanted) - 1
    target = max(0, min(len(order) - 1, target))
    if target != here:
        order.insert(target, order.pop(here))
        await arrange(session, user, order)
    return redirect(request, f"/studio?page={target // STUDIO_PAGE_SIZE + 1}#work-{public_id}")


@studio_view
async def pin_work(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    form = await read_form(request)
    pinned = flag(form, "pinned")
    work = await set_pinned(runtime_of(request), session, user, request.path_params["public_id"], pinned)
    name = work.title or "the work"
    return redirect(request, f"/studio#work-{work.public_id}", f"Pinned {name}." if pinned else f"Unpinned {name}.")


# --- new work ------------------------------------------------------------------------------------------

@dataclass
class ImageSlot:
    number: int
    alt: str = ""
    focal_x: str = ""
    focal_y: str = ""
    error: str = ""
    code: str = ""  # why the image was refused, for the upload script: too_big, too_many_pixels, alt_text ...
    thumbnail: str | None = None  # edit form: the stored image


@dataclass
class WorkForm:
    title: str = ""
    description: str = ""
    content_warning: str = ""
    sensitive: bool = False
    licence: str = ""  # "" = the artist's default
    visibility: str = "public"
    ai_generated: bool = False
    slots: list[ImageSlot] = field(default_factory=list)
    consent: dict[str, str] = field(default_factory=dict)  # the work's consent override as shown ("" = inherit)
    policies: dict[str, str] = field(default_factory=dict)  # quotes / replies / boosts as shown ("" = inherit)
    errors: list[str] = field(default_factory=list)
    consent_override: dict[str, Any] | None = None  # new form: the choices made (inherited fields left out)
    as_uploaded: bool = False  # new form: publish the files as uploaded (Glaze-safe)

    def work_input(self) -> WorkInput:
        return WorkInput(title=self.title, description=self.description, content_warning=self.content_warning,
                         sensitive=self.sensitive, license_url=self.licence or None, visibility=self.visibility,
                         ai_generated=self.ai_generated, consent=self.consent_override, as_uploaded=self.as_uploaded,
                         policies={k: v for k, v in self.policies.items() if v} or None)


def _read_work_fields(form: FormData, result: WorkForm, keep_licence: str | None = None) -> None:
    result.title = text(form, "title", limit=MAX_TEXT)
    result.description = text(form, "description", limit=MAX_TEXT)
    result.content_warning = text(form, "content_warning", limit=MAX_TEXT)
    result.sensitive = flag(form, "sensitive")
    result.ai_generated = flag(form, "ai_generated")
    result.licence = text(form, "licence", limit=600)
    if result.licence and result.licence not in LICENCE_URLS and result.licence != keep_licence:
        result.errors.append("Choose a licence from the list.")
        result.licence = ""
    result.visibility = text(form, "visibility", limit=20) or "public"
    if result.visibility not in VISIBILITIES:
        result.errors.append("Choose who can see the work from the list.")
        result.visibility = "public"


def _focal(slot: ImageSlot) -> tuple[float, float] | None:
    """The slot's focal point; None (with slot.error set) when it is not two numbers from -1 to 1."""
    if not slot.focal_x.strip() and not slot.focal_y.strip():
        return (0.0, 0.0)
    try:
        x, y = float(slot.focal_x or 0), float(slot.focal_y or 0)
    except ValueError:
        x = y = math.nan
    if not (math.isfinite(x) and math.isfinite(y) and -1 <= x <= 1 and -1 <= y <= 1):
        slot.error = "The focal point is two numbers from -1 to 1 (0, 0 is the centre); leave both empty for the centre."
        return None
    return (x, y)


def _place_error(message: str, slots: list[ImageSlot], numbers: list[int], result: WorkForm) -> None:
    """A service error about image N goes next to the slot it came from; anything else above the form."""
    match = _IMAGE_PREFIX.match(message)
    if not (match and _on_slot(int(match.group(1)), message[match.end():], "", slots, numbers, result)):
        result.errors.append(message[:1].upper() + message[1:])


def _on_slot(number: int, reason: str, code: str, slots: list[ImageSlot], numbers: list[int], result: WorkForm) -> bool:
    """Put the reason for image `number` (1 = the first one sent) next to its slot; False if there is none."""
    if not 1 <= number <= len(numbers):
        return False
    slot = slots[numbers[number - 1] - 1]
    reason = reason.strip()
    slot.error, slot.code = reason[:1].upper() + reason[1:], code
    result.errors.append(f"Image {slot.number}: {slot.error}")
    return True


def _place_errors(exc: Invalid, slots: list[ImageSlot], numbers: list[int], result: WorkForm) -> None:
    """Every refused image's reason next to its slot (ImagesRefused names them all), or the one error."""
    if not isinstance(exc, ImagesRefused):
        _place_error(str(exc), slots, numbers, result)
        return
    for problem in exc.problems:  # by number, not by parsing: a file may be called "photo (1).jpg"
        if not _on_slot(problem.number, problem.reason, problem.code, slots, numbers, result):
            result.errors.append(problem.message[:1].upper() + problem.message[1:])


# The declared types the upload script lets through to the server (which sniffs the content anyway): ours,
# their aliases (image/jpg ...) and "unknown"; anything else is refused in the page at once.
SCRIPT_ACCEPTS = ",".join(sorted({*MIME.values(), *MIME_ALIASES, *UNSPECIFIED_MIMES} - {""}))

# The upload page runs static/upload.js (progressive enhancement: the form works without it), whose previews
# are blob: URLs of the files picked (only a script of this page can make one).
UPLOAD_PAGE_HEADERS = {"Content-Security-Policy": OWN_SCRIPTS_CSP.replace("img-src 'self'", "img-src 'self' blob:")}


def wants_json(request: Request) -> bool:
    """The upload script asks for a JSON answer (Accept: application/json); a plain form post gets HTML."""
    return "application/json" in request.headers.get("accept", "")


def _new_form_json(result: WorkForm, status: int) -> Response:
    """The enhanced upload's answer to a refused work: general errors, and each refused image's reason keyed by
    its place in the request (1 = the first image sent), so the script shows it next to that file."""
    images = {str(slot.number): {"error": slot.error, "code": slot.code or "invalid"}
              for slot in result.slots if slot.error}
    general = [message for message in result.errors if not _IMAGE_PREFIX.match(message)]
    return json_response({"ok": False, "errors": general, "images": images}, status=status,
                         headers={"Cache-Control": "no-store"})


def _new_form_page(request: Request, default_licence: str, inherited: ConsentRecord, result: WorkForm,
                   status: int = 200, policy: InteractionPolicy | None = None) -> Response:
    if status >= 400 and wants_json(request):
        return _new_form_json(result, status)
    return page(request, "panel/work_form.html", status=status, headers=UPLOAD_PAGE_HEADERS, form=result,
                mode="new", licences=LICENCES, default_licence=default_licence, visibilities=VISIBILITY_LABELS,
                max_size=human_size(runtime_of(request).settings.media.max_upload_bytes),
                max_bytes=runtime_of(request).settings.media.max_upload_bytes, script_accepts=SCRIPT_ACCEPTS,
                as_uploaded_box=_large_box(runtime_of(request)),
                as_uploaded_size=human_size(runtime_of(request).settings.media.as_uploaded_max_bytes),
                require_alt=runtime_of(request).settings.media.require_alt_text,
                consent_choices=consent_form.choices(result.consent, inherited, consent_form.WORK_FIELDS,
                                                     default="Your default")
                + interaction_form.choices(result.policies, policy or InteractionPolicy(), default="Your default"))


def _large_box(rt: Runtime) -> str:
    media = rt.settings.media
    return f"{media.large_max_width}×{media.large_max_height}"


@studio_view
async def new_work(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    rt = runtime_of(request)
    count = rt.settings.media.images_per_work
    result = WorkForm(slots=[ImageSlot(n) for n in range(1, count + 1)],
                      consent=consent_form.shown_values(None, consent_form.WORK_FIELDS))
    default_licence = licence_label(user.account.default_license_url)  # read now: a rollback expires `user`
    inherited = for_account(rt.settings, user.account)
    policy = account_interaction_policy(rt.settings, user.account)
    if request.method == "GET":
        return _new_form_page(request, default_licence, inherited, result, policy=policy)
    form = await read_form(request, max_bytes=multipart_limit(rt.settings, count), max_files=count)
    try:
        _read_work_fields(form, result)
        result.as_uploaded = flag(form, "as_uploaded")
        consent_changes, consent_errors = consent_form.read(form, consent_form.WORK_FIELDS, result.consent)
        result.errors += [f"Consent: {message}" for message in consent_errors.values()]
        result.consent_override = {k: v for k, v in consent_changes.items() if v is not None} or None
        result.errors += list(interaction_form.read(form, result.policies)[1].values())
        uploads: list[ImageUpload] = []
        numbers: list[int] = []  # the slot number of each upload
        limit = rt.settings.media.max_upload_bytes
        for slot in result.slots:
            slot.alt = text(form, f"alt{slot.number}", limit=MAX_TEXT)
            slot.focal_x = text(form, f"focal_x{slot.number}", limit=40)
            slot.focal_y = text(form, f"focal_y{slot.number}", limit=40)
            file = upload(form, f"image{slot.number}")
            focal = _focal(slot)
            if file is None:
                if slot.alt.strip() and not slot.error:
                    slot.error = "You wrote alt text here but chose no image file."
                if slot.error:
                    result.errors.append(f"Image {slot.number}: {slot.error}")
                continue
            if file.size is not None and file.size > limit:
                slot.error = (f"{file.filename or 'This file'} is {human_size(file.size)}; "
                              f"the limit is {human_size(limit)} per image.")
                slot.code = "too_big"
            if slot.error or focal is None:
                result.errors.append(f"Image {slot.number}: {slot.error}")
                continue
            data = await file.read()
            uploads.append(ImageUpload(data=data, alt_text=slot.alt, filename=(file.filename or "")[:200],
                                       declared_mime=file.content_type, focal_point=focal))
            numbers.append(slot.number)
        if not uploads and not result.errors:
            result.errors.append("Choose at least one image.")
        if result.errors:
            return _new_form_page(request, default_licence, inherited, result, status=400, policy=policy)
        try:
            work = await create_work(rt, session, user, result.work_input(), uploads)
        except Invalid as exc:
            _place_errors(exc, result.slots, numbers, result)
            return _new_form_page(request, default_licence, inherited, result, status=400, policy=policy)
    finally:
        await form.close()
    done = redirect(request, f"/studio#work-{work.public_id}", f"Published {work.title or 'your work'}. "
                    "Your followers' servers are being sent it now.")
    if wants_json(request):  # the script goes there itself (an XHR would follow the 303 and eat the message)
        return json_response({"ok": True, "location": done.headers["location"]}, headers={"Cache-Control": "no-store"})
    return done


# --- edit and delete -----------------------------------------------------------------------------------

def _edit_page(request: Request, work: Work, result: WorkForm, status: int = 200) -> Response:
    rt = runtime_of(request)
    licences = list(LICENCES)
    if result.licence and result.licence not in LICENCE_URLS:
        licences.append((result.licence, result.licence))
    return page(request, "panel/work_form.html", status=status, form=result, mode="edit", licences=licences,
                default_licence=licence_label(work.account.default_license_url), visibilities=VISIBILITY_LABELS,
                work={"public_id": work.public_id, "title": work.title,
                      "url": rt.uris.work_page(work.account.username, work.public_id)},
                require_alt=rt.settings.media.require_alt_text,
                consent_choices=consent_form.choices(result.consent, for_account(rt.settings, work.account),
                                                     consent_form.WORK_FIELDS, default="Your default")
                + interaction_form.choices(result.policies, account_interaction_policy(rt.settings, work.account),
                                           default="Your default"))


@studio_view
async def edit_work_view(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    rt = runtime_of(request)
    account_id = user.account_id  # read now: a rollback expires `user`
    work = await _own(session, account_id, request.path_params["public_id"])
    slots = [ImageSlot(i + 1, alt=image.alt_text, focal_x=_num(image.focal_x), focal_y=_num(image.focal_y),
                       thumbnail=_media(rt, image.thumbnail_key)) for i, image in enumerate(work.images)]
    if request.method == "GET":
        result = WorkForm(title=work.title, description=work.description, content_warning=work.summary,
                          sensitive=work.sensitive, licence=work.license_url or "", visibility=work.visibility,
                          ai_generated=work.ai_generated, slots=slots,
                          consent=consent_form.shown_values(work.consent, consent_form.WORK_FIELDS),
                          policies=interaction_form.shown(work))
        return _edit_page(request, work, result)
    form = await read_form(request)
    result = WorkForm(slots=slots, consent=consent_form.shown_values(work.consent, consent_form.WORK_FIELDS),
                      policies=interaction_form.shown(work))
    _read_work_fields(form, result, keep_licence=work.license_url)  # a licence set from the CLI stays selectable
    focal_points = []
    for slot in slots:
        slot.alt = text(form, f"alt{slot.number}", limit=MAX_TEXT)
        slot.focal_x = text(form, f"focal_x{slot.number}", limit=40)
        slot.focal_y = text(form, f"focal_y{slot.number}", limit=40)
        focal = _focal(slot)
        if focal is None:
            result.errors.append(f"Image {slot.number}: {slot.error}")
        focal_points.append(focal or (0.0, 0.0))
    consent_changes, consent_errors = consent_form.read(form, consent_form.WORK_FIELDS, result.consent)
    result.errors += [f"Consent: {message}" for message in consent_errors.values()]
    policy_changes, policy_errors = interaction_form.read(form, result.policies)
    result.errors += list(policy_errors.values())
    if result.errors:
        return _edit_page(request, work, result, status=400)
    try:
        # Before edit_work: the Update(Note) it sends carries the work's new record.
        set_work_consent(work, consent_changes)
        await apply_policies(rt, session, work.account, work, policy_changes)  # revokes quotes it no longer allows
        await edit_work(rt, session, user, work.public_id, result.work_input(),
                        alt_texts=[slot.alt for slot in slots], focal_points=focal_points)
    except Invalid as exc:
        await session.rollback()
        work = await _own(session, account_id, request.path_params["public_id"])
        _place_errors(exc, slots, [slot.number for slot in slots], result)
        return _edit_page(request, work, result, status=400)
    return redirect(request, f"/studio#work-{work.public_id}", f"Saved {result.title or 'your work'}. "
                    "Followers' servers are being sent the update.")


def _num(value: float) -> str:
    return "" if value == 0 else f"{value:g}"


@studio_view
async def delete_work_view(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    rt = runtime_of(request)
    work = await _own(session, user.account_id, request.path_params["public_id"])
    if request.method == "GET":
        return page(request, "panel/delete.html", work=_tile(rt, work))
    await read_form(request)
    name = work.title or "The work"
    await delete_work(rt, session, user, work.public_id)
    return redirect(request, "/studio", f"{name} is deleted. Followers' servers are being told to remove it.")
