"""Posting, editing, deleting and arranging artworks; each change federates to followers and mentions.

Image processing runs in threads before anything is written; if one image is refused or the database
write fails, every file stored for the work is removed again, so nothing is half-stored.
"""

from __future__ import annotations

import dataclasses
import secrets
from functools import partial
from datetime import datetime, timedelta
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.activitypub.render_works import (
    NoteConsent, render_create, render_delete, render_featured_change, render_update,
)
from fediverse.consent.interaction import policy_changes, set_policies
from fediverse.db import search as search_db
from fediverse.db import statuses as status_db
from fediverse.db import tags as tag_db
from fediverse.db import works as work_db
from fediverse.errors import Invalid, NotFound, RemoteError
from fediverse.federation.lookup import resolve_handle
from fediverse.federation.outbox import publish
from fediverse.jobs.kinds import Restamp
from fediverse.jobs.queue import enqueue
from fediverse.imaging import Derived, ImageRejected, derive, probe
from fediverse.imaging.lossless import publish_as_uploaded
from fediverse.models import VISIBILITIES, Account, LocalUser, MediaUpload, Work, WorkImage, utcnow
from fediverse.models.tags import normalize_tag
from fediverse.services import consent
from fediverse.services.text import MentionTarget, format_post, mentioned_accts
from fediverse.storage import MediaStore

if TYPE_CHECKING:
    from fediverse.runtime import Runtime

MAX_TITLE = 300
MAX_DESCRIPTION = 10_000
MAX_CW = 500
MAX_ALT = 10_000
MAX_TAGS = 30


@dataclass(frozen=True)
class ImageUpload:
    """One image as the artist sent it: bytes (probed and sniffed, never trusted by name or declared type), alt
    text, and the choices made for it in the form."""

    data: bytes
    alt_text: str
    filename: str = ""
    declared_mime: str | None = None
    focal_point: tuple[float, float] = (0.0, 0.0)
    ai_generated: bool = False
    # already probed, derived and stored (a client API media upload, services.media_uploads): its files are
    # used as they are, never processed twice; `data` is then empty
    prepared: WorkImage | None = None


@dataclass(frozen=True)
class ImageProblem:
    """Why one image of a work was refused: `number` is its place in the work (1 = first)."""

    number: int
    reason: str
    code: str = "invalid"  # an imaging.errors code (too_big, too_many_pixels, not_an_image ...) or "alt_text"
    filename: str = ""

    @property
    def message(self) -> str:
        return f"image {self.number}{f' ({self.filename})' if self.filename else ''}: {self.reason}"


class ImagesRefused(Invalid):
    """Some images of a work were refused; every refused image is named, not only the first, so the artist
    can fix them all at once (the studio shows each reason next to its file)."""

    def __init__(self, problems: list[ImageProblem]) -> None:
        super().__init__("; ".join(problem.message for problem in problems))
        self.problems = problems


@dataclass(frozen=True)
class WorkInput:
    """What an artist fills in; the same for the studio form and the CLI."""

    title: str = ""
    description: str = ""
    content_warning: str = ""
    sensitive: bool = False
    license_url: str | None = None
    visibility: str = "public"
    ai_generated: bool = False
    extra_tags: tuple[str, ...] = ()
    consent: dict[str, Any] | None = None  # the work's override of the artist's consent record (None: inherit)
    as_uploaded: bool = False  # publish each image's own file as its large rendition (Glaze-safe, imaging/lossless)
    policies: dict[str, str] | None = None  # quotes / replies / boosts: anyone | followers | nobody (absent: inherit)


def _check_input(rt: Runtime, data: WorkInput) -> None:
    if data.consent:
        consent.override_from_form(data.consent)  # raises Invalid naming the field
    if data.policies:
        policy_changes(data.policies)  # raises Invalid naming the policy
    if len(data.title) > MAX_TITLE:
        raise Invalid(f"title must be at most {MAX_TITLE} characters")
    if len(data.description) > MAX_DESCRIPTION:
        raise Invalid(f"description must be at most {MAX_DESCRIPTION} characters")
    if len(data.content_warning) > MAX_CW:
        raise Invalid(f"content warning must be at most {MAX_CW} characters")
    if data.visibility not in VISIBILITIES:
        raise Invalid(f"visibility must be one of {', '.join(VISIBILITIES)}")
    if data.license_url and not data.license_url.startswith(("https://", "http://")):
        raise Invalid("licence must be an http(s) URL, e.g. https://creativecommons.org/licenses/by-nc-nd/4.0/")
    if len(data.extra_tags) > MAX_TAGS:
        raise Invalid(f"at most {MAX_TAGS} tags")


