"""The instance settings form of the admin panel: which keys it shows, how a POST becomes typed changes, and
the checks the config file does not make (text lengths, an e-mail address). Saving goes through
site_settings.save (same validation as start-up), and every changed key is audited with old -> new.

A checkbox is part of the form only when its hidden marker `present_<key>` is sent, so an old or partial form
never turns a setting off by omission.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse.config import AI_TRAINING_CHOICES, FRONT_PAGE_CHOICES, REGISTRATION_MODES, Settings
from fediverse.errors import Invalid
from fediverse.models import LocalUser
from fediverse.services import modlog, site_settings
from fediverse.services.profile import HEADER_BOX

if TYPE_CHECKING:
    from fediverse.runtime import Runtime

EMAIL_RE = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")
TEXT_LIMITS = {"instance.name": 100, "instance.description": 5000, "instance.rules": 5000,
               "instance.contact_email": 320, "consent.licence_url": 500, "consent.attribution": 300}
MAX_RULES = 50


@dataclass(frozen=True)
class Field:
    """One setting on /admin/settings: its dotted key in instance.toml, the label and hint shown, and the widget
    (with its choices for a select)."""

    key: str
    label: str
    hint: str = ""
    widget: str = "text"  # text | textarea | number | checkbox | select | email | colour
    choices: tuple[tuple[str, str], ...] = ()


GROUPS: tuple[tuple[str, tuple[Field, ...]], ...] = (
    ("Instance", (
        Field("instance.name", "Name"),
        Field("instance.accent_color", "Accent colour", "#rrggbb, for links and buttons. It needs a contrast of at "
              "least 4.5:1 against the white background; the dark scheme gets a lighter shade of it.", "colour"),
        Field("instance.description", "Description", "Shown on the front page, in NodeInfo and /api/v1/instance.",
              "textarea"),
        Field("instance.rules", "Rules", "One rule per line; shown and accepted at sign-up.", "textarea"),
        Field("instance.contact_email", "Contact e-mail", widget="email"),
        Field("instance.front_page", "Front page", widget="select", choices=(
            ("works", "A grid of recent public works"), ("artists", "The list of artists only"))),
    )),
    ("Registrations", (
        Field("registrations.mode", "Who may sign up", widget="select", choices=(
            ("open", "Open: anyone"), ("approval", "Approval: a moderator approves each sign-up"),
            ("invite", "Invite only"), ("closed", "Closed"))),
        Field("registrations.require_reason", "Ask for a reason (approval mode)", widget="checkbox"),
        Field("registrations.daily_cap", "Sign-ups per day", "0 = no cap", "number"),
        Field("registrations.min_fill_seconds", "Minimum seconds to fill the form", widget="number"),
        Field("registrations.attempts_per_hour_per_ip", "Sign-up attempts per hour per address", widget="number"),
        Field("registrations.proof_of_work_bits", "Proof-of-work difficulty (bits)", "0 = off, at most 28", "number"),
        Field("registrations.auto_approval_after_hours", "Switch open to approval when no moderator acted for (hours)",
              "0 = never", "number"),
    )),
    ("Default consent of the instance", (
        Field("consent.ai_training", "AI training", widget="select", choices=(
            ("allowed", "Allowed"), ("no_generative", "No generative AI training"), ("none", "No AI training at all"))),
        Field("consent.tdm_reserved", "Reserve text and data mining rights (TDMRep)", widget="checkbox"),
        Field("consent.ai_input", "Allow use as AI input (retrieval, summaries)", widget="checkbox"),
        Field("consent.search", "Allow search engines", widget="checkbox"),
        Field("consent.licence_url", "Default licence URL", "Empty = all rights reserved"),
        Field("consent.attribution", "Default attribution"),
        Field("consent.show_licence_line", "Show the licence line under works", widget="checkbox"),
        Field("consent.refuse_ai_crawlers", "Refuse known AI crawlers (403)", widget="checkbox"),
    )),
    ("Uploads", (
        Field("media.max_upload_bytes", "Largest upload (bytes)", widget="number"),
        Field("media.images_per_work", "Images per work", widget="number"),
        Field("media.require_alt_text", "Require a description (alt text) for every image", widget="checkbox"),
    )),
    ("Spam defence", (
        Field("spam.inbox_per_domain_per_minute", "Inbox activities per remote domain per minute", widget="number"),
        Field("spam.inbox_per_actor_per_minute", "Inbox activities per remote account per minute", widget="number"),
        Field("spam.inbox_per_address_per_minute", "Inbox activities per sending address per minute (before the "
              "signature is checked)", widget="number"),
        Field("spam.requests_per_minute_per_ip", "Web requests per minute per address", widget="number"),
        Field("spam.requests_per_minute_per_account", "Web requests per minute per logged-in account",
              widget="number"),
        Field("spam.quarantine_new_account_hours", "Hold mentions from accounts first seen less than (hours)",
              "0 = off", "number"),
        Field("spam.identical_message_threshold", "Hold the same text sent to this many people within an hour",
              widget="number"),
        Field("spam.quarantine_link_only", "Hold posts that are nothing but links", widget="checkbox"),
    )),
)
FIELDS: dict[str, Field] = {field.key: field for _title, fields in GROUPS for field in fields}


@dataclass(frozen=True)
class Picture:
    """An instance picture uploaded on /admin/settings (through the avatar pipeline: probed, shrunk into `box`,
    stored as public media): the file field's name, the setting keeping its URL, label, hint and box."""

    name: str
    key: str
    label: str
    hint: str
    box: tuple[int, int]

    def url_in(self, settings: Settings) -> str:
        """The picture's URL in `settings` ("" when there is none)."""
        return str(getattr(settings.instance, self.key.split(".", 1)[1]))


