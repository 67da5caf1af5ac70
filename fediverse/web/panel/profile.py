"""Profile (name, bio, links, avatar, header, locked account), the default licence of new works, and consent.

Consent (AI training, TDM reservation, AI input, search, licence line, attribution) is stored as the artist's
override (`Account.consent`, via services.consent); saving the form sends Update(Person) with the new actor
document, and the response cache and consent headers follow at once (their session hooks see the commit).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from fediverse.errors import Invalid
from fediverse.models import LocalUser
from fediverse.services.consent import instance_interaction_policy, instance_record, set_account_consent
from fediverse.services.quotes import apply_policies
from fediverse.services.profile import MAX_BIO, MAX_FIELDS, MAX_NAME, ProfileImage, update_profile
from fediverse.web.context import runtime_of
from fediverse.web.panel import consent_form, interaction_form
from fediverse.web.panel.auth import studio_view
from fediverse.web.panel.forms import flag, human_size, multipart_limit, read_form, text, upload
from fediverse.web.panel.licences import LICENCE_URLS, LICENCES
from fediverse.web.panel.render import page, redirect

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

SHOWN_FIELDS = 4  # the rest open under "more links"


@dataclass
class ProfileForm:
    display_name: str = ""
    bio: str = ""
    fields: list[tuple[str, str]] = field(default_factory=list)
    locked: bool = False
    licence: str = ""
    icon_url: str | None = None
    image_url: str | None = None
    consent: dict[str, str] = field(default_factory=dict)  # consent field -> form value ("" = instance default)
    policies: dict[str, str] = field(default_factory=dict)  # quotes / replies / boosts -> form value ("" = default)
    errors: dict[str, str] = field(default_factory=dict)  # field name (or "form") -> message


def _page(request: Request, result: ProfileForm, profile_url: str | None, status: int = 200) -> Response:
    licences = list(LICENCES)
    if result.licence and result.licence not in LICENCE_URLS:
        licences.append((result.licence, result.licence))
    rows = result.fields + [("", "")] * (MAX_FIELDS - len(result.fields))
    instance = instance_record(runtime_of(request).settings)
    return page(request, "panel/profile.html", status=status, form=result, rows=[(n, name, value) for n, (name, value) in enumerate(rows, 1)],
                shown=max(SHOWN_FIELDS, len(result.fields)), licences=licences, profile_url=profile_url,
                max_name=MAX_NAME, max_bio=MAX_BIO,
                consent_choices=consent_form.choices(result.consent, instance, consent_form.ARTIST_FIELDS,
                                                     default="Instance default")
                + interaction_form.choices(result.policies, instance_interaction_policy(runtime_of(request).settings),
                                           default="Instance default"),
                default_attribution=instance.attribution)


@studio_view
async def profile(request: Request, session: AsyncSession, user: LocalUser) -> Response:
    rt = runtime_of(request)
    account = user.account
    profile_url = account.url
    current = ProfileForm(
        display_name=account.display_name, bio=account.summary, locked=account.manually_approves_followers,
        fields=[(f.get("name", ""), f.get("value", "")) for f in account.fields if isinstance(f, dict)],
        licence=account.default_license_url or "", icon_url=account.icon_url, image_url=account.image_url,
        consent=consent_form.shown_values(account.consent, consent_form.ARTIST_FIELDS),
        policies=interaction_form.shown(account),
    )
    if request.method == "GET":
        return _page(request, current, profile_url)
    form = await read_form(request, max_bytes=multipart_limit(rt.settings, 2), max_files=2)
    try:
        result = ProfileForm(icon_url=current.icon_url, image_url=current.image_url, consent=dict(current.consent),
                             policies=dict(current.policies))
        result.display_name = text(form, "display_name", limit=MAX_NAME * 4).strip()
        result.bio = text(form, "bio", limit=MAX_BIO * 2)
        result.locked = flag(form, "locked")
        for number in range(1, MAX_FIELDS + 1):
            name = text(form, f"field_name{number}", limit=1000).strip()
            value = text(form, f"field_value{number}", limit=4000).strip()
            if name or value:
                result.fields.append((name, value))
                if not name or not value:
                    result.errors[f"field{number}"] = "A link needs both a label and a value."
        result.licence = text(form, "licence", limit=600)
        if result.licence and result.licence not in LICENCE_URLS and result.licence != current.licence:
            result.errors["licence"] = "Choose a licence from the list."
        consent_changes, consent_errors = consent_form.read(form, consent_form.ARTIST_FIELDS, result.consent)
        result.errors.update({consent_form.PREFIX + name: message for name, message in consent_errors.items()})
        policy_changes, policy_errors = interaction_form.read(form, result.policies)
        result.errors.update(policy_errors)
        if len(result.display_name) > MAX_NAME:
            result.errors["display_name"] = f"At most {MAX_NAME} characters."
        if len(result.bio) > MAX_BIO:
            result.errors["bio"] = f"At most {MAX_BIO} characters."
        images: dict[str, ProfileImage | None] = {}
        limit = rt.settings.media.max_upload_bytes
        for name in ("avatar", "header"):
            file = upload(form, name)
            images[name] = None
            if file is None:
                continue
            if file.size is not None and file.size > limit:
                result.errors[name] = f"The file is {human_size(file.size)}; the limit is {human_size(limit)}."
                continue
            images[name] = ProfileImage(await file.read(), file.content_type, (file.filename or "")[:200])
        if result.errors:
            return _page(request, result, profile_url, status=400)
        try:
            # Before update_profile: the Update(Person) it sends carries the actor with the new record.
            set_account_consent(user.account, consent_changes)
            await apply_policies(rt, session, user.account, user.account, policy_changes)  # revokes quotes it ends
            await update_profile(rt, session, user, display_name=result.display_name, summary=result.bio,
                                 fields=result.fields, manually_approves_followers=result.locked,
                                 avatar=images["avatar"], header=images["header"],
                                 default_license_url=result.licence)  # commits the consent changes too
        except Invalid as exc:
            await session.rollback()
            message = str(exc)
            where, _, rest = message.partition(": ")
            if where in ("avatar", "header") and rest:
                result.errors[where] = rest[:1].upper() + rest[1:]
            elif where in consent_form.ARTIST_FIELDS and rest:
                result.errors[consent_form.PREFIX + where] = rest[:1].upper() + rest[1:]
            else:
                result.errors["form"] = message[:1].upper() + message[1:]
            return _page(request, result, profile_url, status=400)
    finally:
        await form.close()
    return redirect(request, "/studio/profile", "Profile saved. Your followers' servers are being sent the change.")