def _check_images(rt: Runtime, images: list[ImageUpload]) -> None:
    media = rt.settings.media
    if not images:
        raise Invalid("a work needs at least one image")
    if len(images) > media.images_per_work:
        raise Invalid(f"a work has at most {media.images_per_work} images, not {len(images)}")
    problems = []
    for number, image in enumerate(images, 1):
        reason = _alt_problem(rt, image.alt_text)
        if reason:
            problems.append(ImageProblem(number, reason, "alt_text"))
            continue
        x, y = image.focal_point
        if not (-1.0 <= x <= 1.0 and -1.0 <= y <= 1.0):
            problems.append(ImageProblem(number, "focal point must lie within -1..1", "focal_point"))
    if problems:
        raise ImagesRefused(problems)


def _alt_problem(rt: Runtime, alt: str) -> str | None:
    media = rt.settings.media
    if len(alt) > MAX_ALT:
        return f"alt text must be at most {MAX_ALT} characters"
    if media.require_alt_text and len(alt.strip()) < media.min_alt_length:
        least = f" (at least {media.min_alt_length} characters)" if media.min_alt_length > 1 else ""
        return f"alt text is required{least}, so people who cannot see it know what it shows"
    return None


def _check_alt(rt: Runtime, number: int, alt: str) -> None:
    reason = _alt_problem(rt, alt)
    if reason:
        raise Invalid(f"image {number}: {reason}")


def store_for(rt: Runtime) -> MediaStore:
    return MediaStore(rt.settings.media.root)


async def _process_images(
    rt: Runtime, username: str, images: list[ImageUpload], stored: list[tuple[str, str]], xmp_for: Callable[[bool], bytes],
    as_uploaded: bool = False,
) -> list[WorkImage]:
    """Probe, derive (stamping the consent XMP) and store every image; `stored` collects (kind, key) for undo.

    Once one image is refused the rest are only probed (not derived or stored), so ImagesRefused names every
    refused image at the cost of a probe each."""
    media = rt.settings.media
    store = store_for(rt)
    rows: list[WorkImage] = []
    problems: list[ImageProblem] = []
    for number, upload in enumerate(images, 1):
        if upload.prepared is not None:
            rows.append(_copy_prepared(upload.prepared, number - 1, upload))
            continue
        try:
            probed = await rt.run_image_work(partial(probe, upload.data, max_bytes=media.max_upload_bytes,
                                                     max_pixels=media.max_pixels, declared_mime=upload.declared_mime))
            if problems:
                continue
            rows.append(await _derive_and_store(rt, store, username, number - 1, upload, probed, xmp_for, stored,
                                                as_uploaded))
        except ImageRejected as exc:
            problems.append(ImageProblem(number, exc.reason, exc.code, upload.filename))
            continue
    if problems:
        raise ImagesRefused(problems)
    return rows


async def _derive_and_store(rt: Runtime, store: MediaStore, username: str, position: int, upload: ImageUpload,
                            probed: Any, xmp_for: Callable[[bool], bytes], stored: list[tuple[str, str]],
                            as_uploaded: bool = False) -> WorkImage:
    """Derive the renditions (stamping the consent XMP), store them and the original; the unsaved row."""
    xmp = xmp_for(probed.ai_generated or upload.ai_generated)
    derived = await rt.run_image_work(derive_renditions, upload.data, probed, rt, xmp, as_uploaded)
    saved = store.put_upload(username, upload.data, probed.ext, derived.renditions)
    stored.append(("private", saved.original_key))
    stored += [("public", key) for key in saved.renditions.values()]
    keys = {r.kind: (saved.renditions[r.kind], r) for r in derived.renditions}
    large_key, large = keys["large"]
    return WorkImage(
        position=position, alt_text=upload.alt_text.strip(), original_key=saved.original_key,
        original_mime=probed.mime,
        large_key=large_key, large_mime=large.mime, display_key=keys["display"][0],
        thumbnail_key=keys["thumbnail"][0], width=derived.width, height=derived.height,
        large_width=large.width, large_height=large.height, blurhash=derived.blurhash,
        focal_x=upload.focal_point[0], focal_y=upload.focal_point[1],
        ai_generated=probed.ai_generated or upload.ai_generated, digital_source_type=probed.digital_source_type,
        as_uploaded=as_uploaded,
    )