PICTURES: tuple[Picture, ...] = (
    Picture("logo", "instance.logo_url", "Logo", "Shown at the top of every page in place of the name, which becomes "
            "its text alternative (shrunk to fit 640 × 160).", (640, 160)),
    Picture("header_image", "instance.header_image_url", "Header image", "A banner across the top of the front page, "
            "above the description (shrunk to 1500 × 500, shown at 3:1).", HEADER_BOX),
    Picture("thumbnail", "instance.thumbnail_url", "Thumbnail", "A picture for the instance (shrunk to 1200 × 630), "
            "shown by other servers and apps.", (1200, 630)),  # what Mastodon shows for an instance's thumbnail
)
assert set(FIELDS) | {picture.key for picture in PICTURES} <= set(site_settings.EDITABLE)
assert tuple(v for v, _ in FIELDS["registrations.mode"].choices) == REGISTRATION_MODES
assert tuple(v for v, _ in FIELDS["consent.ai_training"].choices) == AI_TRAINING_CHOICES
assert tuple(v for v, _ in FIELDS["instance.front_page"].choices) == FRONT_PAGE_CHOICES


class FormErrors(Exception):
    """Errors per field key; nothing was saved."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def current_values(settings: Settings) -> dict[str, Any]:
    return {key: getattr(getattr(settings, key.split(".")[0]), key.split(".")[1]) for key in FIELDS}


def read(form: Mapping[str, Any], settings: Settings) -> tuple[dict[str, Any], dict[str, str], dict[str, Any]]:
    """(changes, errors, shown): typed values that differ from `settings`, messages per key, and what to show."""
    current = current_values(settings)
    shown = dict(current)
    changes: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, field in FIELDS.items():
        kind = site_settings.kind_of(settings, key)
        if kind is bool:
            if f"present_{key}" not in form:
                continue
            value: Any = form.get(key) in ("1", "on", "true", "yes")
        else:
            raw = form.get(key)
            if not isinstance(raw, str):
                continue
            raw = raw.replace("\r\n", "\n").strip()
            if field.widget == "colour":
                raw = raw.lower()  # #5B2F94 and #5b2f94 are one colour: stored and compared one way
            shown[key] = raw
            if kind is int:
                if not re.fullmatch(r"-?\d{1,12}", raw):
                    errors[key] = "Enter a whole number."
                    continue
                value = int(raw)
            else:
                value = raw
                message = _check_text(key, value)
                if message:
                    errors[key] = message
                    continue
        shown[key] = value
        if value != current[key]:
            changes[key] = value
    return changes, errors, shown


def _check_text(key: str, value: str) -> str | None:
    limit = TEXT_LIMITS.get(key)
    if limit and len(value) > limit:
        return f"At most {limit} characters."
    if key == "instance.name" and not value:
        return "The instance needs a name."
    if key == "instance.contact_email" and value and not EMAIL_RE.match(value):
        return "Enter an e-mail address such as admin@example.org, or leave it empty."
    if key == "instance.rules" and len([line for line in value.splitlines() if line.strip()]) > MAX_RULES:
        return f"At most {MAX_RULES} rules."
    return None


def _form_errors(changes: dict[str, Any], exc: Invalid) -> FormErrors:
    message = str(exc)
    key = next((k for k in changes if k in message), None) or next(iter(changes), "form")
    message = message.replace(f"'{key}' ", "").replace(f"{key} ", "")  # shown next to that very field
    return FormErrors({key: message[:1].upper() + message[1:]})


async def check(rt: Runtime, session: AsyncSession, changes: dict[str, Any]) -> None:
    """FormErrors when `changes` would be refused; writes nothing (run before storing uploaded pictures)."""
    try:
        await site_settings.validate(rt, session, changes)
    except Invalid as exc:
        raise _form_errors(changes, exc) from None


async def change(rt: Runtime, session: AsyncSession, staff: LocalUser, changes: dict[str, Any]) -> Settings:
    """Validate and write `changes` with one audit entry per key, commit, and apply them in this process.
    FormErrors (nothing written) when a value is refused."""
    try:
        new_settings = await site_settings.save(rt, session, changes)
    except Invalid as exc:
        raise _form_errors(changes, exc) from None
    current = current_values(rt.settings) | {picture.key: picture.url_in(rt.settings) for picture in PICTURES}
    for key, value in changes.items():
        modlog.record(session, staff, "settings.change", "setting", key, "", old=current.get(key), new=value)
    await session.commit()
    site_settings.apply(rt, new_settings)
    return new_settings
