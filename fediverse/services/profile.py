"""Profile edits, federated to followers as Update(Person) so their servers refresh the card."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.activitypub.render import AS_PUBLIC
from fediverse.errors import Invalid
from fediverse.federation.outbox import publish
from fediverse.imaging import ImageRejected, derive, probe
from fediverse.models import LocalUser
from fediverse.services.consent import render_actor_document
from fediverse.services.restamp import schedule_for_account
from fediverse.services.text import link_urls
from fediverse.storage import MediaStore

if TYPE_CHECKING:
    from fediverse.runtime import Runtime

MAX_NAME = 100
MAX_BIO = 5000
MAX_FIELDS = 8
MAX_LICENSE_URL = 500
AVATAR_BOX = (400, 400)  # Mastodon shows avatars square at up to 400 px and crops them itself
HEADER_BOX = (1500, 500)  # Mastodon's header size


@dataclass(frozen=True)
class ProfileImage:
    """An avatar or header upload as it came in."""

    data: bytes
    declared_mime: str | None = None
    filename: str = ""


def store_profile_image(rt: Runtime, username: str, what: str, upload: ProfileImage, box: tuple[int, int]) -> str:
    """Probe and shrink into `box` (runs in a worker thread); returns the public media URL."""
    media = rt.settings.media
    try:
        probed = probe(upload.data, max_bytes=media.max_upload_bytes, max_pixels=media.max_pixels,
                       declared_mime=upload.declared_mime)
        derived = derive(upload.data, probed, large_max=box, display_size=max(box), thumbnail_size=min(box))
    except ImageRejected as exc:
        raise Invalid(f"{what}: {exc.reason}") from None
    large = next(r for r in derived.renditions if r.kind == "large")
    key = MediaStore(media.root).put_public(username, large.data, large.ext)
    return rt.uris.media(key)


async def update_profile(
    rt: Runtime, session: AsyncSession, user: LocalUser, *, display_name: str | None = None, summary: str | None = None,
    fields: list[tuple[str, str]] | None = None, manually_approves_followers: bool | None = None,
    avatar: ProfileImage | None = None, header: ProfileImage | None = None, default_license_url: str | None = None,
) -> None:
    """Change what is given (None keeps a value; default_license_url="" clears it) and federate Update(Person).

    Avatar and header are probed and shrunk by fediverse.imaging and stored as public media. Commits, with
    whatever else the caller changed on the account first (the studio's consent choices); Invalid before
    anything is committed.
    """
    account = user.account
    if default_license_url:
        if len(default_license_url) > MAX_LICENSE_URL or not default_license_url.startswith(("https://", "http://")):
            raise Invalid("default licence must be an http(s) URL, e.g. https://creativecommons.org/licenses/by/4.0/")
    if display_name is not None and len(display_name) > MAX_NAME:
        raise Invalid(f"display name must be at most {MAX_NAME} characters")
    if summary is not None and len(summary) > MAX_BIO:
        raise Invalid(f"bio must be at most {MAX_BIO} characters")
    if fields is not None and len(fields) > MAX_FIELDS:
        raise Invalid(f"at most {MAX_FIELDS} profile fields")
    if avatar is not None:
        account.icon_url = await rt.run_image_work(store_profile_image, rt, account.username, "avatar", avatar, AVATAR_BOX)
    if header is not None:
        account.image_url = await rt.run_image_work(store_profile_image, rt, account.username, "header", header, HEADER_BOX)
    if default_license_url is not None:
        account.default_license_url = default_license_url or None
    if display_name is not None:
        account.display_name = display_name
    if summary is not None:
        account.summary = summary
    if fields is not None:
        account.fields = [{"name": name[:255], "value": value[:2047], "html": link_urls(value[:2047])}
                          for name, value in fields]
    if manually_approves_followers is not None:
        account.manually_approves_followers = manually_approves_followers
    actor = render_actor_document(rt.settings, rt.uris, account)
    context = actor.pop("@context")
    update = {"@context": context, "id": rt.uris.new_activity(), "type": "Update", "actor": account.uri,
              "to": [AS_PUBLIC], "cc": [account.followers_url], "object": actor}
    await publish(session, account, update, followers=True)
    await schedule_for_account(session, account.id)  # the credit and consent inside image files follow
    await session.commit()