def _copy_prepared(prepared: WorkImage, position: int, upload: ImageUpload) -> WorkImage:
    """A new row for the work from an image stored already, with this upload's alt text and focal point."""
    return WorkImage(
        position=position, alt_text=upload.alt_text.strip(), original_key=prepared.original_key,
        original_mime=prepared.original_mime, large_key=prepared.large_key, large_mime=prepared.large_mime,
        display_key=prepared.display_key, thumbnail_key=prepared.thumbnail_key, width=prepared.width,
        height=prepared.height, large_width=prepared.large_width, large_height=prepared.large_height,
        blurhash=prepared.blurhash, focal_x=upload.focal_point[0], focal_y=upload.focal_point[1],
        ai_generated=prepared.ai_generated or upload.ai_generated, digital_source_type=prepared.digital_source_type)


async def prepare_image(rt: Runtime, account: Account, upload: ImageUpload) -> tuple[WorkImage, list[tuple[str, str]]]:
    """Probe, derive and store one image before any work exists (a client API media upload): the same checks
    and renditions as a work's image, its XMP stamped with the artist's default licence and consent (what an
    app's post gets). Returns the unsaved row and the stored files; raises ImagesRefused naming the reason."""
    reason = _alt_problem(rt, upload.alt_text) if upload.alt_text.strip() else None  # alt may still be added
    x, y = upload.focal_point
    if reason is None and not (-1.0 <= x <= 1.0 and -1.0 <= y <= 1.0):
        reason = "focal point must lie within -1..1"
    if reason is not None:
        raise ImagesRefused([ImageProblem(1, reason, "alt_text" if "alt" in reason else "focal_point")])
    media = rt.settings.media
    stored: list[tuple[str, str]] = []
    try:
        probed = await rt.run_image_work(partial(probe, upload.data, max_bytes=media.max_upload_bytes,
                                                 max_pixels=media.max_pixels, declared_mime=upload.declared_mime))
        row = await _derive_and_store(rt, store_for(rt), account.username, 0, upload, probed,
                                      _xmp_factory(rt, account, WorkInput()), stored)
    except ImageRejected as exc:
        raise ImagesRefused([ImageProblem(1, exc.reason, exc.code, upload.filename)]) from None
    return row, stored


def derive_renditions(data: bytes, probed: Any, rt: Runtime, xmp: bytes, as_uploaded: bool = False,
                      *, max_bytes: int | None = None) -> Derived:
    """The renditions of one image. ``as_uploaded``: the large one is the artist's own file, its metadata removed
    losslessly and the XMP inserted (raises ImageRejected naming the limit or the problem); display and thumbnail
    are derived as always. ``max_bytes`` overrides [media] as_uploaded_max_bytes (a re-stamp of a file that was
    accepted once is not refused for a limit lowered since)."""
    media = rt.settings.media
    large_max = (media.large_max_width, media.large_max_height)
    if as_uploaded:  # refused before anything is derived, so a refusal costs no encoding
        large = publish_as_uploaded(data, probed, xmp, large_max=large_max,
                                    max_bytes=media.as_uploaded_max_bytes if max_bytes is None else max_bytes)
    derived = derive(data, probed, large_max=large_max, display_size=media.display_size,
                     thumbnail_size=media.thumbnail_size, xmp=xmp)
    if not as_uploaded:
        return derived
    return dataclasses.replace(derived, renditions=(large, *derived.renditions[1:]))


def _xmp_factory(rt: Runtime, account: Account, data: WorkInput) -> Callable[[bool], bytes]:
    """The consent XMP for a new work's images, before the work row exists."""
    def xmp_for(ai_generated: bool) -> bytes:
        draft = Work(account=account, license_url=data.license_url or account.default_license_url,
                     ai_generated=data.ai_generated or ai_generated, consent=data.consent)
        return consent.image_xmp(rt.settings, rt.uris, draft)

    return xmp_for


def _consent(rt: Runtime, work: Work) -> NoteConsent:
    return consent.local_note_consent(rt.settings, rt.uris, work)


async def release_files(rt: Runtime, session: AsyncSession, stored: list[tuple[str, str]]) -> None:
    """Delete stored files that no work uses any more (the same picture may belong to two works), nor an app's
    upload waiting to be posted (services.media_uploads)."""
    store = store_for(rt)
    for kind, key in stored:
        used = await session.scalar(select(WorkImage.id).where(or_(
            WorkImage.original_key == key, WorkImage.large_key == key, WorkImage.display_key == key,
            WorkImage.thumbnail_key == key, ), WorkImage.work.has(Work.deleted_at.is_(None))).limit(1))
        if used is None:
            used = await session.scalar(select(MediaUpload.id).where(MediaUpload.status_id.is_(None), or_(
                MediaUpload.original_key == key, MediaUpload.large_key == key, MediaUpload.display_key == key,
                MediaUpload.thumbnail_key == key)).limit(1))
        if used is None:
            (store.delete_private if kind == "private" else store.delete)(key)


async def resolve_mentions(rt: Runtime, session: AsyncSession, text: str) -> dict[str, tuple[MentionTarget, Account]]:
    """Resolve @user@domain by WebFinger; handles that cannot be resolved stay plain text."""
    found: dict[str, tuple[MentionTarget, Account]] = {}
    for acct in mentioned_accts(text)[:20]:
        try:
            account = await resolve_handle(rt, session, acct)
        except (Invalid, NotFound, RemoteError):
            continue
        found[acct] = (MentionTarget(acct, account.uri, account.url or account.uri), account)
    return found


async def _apply_text(rt: Runtime, session: AsyncSession, work: Work, data: WorkInput) -> list[str]:
    """Fill the work's text fields; returns the inboxes of mentioned accounts."""
    resolved = await resolve_mentions(rt, session, data.description)
    formatted = format_post(data.description, tag_url=rt.uris.tag_template(),
                            mentions={acct: target for acct, (target, _account) in resolved.items()})
    work.title = data.title.strip()
    work.description = data.description
    work.content_html = formatted.html
    work.summary = data.content_warning.strip()
    # An account a moderator marked sensitive posts only sensitive works (Mastodon's Account#sensitized?).
    work.sensitive = data.sensitive or bool(work.summary) or work.account.sensitized_at is not None
    work.license_url = data.license_url or work.account.default_license_url
    work.visibility = data.visibility
    work.ai_generated = data.ai_generated or any(image.ai_generated for image in work.images)
    # Extra tags (CLI) are stored normalised, so their links find the tag page; invalid ones are dropped.
    extra = [name for t in data.extra_tags if (name := normalize_tag(t)) is not None]
    work.tags = list(dict.fromkeys([*formatted.tags, *extra]))
    inboxes = []
    mention_rows = []
    for target in formatted.mentions:
        account = resolved[target.acct][1]
        mention_rows.append({"uri": account.uri, "acct": target.acct})
        if not account.is_local:
            inboxes.append(account.delivery_inbox)
    work.mentions = mention_rows
    return inboxes


async def create_work(rt: Runtime, session: AsyncSession, user: LocalUser, data: WorkInput, images: list[ImageUpload]) -> Work:
    """Store the images and the work, publish Create(Note) to followers and mentions, and commit. Whatever it
    refuses or fails at rolls the session back (the caller's pending changes with it) and keeps no file."""
    account = user.account
    stored: list[tuple[str, str]] = []
    try:
        _check_input(rt, data)
        _check_images(rt, images)
        rows = await _process_images(rt, account.username, images, stored, _xmp_factory(rt, account, data),
                                     data.as_uploaded)
        public_id = secrets.token_hex(8)
        lowest = await session.scalar(select(func.min(Work.position)).where(Work.account_id == account.id))
        work = Work(public_id=public_id, uri=rt.uris.work(account.uri, public_id), account=account,
                    position=(lowest or 0) - 1, images=rows,
                    consent=consent.override_from_form(data.consent) if data.consent else None)
        set_policies(work, policy_changes(data.policies or {}))
        session.add(work)
        inboxes = await _apply_text(rt, session, work, data)
        await session.flush()
        status = await status_db.add_for_work(session, work)
        await _index(session, work, status.id)
        await publish(session, account, render_create(work, rt.uris, instance_name=rt.settings.instance.name,
                                                      consent=_consent(rt, work)), inboxes=inboxes, followers=True)
        await session.commit()
    except BaseException:
        await session.rollback()
        await release_files(rt, session, stored)
        raise
    return work


async def edit_work(
    rt: Runtime, session: AsyncSession, user: LocalUser, public_id: str, data: WorkInput,
    *, alt_texts: list[str] | None = None, focal_points: list[tuple[float, float]] | None = None,
) -> Work:
    """Change text, alt texts and focal points; federates as Update with a newer `updated`."""
    _check_input(rt, data)
    work = await _own_work(session, user, public_id)
    if alt_texts is not None:
        if len(alt_texts) != len(work.images):
            raise Invalid(f"expected {len(work.images)} alt texts, got {len(alt_texts)}")
        for number, (image, alt) in enumerate(zip(work.images, alt_texts), 1):
            _check_alt(rt, number, alt)
            image.alt_text = alt.strip()
    if focal_points is not None:
        for image, (x, y) in zip(work.images, focal_points):
            if not (-1.0 <= x <= 1.0 and -1.0 <= y <= 1.0):
                raise Invalid("focal point must lie within -1..1")
            image.focal_x, image.focal_y = x, y
    inboxes = await _apply_text(rt, session, work, data)
    work.updated_at = next_edit_time(work)
    await session.flush()
    await status_db.sync_work(session, work)  # visibility and mentioned artists may have changed
    await _index(session, work, await tag_db.status_of_work(session, work.id))
    await publish(session, user.account, render_update(work, rt.uris, instance_name=rt.settings.instance.name,
                                                       consent=_consent(rt, work)), inboxes=inboxes, followers=True)
    enqueue(session, Restamp(work.id))  # services.restamp: the files' XMP follows the record
    await session.commit()
    return work


async def _index(session: AsyncSession, work: Work, status_id: int | None) -> None:
    """The work's hashtags on its status (tag pages) and its search document (title, description, alt texts)."""
    if status_id is not None:
        await tag_db.index_tags(session, status_id, work.tags)
    await search_db.index_work(session, work)


def next_edit_time(work: Work) -> datetime:
    """Timestamps federate in whole seconds and Mastodon applies an edit only if `updated` is newer:
    each edit is at least one second after the previous version."""
    now = utcnow().replace(microsecond=0)
    previous = (work.updated_at or work.published_at).replace(microsecond=0)
    return max(now, previous + timedelta(seconds=1))


async def delete_work(rt: Runtime, session: AsyncSession, user: LocalUser, public_id: str) -> None:
    """Tombstone the work (its URL answers 410), send Delete, and remove its files."""
    work = await _own_work(session, user, public_id)
    keys = await tombstone(session, work)
    await session.commit()
    await release_files(rt, session, keys)


async def tombstone(session: AsyncSession, work: Work) -> list[tuple[str, str]]:
    """Mark the work deleted and queue its federated Delete (the caller commits, then releases the files
    returned); shared by the artist's delete and a moderator's removal."""
    inboxes = await work_db.mention_inboxes(session, work)
    work.deleted_at = utcnow()
    work.pinned_at = None
    await status_db.remove_for_work(session, work.id)  # out of every timeline, with the boosts of it
    await search_db.remove_work(session, work.id)
    keys = [(kind, key) for image in work.images for kind, key in (
        ("private", image.original_key), ("public", image.large_key), ("public", image.display_key),
        ("public", image.thumbnail_key))]
    await publish(session, work.account, render_delete(work), inboxes=inboxes, followers=True)
    return keys


async def mark_sensitive(rt: Runtime, session: AsyncSession, work: Work) -> None:
    """A moderator's sensitive mark: federated as an Update with a newer `updated` (the caller commits)."""
    if work.sensitive:
        return
    work.sensitive = True
    work.updated_at = next_edit_time(work)
    await session.flush()
    await publish(session, work.account, render_update(work, rt.uris, instance_name=rt.settings.instance.name,
                                                       consent=_consent(rt, work)),
                  inboxes=await work_db.mention_inboxes(session, work), followers=True)


async def set_pinned(rt: Runtime, session: AsyncSession, user: LocalUser, public_id: str, pinned: bool) -> Work:
    """Pinned works make up the `featured` collection, which Mastodon shows on the profile."""
    work = await _own_work(session, user, public_id)
    if bool(work.pinned_at) == pinned:
        return work
    if work.visibility != "public" and pinned:
        raise Invalid("only public works can be pinned")
    work.pinned_at = utcnow() if pinned else None
    await publish(session, user.account,
                  render_featured_change("Add" if pinned else "Remove", work, rt.uris.new_activity()), followers=True)
    await session.commit()
    return work


async def arrange(session: AsyncSession, user: LocalUser, public_ids: list[str]) -> None:
    """Set the portfolio order: the given works first, in that order; the rest keep their relative order."""
    works = await work_db.portfolio(session, user.account_id, limit=10_000, offset=0)
    by_id = {work.public_id: work for work in works}
    unknown = [pid for pid in public_ids if pid not in by_id]
    if unknown:
        raise NotFound(f"no such work: {', '.join(unknown[:5])}")
    ordered = [by_id[pid] for pid in dict.fromkeys(public_ids)]
    ordered += [work for work in works if work.public_id not in set(public_ids)]
    for position, work in enumerate(ordered):
        await session.execute(update(Work).where(Work.id == work.id).values(position=position))
    await session.commit()


async def _own_work(session: AsyncSession, user: LocalUser, public_id: str) -> Work:
    work = await work_db.by_public_id(session, public_id)
    if work is None or work.account_id != user.account_id or work.deleted_at is not None:
        raise NotFound(f"no work {public_id!r} by {user.account.username}")
    return work
